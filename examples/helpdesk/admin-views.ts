/**
 * The admin's pages: Auth & SSO, the agent list, an agent's profile and the TOTP key an admin
 * hands over. Every value goes through `html`, which escapes it.
 */
import type { SettingsProblem, TotpKeyResult, TwoFactorStatus } from '../../src/index.js';
import { form, html, Html, METHOD_NAMES, page, time, totpKey, type Frame } from './html.js';
import { settingsProblemText } from './messages.js';
import type { Account } from './store.js';

/** The Auth & SSO form, as the admin filled it in. */
export interface AuthForm {
  totp: boolean;
  email: boolean;
  requireAll: boolean;
  grace: 'none' | 'until' | 'days';
  /** `YYYY-MM-DD`: the last day agents may skip (UTC). */
  graceUntil: string;
  graceDays: string;
}

export function adminAuthPage(frame: Frame, v: { form: AuthForm; problems: SettingsProblem[]; pastDate: boolean }): string {
  const f = v.form;
  const problemsFor = (...fields: string[]) =>
    v.problems
      .filter((p) => p.field !== undefined && fields.includes(p.field))
      .map((p) => html`<p class="problem" role="alert">${settingsProblemText(p)}</p>`);
  const check = (name: 'totp' | 'email' | 'requireAll', label: string) =>
    html`<label class="check"><input type="checkbox" name="${name}" ${f[name] && new Html('checked')}> ${label}</label>${problemsFor(name)}`;
  const radio = (value: AuthForm['grace'], label: string) =>
    html`<label class="check"><input type="radio" name="grace" value="${value}" ${f.grace === value && new Html('checked')}> ${label}</label>`;
  const unplaced = v.problems.filter((p) => p.field === undefined);
  return page(
    frame,
    'Auth & SSO',
    form(
      frame,
      '/admin/auth',
      html`${unplaced.map((p) => html`<p class="problem" role="alert">${settingsProblemText(p)}</p>`)}
<fieldset><legend>Two-factor authentication</legend>
${check('totp', 'TOTP service (authenticator apps)')}
${check('email', 'Email 2FA (one-time codes by email)')}
${check('requireAll', 'Require agents to set up 2FA')}
<p class="hint">Switching a method on only makes it available. "Require" asks every agent to set up 2FA at their next login.</p>
</fieldset>
<fieldset><legend>Grace period</legend>
<p class="hint">While it runs, agents may skip set-up at login.</p>
${radio('none', 'None: set-up is needed at the next login')}
${radio('until', 'Until a date')}
<label for="graceUntil" class="sub">Last day agents may skip (the period ends at midnight UTC after it)</label>
<input type="date" id="graceUntil" name="graceUntil" value="${f.graceUntil}">
${problemsFor('gracePeriod.until')}
${v.pastDate && html`<p class="hint">That day has passed: agents without 2FA must set it up at their next login.</p>`}
${radio('days', "A number of days from each agent's first prompt")}
<label for="graceDays" class="sub">Days</label>
<input id="graceDays" name="graceDays" inputmode="decimal" value="${f.graceDays}">
${problemsFor('gracePeriod', 'gracePeriod.days')}
</fieldset>
<button>Save</button>`,
    ),
  );
}

function methodsText(status: TwoFactorStatus): string {
  return status.enrolled.length === 0 ? 'No 2FA' : status.enrolled.map((m) => METHOD_NAMES[m]).join(', ');
}

export function adminAgentsPage(frame: Frame, rows: { account: Account; status: TwoFactorStatus }[]): string {
  return page(
    frame,
    'Agents',
    html`<p><a href="/admin/auth">Auth &amp; SSO settings</a></p>
<ul class="agents">${rows.map(
      ({ account, status }) => html`<li><a href="/admin/agents/${account.id}">${account.name}</a> <span class="muted">${account.email}</span><br>
${methodsText(status)}${status.enforced && ' · 2FA enforced'}${status.suspendedAt ? ' · suspended' : status.lockedUntil && ' · locked'}</li>`,
    )}</ul>`,
  );
}

/** Suspended (until an admin unlocks) comes before a lock, which ends by itself. */
function lockText(s: TwoFactorStatus): Html | string {
  if (s.suspendedAt) return html`Suspended since ${time(s.suspendedAt, true)}`;
  return s.lockedUntil ? html`Locked until ${time(s.lockedUntil, true)}` : 'Not locked';
}

export function adminAgentPage(frame: Frame, v: { account: Account; status: TwoFactorStatus; totpOn: boolean }): string {
  const { account: a, status: s } = v;
  const base = `/admin/agents/${a.id}`;
  const totpText = s.totp
    ? s.totp.status === 'active'
      ? html`on, set up ${s.totp.provisionedBy === 'admin' ? 'by an admin' : 'by the agent'}${s.totp.provisionedBy === 'admin' && !s.totp.confirmedAt && ' (not used yet)'}`
      : 'set-up started, not finished'
    : 'not set up';
  return page(
    frame,
    a.name,
    html`<dl class="facts">
<dt>Email</dt><dd>${a.email}</dd>
<dt>2FA</dt><dd id="agent-2fa">${methodsText(s)}</dd>
<dt>Authenticator app</dt><dd>${totpText}</dd>
<dt>Email codes</dt><dd>${s.email ? html`on, to ${s.email.address}` : 'not set up'}</dd>
<dt>Recovery codes</dt><dd id="agent-recovery">${s.recoveryCodes ? `${s.recoveryCodes.remaining} left` : 'none'}</dd>
<dt>Enforce 2FA</dt><dd id="agent-enforced">${s.enforced ? 'On' : 'Off'}</dd>
<dt>Sign-in lock</dt><dd id="agent-lock">${lockText(s)}${s.failures > 0 && ` (${s.failures} failed ${s.failures === 1 ? 'code' : 'codes'} in a row)`}</dd>
</dl>
<div class="actions">
${form(frame, `${base}/enforce`, html`<input type="hidden" name="enforce" value="${s.enforced ? 'off' : 'on'}">
<button class="secondary">${s.enforced ? 'Stop enforcing 2FA' : 'Enforce 2FA'}</button>`)}
${v.totpOn && s.totp?.status !== 'active' && form(frame, `${base}/totp`, html`<button class="secondary">Set up TOTP for this agent</button>`)}
${(s.enrolled.length > 0 || s.totp || s.emailCode) && form(frame, `${base}/remove`, html`<button class="danger">Remove 2FA</button>`)}
${(s.suspendedAt || s.lockedUntil || s.failures > 0) && form(frame, `${base}/unlock`, html`<button class="secondary">Unlock</button>`)}
</div>
<p class="hint">Remove 2FA when an agent lost their phone: then you or they can set it up again.</p>
<p><a href="/admin/agents">All agents</a></p>`,
  );
}

export function adminProvisionPage(frame: Frame, v: { account: Account; setup: TotpKeyResult }): string {
  return page(
    frame,
    `Authenticator app for ${v.account.name}`,
    html`<p>This is active now. Hand it to ${v.account.name} in person: they scan the QR code or type the key into
their authenticator app. It is shown only this once.</p>
${totpKey(v.setup)}
<p><a href="/admin/agents/${v.account.id}">Back to ${v.account.name}</a></p>`,
  );
}
