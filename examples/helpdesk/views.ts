/**
 * The HTML pages, as functions of plain data. Every interpolated value goes through `html`,
 * which escapes it; only `Html` values (markup built here) are inserted as they are.
 */
import {
  escapeHtml,
  type EmailMessage,
  type Method,
  type SettingsProblem,
  type TotpSetupResult,
  type TwoFactorStatus,
} from '../../src/index.js';
import { qrDataUri } from '../../src/qr.js';
import type { Flash } from './http.js';
import { formatDate, settingsProblemText, setupReasonText } from './messages.js';
import type { Account } from './store.js';
import type { PendingLogin } from './twofactor.js';

export class Html {
  constructor(readonly text: string) {}
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** A template tag: `html\`<p>${text}</p>\`` escapes `text`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, s, i) => out + render(values[i - 1]) + s));
}

/** What every page needs: the CSRF token for its forms, who is signed in, a one-time message. */
export interface Frame {
  /** The session's token; asking for it keeps the session (only pages with a form need one). */
  csrf: () => string;
  account?: Account;
  flash?: Flash;
}

const METHOD_NAMES: Record<Method, string> = { totp: 'Authenticator app', email: 'Email code' };

export function page(frame: Frame, title: string, body: Html): string {
  const a = frame.account;
  const nav = a
    ? html`<a href="/">Tickets</a> <a href="/preferences/security">Security</a>
        ${a.role === 'admin' && html`<a href="/admin/agents">Agents</a> <a href="/admin/auth">Auth &amp; SSO</a>`} <a href="/outbox">Outbox</a>
        ${form(frame, '/logout', html`<button class="link">Log out</button>`, 'inline')}`
    : html`<a href="/login">Sign in</a> <a href="/outbox">Outbox</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Acme Help</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a class="brand" href="/">Acme Help</a><nav>${nav}</nav></header>
<main>
<h1>${title}</h1>
${frame.flash && html`<p class="flash ${frame.flash.kind}" role="${frame.flash.kind === 'error' ? 'alert' : 'status'}">${frame.flash.text}</p>`}
${body}
</main>
<footer>A demo of twofold${a && html` · signed in as ${a.name}`}</footer>
</body>
</html>`.text;
}

function form(frame: Frame, action: string, body: Html, className = ''): Html {
  return html`<form method="post" action="${action}" class="${className}"><input type="hidden" name="csrf" value="${frame.csrf()}">${body}</form>`;
}

/** The one-time code input. `autofocus` is off on set-up pages, where the QR code comes first. */
function codeField(label: string, autofocus = true): Html {
  return html`<label for="code">${label}</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric" maxlength="20" spellcheck="false" required ${autofocus && new Html('autofocus')}>`;
}

function time(date: Date, withSeconds = false): Html {
  return html`<time datetime="${date.toISOString()}">${formatDate(date, withSeconds)}</time>`;
}

function tabs(methods: readonly Method[], current: Method, path: string): Html | false {
  return (
    methods.length > 1 &&
    html`<nav class="tabs" aria-label="Method">${methods.map((m) =>
      m === current ? html`<span aria-current="page">${METHOD_NAMES[m]}</span>` : html`<a href="${path}?method=${m}">${METHOD_NAMES[m]}</a>`,
    )}</nav>`
  );
}

/**
 * The QR code, the key for typing by hand, and the link itself (which the e2e test compares to
 * the QR code). An <img> of `qrDataUri`, not inline `qrSvg`: the SVG styles its shapes with
 * `style` attributes, which this page's Content-Security-Policy (no 'unsafe-inline' styles)
 * would block in inline markup, leaving a black square; inside an image they apply.
 */
function totpKey(setup: TotpSetupResult): Html {
  return html`<figure class="qr" data-otpauth-uri="${setup.uri}">
<img src="${qrDataUri(setup.uri, { size: 208 })}" width="208" height="208" alt="QR code for your authenticator app"></figure>
<p>Can't scan it? Type this key into the app:</p>
<p><code id="totp-secret" class="secret">${setup.formattedSecret}</code></p>
<details><summary>Show the setup link</summary><code class="uri">${setup.uri}</code></details>`;
}

