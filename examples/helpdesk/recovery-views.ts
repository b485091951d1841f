/**
 * The pages of recovery codes: the one display of new codes (Copy, Download, Continue), the
 * text file the download returns, the login's recovery-code form, and the step-up page that
 * asks a signed-in agent for a fresh code before a change twofold guards with a recent check.
 * Every value goes through `html`, which escapes it.
 */
import type { Method } from '../../src/index.js';
import { form, html, page, tabs, time, codeField, type Frame, type Html } from './html.js';
import { formatDate } from './messages.js';
import type { Account } from './store.js';
import { ISSUER } from './twofactor.js';

export const RECOVERY_CODES_PATH = '/recovery-codes';
export const RECOVERY_DOWNLOAD_PATH = '/recovery-codes/download';

/** The new codes, shown this once. The Copy button needs /copy.js (an external script: the CSP allows no inline one). */
export function recoveryCodesPage(frame: Frame, v: { codes: readonly string[]; next: string }): string {
  return page(
    frame,
    'Your recovery codes',
    html`<p>If you lose your phone or can't read your email, each of these codes signs you in once, in place
of a two-factor code. <strong>Save them now</strong>, somewhere only you can reach (a password manager, or a
printout): they are shown only this once.</p>
<ol id="recovery-codes" class="codes">${v.codes.map((code) => html`<li><code>${code}</code></li>`)}</ol>
<p><button type="button" class="secondary" data-copy="recovery-codes" hidden>Copy</button>
<a class="button secondary" href="${RECOVERY_DOWNLOAD_PATH}" download>Download</a>
<a class="button" href="${v.next}">Continue</a></p>
<p class="hint" id="copy-status" role="status"></p>
<p class="hint">Making new codes later (under Security) replaces all of these.</p>
<script src="/copy.js"></script>`,
  );
}

/** The page again after it was shown, downloaded from or left: the codes are gone from the server. */
export function recoveryCodesGonePage(frame: Frame): string {
  return page(
    frame,
    'Your recovery codes',
    html`<p>Recovery codes are shown only once, so this page no longer has them. If you did not save them, make
new ones under Security: that replaces the old ones.</p>
<p><a class="button" href="/preferences/security">Security</a> <a href="/">Tickets</a></p>`,
  );
}

/** The downloaded file: plain text, one code a line. */
export function recoveryCodesFile(account: Account, codes: readonly string[], at: Date): string {
  return [
    `${ISSUER}: recovery codes for ${account.email}`,
    `Made ${formatDate(at)}. Each code signs you in once, in place of a two-factor code.`,
    'Keep this file where only you can reach it. Making new codes replaces these.',
    '',
    ...codes,
    '',
  ].join('\n');
}

export const RECOVERY_FILE_NAME = 'acme-help-recovery-codes.txt';

function recoveryField(): Html {
  return html`<label for="code">Recovery code</label>
<input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" maxlength="40" spellcheck="false" required autofocus>`;
}

/** The login's form for a recovery code (from the verify page's "Use a recovery code" link). */
export function loginRecoveryPage(frame: Frame): string {
  return page(
    frame,
    'Use a recovery code',
    html`<p>Enter one of the recovery codes you saved when you set up two-factor authentication. Each code works once.</p>
${form(frame, '/login/recovery', html`${recoveryField()}<button>Sign in</button>`)}
<p><a href="/login/verify">Use your two-factor method instead</a> · <a href="/login">Start over</a></p>`,
  );
}

/**
 * Asks a signed-in agent for a fresh code (twofold answered `not-verified`: the last check is
 * older than 10 minutes), by one of their `methods`. `emailSent`: an email code is waiting.
 */
export function stepUpPage(
  frame: Frame,
  v: { methods: readonly Method[]; method: Method; account: Account; emailSent: boolean; purpose: string; lastVerifiedAt: Date | null },
): string {
  const base = '/preferences/security/confirm';
  const email = v.emailSent
    ? html`<p>Enter the code we emailed to <strong>${v.account.email}</strong>.</p>
${form(frame, `${base}/email`, html`${codeField('Code from the email')}<button>Confirm</button>`)}
${form(frame, `${base}/email/send`, html`<button class="secondary">Send a new code</button>`)}`
    : html`<p>We'll email a code to <strong>${v.account.email}</strong>.</p>
${form(frame, `${base}/email/send`, html`<button>Email me a code</button>`)}`;
  return page(
    frame,
    'Confirm it’s you',
    html`<p>To ${v.purpose}, enter a fresh two-factor code. ${
      v.lastVerifiedAt ? html`Your last one was entered ${time(v.lastVerifiedAt)}, more than 10 minutes ago.` : ''
    }</p>
${tabs(v.methods, v.method, base)}
${v.method === 'totp' ? form(frame, `${base}/totp`, html`${codeField('Code from your authenticator app')}<button>Confirm</button>`) : email}
<p><a href="/preferences/security">Cancel</a></p>`,
  );
}
