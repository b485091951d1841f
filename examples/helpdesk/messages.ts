/**
 * What the agent or admin is told for each twofold result, as plain text (views.ts escapes
 * it). `undefined` means "nothing to tell: the situation changed, follow the policy again".
 */
import type { EmailCheckResult, SendEmailCodeResult, SettingsProblem, TotpCheckResult } from '../../src/index.js';
import type { SetupReason } from './twofactor.js';

/** Dates as the demo shows them: in UTC, so the server and the test agree whatever the zone. */
export function formatDate(date: Date, withSeconds = false): string {
  return (
    date.toLocaleString('en-GB', {
      timeZone: 'UTC',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      ...(withSeconds ? { second: '2-digit' } : {}),
    }) + ' UTC'
  );
}

// One message for a wrong, replayed or malformed code: telling a replay apart from a wrong
// code helps someone watching over a shoulder (docs/login-flow.md).
export const TOTP_CODE_FAILED = "That code didn't work. Wait for the next one and try again.";
export const EMAIL_CODE_FAILED = "That code didn't work. Use the code from the newest email, or send a new one.";

function locked(retryAt: Date): string {
  return `Too many attempts. Try again after ${formatDate(retryAt, true)}.`;
}

function withLock(message: string, retryAt: Date | undefined): string {
  return retryAt === undefined ? message : `${message} ${locked(retryAt)}`;
}

export function totpRefusal(result: Exclude<TotpCheckResult, { ok: true }>): string | undefined {
  switch (result.reason) {
    case 'locked':
      return locked(result.retryAt);
    case 'invalid-code':
      return withLock(TOTP_CODE_FAILED, result.retryAt);
    case 'replayed':
    case 'malformed':
      return TOTP_CODE_FAILED;
    default: // not-enrolled, method-disabled, no-pending-setup, already-enrolled
      return undefined;
  }
}

export function emailCheckRefusal(result: Exclude<EmailCheckResult, { ok: true }>): string | undefined {
  switch (result.reason) {
    case 'locked':
      return locked(result.retryAt);
    case 'invalid-code':
      return withLock(EMAIL_CODE_FAILED, result.retryAt);
    case 'malformed':
    case 'expired':
      return EMAIL_CODE_FAILED;
    case 'too-many-attempts':
      return withLock('That code had too many wrong tries. Send a new code.', result.retryAt);
    case 'no-challenge':
      return 'No code is waiting for you. Send a new code.';
    case 'method-disabled':
      return undefined;
  }
}

export function emailSendRefusal(result: Exclude<SendEmailCodeResult, { ok: true }>): string | undefined {
  switch (result.reason) {
    case 'locked':
      return locked(result.retryAt);
    case 'cooldown':
    case 'too-many-sends':
      return `A code was sent a moment ago. You can ask for a new code at ${formatDate(result.retryAt, true)}.`;
    case 'delivery-failed':
      return 'We could not send the email. Try again.';
    case 'invalid-address':
    case 'address-mismatch':
      return "Codes can't be sent to your account's address. Ask your admin.";
    case 'method-disabled':
    case 'other-method-active': // another method was set up meanwhile: ask the policy again
      return undefined;
  }
}

export function setupReasonText(reason: SetupReason): string {
  switch (reason) {
    case 'grace-period':
      return 'Your organization asks every agent to set up two-factor authentication.';
    case 'agent-enforced':
      return 'Your admin requires two-factor authentication for your account.';
    case 'required-for-all':
      return 'Your organization requires two-factor authentication.';
    case 'grace-period-over':
      return 'The time to set up two-factor authentication has run out: set it up to sign in.';
  }
}

/** The admin screen's own text for `validateSettings` problems, keyed by their stable code. */
export function settingsProblemText(problem: SettingsProblem): string {
  switch (problem.code) {
    case 'no-method-enabled':
      return 'Switch on TOTP or Email 2FA: with both off, no agent can be asked to set up 2FA.';
    case 'invalid-grace-until':
      return 'Enter a valid date (1970 or later).';
    case 'invalid-grace-days':
      return 'Enter a number of days greater than 0.';
    default:
      return problem.message;
  }
}