function totpSetup(frame: Frame, setup: TotpSetupResult, action: string): Html {
  return html`<ol class="steps">
<li>Open your authenticator app and scan this QR code.
${totpKey(setup)}</li>
<li>${form(frame, action, html`${codeField('Code from the app', false)}<button>Turn on</button>`)}</li>
</ol>`;
}

function emailCode(frame: Frame, login: PendingLogin, account: Account): Html {
  const purpose = login.kind === 'setup' ? 'to check that you can read it' : 'to sign you in';
  const send = (label: string, className = '') => form(frame, '/login/email/send', html`<button class="${className}">${label}</button>`);
  if (!login.emailSent) {
    return html`<p>We'll email a code to <strong>${account.email}</strong> ${purpose}.</p>${send(login.kind === 'setup' ? 'Send code' : 'Email me a code')}`;
  }
  return html`<p>Enter the code we emailed to <strong>${account.email}</strong>.</p>
${form(frame, '/login/email', html`${codeField('Code from the email')}<button>${login.kind === 'setup' ? 'Turn on' : 'Sign in'}</button>`)}
${send('Send a new code', 'secondary')}`;
}

// ---- pages -------------------------------------------------------------------------------

export function loginPage(frame: Frame, values: { email?: string; error?: string } = {}): string {
  return page(
    frame,
    'Sign in',
    html`${values.error && html`<p class="flash error" role="alert">${values.error}</p>`}
${form(frame, '/login', html`<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="${values.email ?? ''}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button>Sign in</button>`)}`,
  );
}

export function loginSetupPage(
  frame: Frame,
  v: { login: Extract<PendingLogin, { kind: 'setup' }>; account: Account; method: Method; totp?: TotpSetupResult },
): string {
  const until = v.login.skippableUntil;
  return page(
    frame,
    'Set up two-factor authentication',
    html`<p>${setupReasonText(v.login.reason)}
${until ? html`You can skip this until ${time(until)}.` : html`You need to set it up to sign in.`}</p>
${tabs(v.login.methods, v.method, '/login/setup')}
${v.method === 'totp' && v.totp ? totpSetup(frame, v.totp, '/login/totp') : emailCode(frame, v.login, v.account)}
${until && form(frame, '/login/skip', html`<button class="secondary">Skip for now</button>`)}`,
  );
}

export function loginVerifyPage(
  frame: Frame,
  v: { login: Extract<PendingLogin, { kind: 'verify' }>; account: Account; method: Method },
): string {
  return page(
    frame,
    'Two-factor authentication',
    html`${tabs(v.login.methods, v.method, '/login/verify')}
${v.method === 'totp'
  ? form(frame, '/login/totp', html`${codeField('Code from your authenticator app')}<button>Sign in</button>`)
  : emailCode(frame, v.login, v.account)}
<p><a href="/login">Start over</a></p>`,
  );
}

export function homePage(frame: Frame, v: { skippedUntil?: Date }): string {
  return page(
    frame,
    'Tickets',
    html`${v.skippedUntil && html`<p class="flash notice">You skipped setting up two-factor authentication. You can skip it until
${time(v.skippedUntil)}. <a href="/preferences/security">Set it up now</a></p>`}
<ul class="tickets">
<li><strong>#1042</strong> Printer on floor 3 shows "PC LOAD LETTER"</li>
<li><strong>#1041</strong> Can't open the quarterly report</li>
<li><strong>#1039</strong> New laptop for the design team</li>
</ul>`,
  );
}

