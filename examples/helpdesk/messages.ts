/**
 * What the agent or admin is told for each twofold result, as plain text (views.ts escapes
 * it). Every refusal has words: a page never comes back without saying why. No text ever
 * repeats a code, a secret or a set-up token.
 */
import type {
  BeginTotpSetupResult,
  EmailCheckResult,
  SendEmailCodeResult,
  SettingsProblem,
  TotpCheckResult,
  TwoFactor,
} from '../../src/index.js';
import type { SetupReason } from './twofactor.js';

type Refusal<R> = Exclude<R, { ok: true }>;
type RecoveryCheckResult = Awaited<ReturnType<TwoFactor['verifyRecoveryCode']>>;

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

export const SUSPENDED = 'Too many wrong codes: this account is suspended. Ask an admin to unlock it.';
export const NO_PENDING_SETUP = 'This set-up is no longer waiting for a code. Scan the new code below.';
const OTHER_METHOD = 'Your account already has another two-factor method. Sign in with it, then add this one under Security.';

/**
 * Refusals that a changed policy decision may explain: a method was switched off, or set up
 * meanwhile. The login asks `policy()` again and follows a new decision; when the decision is
 * the same, it shows the text instead (following it again would only loop).
 */
export function policyMayExplain(reason: string): boolean {
  return ['not-enrolled', 'method-disabled', 'already-enrolled', 'other-method-active'].includes(reason);
}

/** For `verifyTotp` and `confirmTotpSetup`. */
export function totpRefusal(result: Refusal<TotpCheckResult>): string {
  switch (result.reason) {
    case 'locked':
      return locked(result.retryAt);
    case 'invalid-code':
      return withLock(TOTP_CODE_FAILED, result.retryAt);
    case 'replayed':
    case 'malformed':
      return TOTP_CODE_FAILED;
    case 'setup-expired':
      return 'This set-up expired: scan the new code below with your app.';
    case 'setup-replaced':
      return 'A newer set-up was started for your account (in another tab or on another device), so this one no longer works. Scan the new code below.';
    case 'no-pending-setup':
      return NO_PENDING_SETUP;
    case 'suspended':
      return SUSPENDED;
    case 'not-enrolled':
      return 'No authenticator app is set up for your account.';
    case 'method-disabled':
      return 'Your admin has switched authenticator apps off.';
    case 'already-enrolled':
      return 'Your authenticator app is already set up.';
    case 'other-method-active':
      return OTHER_METHOD;
  }
}

/** For `beginTotpSetup`. */
export function setupRefusal(result: Refusal<BeginTotpSetupResult>): string {
  switch (result.reason) {
    case 'method-disabled':
      return 'Authenticator apps are switched off.';
    case 'already-enrolled':
      return 'Your authenticator app is already set up.';
    case 'other-method-active':
      return OTHER_METHOD;
    case 'suspended':
      return SUSPENDED;
    case 'not-verified':
      return STEP_UP;
  }
}

/** Asked before a change that needs a recent check (twofold's `not-verified`). */
export const STEP_UP = 'Your last code was entered more than 10 minutes ago: enter a fresh one to go on.';

export const RECOVERY_CODE_FAILED = "That recovery code didn't work. Check it and try again: each code works only once.";

/** For `verifyRecoveryCode`. */
export function recoveryRefusal(result: Refusal<RecoveryCheckResult>): string {
  switch (result.reason) {
    case 'locked':
      return locked(result.retryAt);
    case 'invalid-code':
      return withLock(RECOVERY_CODE_FAILED, result.retryAt);
    case 'malformed':
      return RECOVERY_CODE_FAILED;
    case 'no-codes':
      return 'Your account has no recovery codes left. Sign in with another method, or ask an admin.';
  }
}

/** What the agent is told after signing in with a recovery code: how many are left. */
export function recoveryLeftText(remaining: number): string {
  const left = `${remaining} recovery ${remaining === 1 ? 'code' : 'codes'} left`;
  return `Signed in with a recovery code. ${left}${remaining <= FEW_RECOVERY_CODES ? ': generate new ones under Security.' : '.'}`;
}

/** At or below this many, the agent is offered new codes. */
export const FEW_RECOVERY_CODES = 3;

export function emailCheckRefusal(result: Refusal<EmailCheckResult>): string {
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
    case 'suspended':
      return SUSPENDED;
    case 'method-disabled':
      return 'Your admin has switched email codes off.';
    case 'other-method-active':
      return OTHER_METHOD;
  }
}

export function emailSendRefusal(result: Refusal<SendEmailCodeResult>): string {
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
    case 'suspended':
      return SUSPENDED;
    case 'not-verified':
      return STEP_UP;
    case 'method-disabled':
      return 'Your admin has switched email codes off.';
    case 'other-method-active':
      return OTHER_METHOD;
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
