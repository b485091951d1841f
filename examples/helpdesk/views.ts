/**
 * The pages of the login, the agent's own pages and the demo's outbox, as functions of plain
 * data (admin-views.ts has the admin's). Every value goes through `html`, which escapes it.
 */
import type { EmailMessage, Method, TotpSetupResult, TwoFactorStatus } from '../../src/index.js';
import { codeField, form, html, page, tabs, time, totpKey, type Frame, type Html } from './html.js';
import { setupReasonText } from './messages.js';
import type { Account } from './store.js';
import type { PendingLogin } from './twofactor.js';

export type { Frame } from './html.js';

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

/** `totp` absent with the TOTP method: set-up was refused, and the frame's message says why. */
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
${v.method === 'email' ? emailCode(frame, v.login, v.account) : v.totp && totpSetup(frame, v.totp, '/login/totp')}
${until && form(frame, '/login/skip', html`<button class="secondary">Skip for now</button>`)}`,
  );
}

/** While the agent is suspended, no code field: the frame's message says to ask an admin. */
export function loginVerifyPage(
  frame: Frame,
  v: { login: Extract<PendingLogin, { kind: 'verify' }>; account: Account; method: Method },
): string {
  const ask = v.login.suspended
    ? html`<p>Once an admin has unlocked your account, <a href="/login/verify?method=${v.method}">try again</a>.</p>`
    : html`${tabs(v.login.methods, v.method, '/login/verify')}
${v.method === 'totp'
  ? form(frame, '/login/totp', html`${codeField('Code from your authenticator app')}<button>Sign in</button>`)
  : emailCode(frame, v.login, v.account)}`;
  // A recovery code also works while suspended: a valid one lifts the suspension.
  const recovery = v.login.recoveryCode && html`<p>Lost your phone or can't read your email? <a href="/login/recovery">Use a recovery code</a></p>`;
  return page(frame, 'Two-factor authentication', html`${ask}
${recovery}
<p><a href="/login">Start over</a></p>`);
}

/** `fewRecoveryCodes`: how many are left when few are (FEW_RECOVERY_CODES), to offer new ones. */
export function homePage(frame: Frame, v: { skippedUntil?: Date; fewRecoveryCodes?: number }): string {
  const few = v.fewRecoveryCodes;
  return page(
    frame,
    'Tickets',
    html`${v.skippedUntil && html`<p class="flash notice">You skipped setting up two-factor authentication. You can skip it until
${time(v.skippedUntil)}. <a href="/preferences/security">Set it up now</a></p>`}
${few !== undefined && html`<div class="problem" id="few-recovery-codes"><p>Only ${few} recovery ${few === 1 ? 'code' : 'codes'} left.</p>
${form(frame, '/preferences/security/recovery', html`<button>Generate new codes</button>`)}</div>`}
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
        ? html`<p>Not set up.</p><p><a class="button" href="/preferences/security/totp">Set up an authenticator app</a></p>`
        : html`<p>Not available: your admin has switched authenticator apps off.</p>`;
  const mail = email
    ? html`<p>On: codes go to <strong>${email.address}</strong> (set up ${time(email.enrolledAt)}).</p>`
    : html`<p>${v.emailOn ? 'Not set up. You can set it up when you sign in, if your organization asks for 2FA.' : 'Not available.'}</p>`;
  return page(
    frame,
    'Security',
    html`${v.status.suspendedAt && html`<p class="problem" id="suspended">Suspended since ${time(v.status.suspendedAt)}: no code is accepted until an admin unlocks your account.</p>`}
<section><h2>Authenticator app</h2>${app}</section>
<section><h2>Email codes</h2>${mail}</section>
${recoverySection(frame, v.status)}
<p class="hint">Lost your phone? Sign in with a recovery code. Without one, ask an admin to remove two-factor authentication from your account.</p>`,
  );
}

function recoverySection(frame: Frame, status: TwoFactorStatus): Html {
  if (status.enrolled.length === 0) {
    return html`<section id="recovery"><h2>Recovery codes</h2><p>Set up an authenticator app or email codes first: recovery codes are for when you can't use them.</p></section>`;
  }
  const codes = status.recoveryCodes;
  const state = !codes
    ? html`<p>Recovery codes: none yet.</p>`
    : html`<p>Recovery codes: ${codes.remaining} left, created ${time(codes.createdAt)}.</p>
${!codes.usable && html`<p class="problem">These codes no longer work (the server's key changed): generate new ones.</p>`}`;
  return html`<section id="recovery"><h2>Recovery codes</h2>${state}
${form(frame, '/preferences/security/recovery', html`<button class="secondary">Generate new codes</button>`)}
<p class="hint">Each code signs you in once when you can't use your phone or email. New codes replace all earlier ones.</p></section>`;
}

export function securityTotpPage(frame: Frame, setup: TotpSetupResult): string {
  return page(frame, 'Set up an authenticator app', totpSetup(frame, setup, '/preferences/security/totp'));
}


export function outboxPage(frame: Frame, messages: EmailMessage[]): string {
  return page(
    frame,
    'Outbox',
    html`<p class="hint">Demo only: a real helpdesk sends these by email. Newest first. Codes to sign in, and security notices
(2FA set up or removed, recovery codes made or used, a lock), which carry no code.</p>
${messages.length === 0 && html`<p>No emails yet.</p>`}
${[...messages].reverse().map((m) =>
      // A security notice has no code: it tells the agent that their 2FA changed.
      m.kind === 'notice'
        ? html`<article class="mail notice" data-to="${m.to}"><h2>${m.subject}</h2>
<p class="muted"><strong>Security notice</strong> · to ${m.to} · ${time(m.notice.at, true)}</p><pre>${m.text}</pre></article>`
        : html`<article class="mail" data-to="${m.to}"><h2>${m.subject}</h2>
<p class="muted">To ${m.to} · valid until ${time(m.expiresAt, true)}</p><pre>${m.text}</pre></article>`,
    )}`,
  );
}

export function errorPage(frame: Frame, title: string, text: string): string {
  return page(frame, title, html`<p>${text}</p><p><a href="/">Home</a></p>`);
}