export function securityPage(frame: Frame, v: { status: TwoFactorStatus; totpOn: boolean; emailOn: boolean }): string {
  const { totp, email } = v.status;
  const app =
    totp?.status === 'active'
      ? html`<p>On: set up ${time(totp.activatedAt ?? totp.createdAt)}${totp.provisionedBy === 'admin' && ' by an admin'}.
Last used: ${totp.lastUsedAt ? time(totp.lastUsedAt) : 'never'}.</p>`
      : v.totpOn
        ? html`<p>Not set up.</p><p><a class="button" href="/preferences/security/totp">${totp ? 'Continue set-up' : 'Set up an authenticator app'}</a></p>`
        : html`<p>Not available: your admin has switched authenticator apps off.</p>`;
  const mail = email
    ? html`<p>On: codes go to <strong>${email.address}</strong> (set up ${time(email.enrolledAt)}).</p>`
    : html`<p>${v.emailOn ? 'Not set up. You can set it up when you sign in, if your organization asks for 2FA.' : 'Not available.'}</p>`;
  return page(
    frame,
    'Security',
    html`<section><h2>Authenticator app</h2>${app}</section>
<section><h2>Email codes</h2>${mail}</section>
<p class="hint">Lost your phone? Ask an admin to remove two-factor authentication from your account.</p>`,
  );
}

export function securityTotpPage(frame: Frame, setup: TotpSetupResult): string {
  return page(frame, 'Set up an authenticator app', totpSetup(frame, setup, '/preferences/security/totp'));
}

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
${methodsText(status)}${status.enforced && ' · 2FA enforced'}${status.lockedUntil && ' · locked'}</li>`,
    )}</ul>`,
  );
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
<dt>Enforce 2FA</dt><dd id="agent-enforced">${s.enforced ? 'On' : 'Off'}</dd>
<dt>Sign-in lock</dt><dd id="agent-lock">${s.lockedUntil ? html`Locked until ${time(s.lockedUntil, true)}` : 'Not locked'}${s.failures > 0 && ` (${s.failures} failed ${s.failures === 1 ? 'code' : 'codes'} in a row)`}</dd>
</dl>
<div class="actions">
${form(frame, `${base}/enforce`, html`<input type="hidden" name="enforce" value="${s.enforced ? 'off' : 'on'}">
<button class="secondary">${s.enforced ? 'Stop enforcing 2FA' : 'Enforce 2FA'}</button>`)}
${v.totpOn && s.totp?.status !== 'active' && form(frame, `${base}/totp`, html`<button class="secondary">Set up TOTP for this agent</button>`)}
${(s.enrolled.length > 0 || s.totp || s.emailCode) && form(frame, `${base}/remove`, html`<button class="danger">Remove 2FA</button>`)}
${(s.lockedUntil || s.failures > 0) && form(frame, `${base}/unlock`, html`<button class="secondary">Unlock</button>`)}
</div>
<p class="hint">Remove 2FA when an agent lost their phone: then you or they can set it up again.</p>
<p><a href="/admin/agents">All agents</a></p>`,
  );
}

export function adminProvisionPage(frame: Frame, v: { account: Account; setup: TotpSetupResult }): string {
  return page(
    frame,
    `Authenticator app for ${v.account.name}`,
    html`<p>This is active now. Hand it to ${v.account.name} in person: they scan the QR code or type the key into
their authenticator app. It is shown only this once.</p>
${totpKey(v.setup)}
<p><a href="/admin/agents/${v.account.id}">Back to ${v.account.name}</a></p>`,
  );
}

export function outboxPage(frame: Frame, messages: EmailMessage[]): string {
  return page(
    frame,
    'Outbox',
    html`<p class="hint">Demo only: a real helpdesk sends these by email. Newest first.</p>
${messages.length === 0 && html`<p>No emails yet.</p>`}
${[...messages].reverse().map(
      (m) => html`<article class="mail" data-to="${m.to}"><h2>${m.subject}</h2>
<p class="muted">To ${m.to} · valid until ${time(m.expiresAt, true)}</p><pre>${m.text}</pre></article>`,
    )}`,
  );
}

export function errorPage(frame: Frame, title: string, text: string): string {
  return page(frame, title, html`<p>${text}</p><p><a href="/">Home</a></p>`);
}
