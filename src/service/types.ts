/**
 * The public result types of the service and the `TwoFactor` interface that
 * `createTwoFactor` returns. Types only.
 * @module
 */
import type { EmailPurpose } from '../ports.js';
import type { SettingsProblem } from '../policy/settings.js';
import type { Method, PolicyDecision, PolicySettings } from '../policy/types.js';

/** A refusal that can end: `retryAt` says when trying again can help. */
export interface LockedResult {
  ok: false;
  reason: 'locked';
  retryAt: Date;
}

/**
 * The hard limit was reached (`throttle.maxConsecutiveFailures` consecutive failures, across
 * methods): every check is refused, without looking at its input, until `admin.unlock`.
 * It means someone is guessing, most likely with the agent's password.
 */
export interface SuspendedResult {
  ok: false;
  reason: 'suspended';
}

/** Why a TOTP code was not accepted. `replayed` should be shown to people as a wrong code. */
export type TotpFailureReason = 'invalid-code' | 'malformed' | 'replayed' | 'not-enrolled' | 'method-disabled';

/**
 * The outcome of {@link TwoFactor.verifyTotp} and {@link TwoFactor.confirmTotpSetup}. Only a
 * confirmation can answer `no-pending-setup` (unknown set-up token), `setup-expired`,
 * `setup-replaced` (pushed out by newer set-ups), `already-enrolled` and
 * `other-method-active` (another method is active, and the set-up was not begun from a
 * session that passed 2FA).
 */
export type TotpCheckResult =
  | { ok: true; method: 'totp' }
  | LockedResult
  | SuspendedResult
  | { ok: false; reason: 'invalid-code'; retryAt?: Date }
  | {
      ok: false;
      reason:
        | Exclude<TotpFailureReason, 'invalid-code'>
        | 'no-pending-setup'
        | 'setup-expired'
        | 'setup-replaced'
        | 'already-enrolled'
        | 'other-method-active';
    };

/** A TOTP secret to hand to an agent: for a QR code (`uri`) or typing by hand (`formattedSecret`). */
export interface TotpKeyResult {
  ok: true;
  /** Base32, no padding. */
  secret: string;
  /** The secret in groups of 4, for typing into an app. */
  formattedSecret: string;
  /** The otpauth:// URI; render it with `twofold/qr`. */
  uri: string;
}

/**
 * A pending set-up begun by {@link TwoFactor.beginTotpSetup}. Keep `setupToken` in the
 * server-side session that began it (never in a URL or a cookie the browser can read): a
 * refresh passes it back to see the same secret, and the confirmation needs it.
 */
export interface TotpSetupResult extends TotpKeyResult {
  /** Opaque, 256 random bits; only its hash is stored. */
  setupToken: string;
  /** The first instant at which the set-up can no longer be confirmed (a refresh does not extend it). */
  expiresAt: Date;
}

/** The outcome of {@link TwoFactor.sendEmailCode}. */
export type SendEmailCodeResult =
  | { ok: true; purpose: EmailPurpose; expiresAt: Date }
  | { ok: false; reason: 'locked' | 'cooldown' | 'too-many-sends'; retryAt: Date }
  | SuspendedResult
  | { ok: false; reason: 'method-disabled' | 'invalid-address' | 'address-mismatch' | 'delivery-failed' | 'other-method-active' | 'not-verified' };

/**
 * The outcome of {@link TwoFactor.verifyEmailCode}. `purpose: 'setup'` means email was just
 * enrolled. `other-method-active`: a set-up code asked for while TOTP was switched off, and
 * TOTP was switched back on before it was entered (ask for a new code from a verified session).
 */
export type EmailCheckResult =
  | { ok: true; method: 'email'; purpose: EmailPurpose }
  | LockedResult
  | SuspendedResult
  | { ok: false; reason: 'invalid-code'; retryAt?: Date }
  | { ok: false; reason: 'too-many-attempts'; retryAt?: Date }
  | { ok: false; reason: 'no-challenge' | 'expired' | 'malformed' | 'method-disabled' | 'other-method-active' };

/** The outcome of {@link TwoFactor.skipSetup}. */
export type SkipSetupResult = { ok: true; until: Date } | { ok: false; reason: 'not-skippable' };

/** The outcome of `admin.provisionTotp`: the factor is active at once, so there is no set-up token. */
export type ProvisionTotpResult = TotpKeyResult | { ok: false; reason: 'already-enrolled' | 'method-disabled' };

/**
 * The outcome of {@link TwoFactor.beginTotpSetup}. `other-method-active`: the agent has email
 * enrolled (and switched on), and the call did not say the session passed 2FA (`sessionVerified`).
 */
export type BeginTotpSetupResult =
  | TotpSetupResult
  | SuspendedResult
  | { ok: false; reason: 'already-enrolled' | 'method-disabled' | 'other-method-active' | 'not-verified' };

/** The outcome of {@link TwoFactor.generateRecoveryCodes}. */
export type GenerateRecoveryCodesResult =
  | { ok: true; codes: string[] }
  | { ok: false; reason: 'not-enrolled' | 'not-verified' };

/** The outcome of {@link TwoFactor.verifyRecoveryCode}. */
export type RecoveryCheckResult =
  | { ok: true; method: 'recovery'; remaining: number }
  | LockedResult
  | { ok: false; reason: 'invalid-code'; retryAt?: Date }
  | { ok: false; reason: 'malformed' | 'no-codes' };

/** The outcome of `admin.unlock`. */
export interface UnlockResult {
  ok: true;
  /** A lock was running. */
  wasLocked: boolean;
  /** The agent was suspended (the hard limit). */
  wasSuspended: boolean;
}

/** The agent's 2FA state, without any secret. */
export interface TwoFactorStatus {
  enrolled: Method[];
  totp: null | {
    status: 'pending' | 'active';
    provisionedBy: 'agent' | 'admin';
    createdAt: Date;
    activatedAt: Date | null;
    confirmedAt: Date | null;
    lastUsedAt: Date | null;
  };
  email: null | { address: string; enrolledAt: Date; lastUsedAt: Date | null };
  /** Pending TOTP set-ups that can still be confirmed, oldest first (never their secrets). */
  totpSetups: Array<{ createdAt: Date; expiresAt: Date }>;
  /** The outstanding email code, if any (never the code itself). */
  emailCode: null | { purpose: EmailPurpose; expiresAt: Date; attemptsLeft: number };
  enforced: boolean;
  lockedUntil: Date | null;
  /** Since when every check is refused (the hard limit), until an admin unlocks. */
  suspendedAt: Date | null;
  failures: number;
  graceStartedAt: Date | null;
  lastUsedAt: Date | null;
  /**
   * What is wrong with the settings that apply to this agent, as the service sees them: today
   * `email-without-mailer` (Email is on, but the service has no mailer, so it counts as off).
   */
  problems: SettingsProblem[];
  /** The recovery codes: how many are left, when the set was made, and whether this service can check them. */
  recoveryCodes: { remaining: number; createdAt: Date; usable: boolean } | null;
  /** The last successful 2FA check (calls that rely on `sessionVerified` need it within 10 minutes). */
  lastVerifiedAt: Date | null;
}

/**
 * Who acted, for the audit trail of an `admin.*` call: carried into its events as `actor` and
 * `actorReason`. `by` is the admin's id in your system, not an email address (events carry no
 * addresses). Each at most 200 characters, without control characters.
 */
export interface AdminActor {
  by?: string;
  reason?: string;
}

/** The service returned by {@link createTwoFactor}. Every method takes the host's agent id. */
export interface TwoFactor {
  /**
   * Evaluates the policy for a login (and starts a `{ days }` grace the first time). A
   * `next: 'verify'` decision says `suspended: true` when every check would be refused.
   */
  policy(agentId: string): Promise<PolicyDecision>;
  /** Lets the agent skip set-up at this login, while the grace period runs. */
  skipSetup(agentId: string): Promise<SkipSetupResult>;
  /**
   * Starts a TOTP set-up of the agent's own, or, given the `setupToken` of one still pending
   * (a page refresh), shows that one again: same secret, token and `expiresAt`. Without a
   * token, or with any other, a fresh set-up with a fresh secret is added (up to 3 are kept,
   * the oldest dropped). Keep the token in the server-side session. While email is enrolled
   * and switched on, pass `sessionVerified: true` only from a session that passed 2FA: without
   * it the call is refused (`other-method-active`), so a password alone cannot add a way in.
   */
  beginTotpSetup(
    agentId: string,
    options: { account: string; setupToken?: string; sessionVerified?: boolean },
  ): Promise<BeginTotpSetupResult>;
  /**
   * Activates the pending set-up that `setupToken` names with a code from the app; every other
   * pending set-up is discarded. An unknown, expired or replaced token is refused without
   * looking at the code.
   * @throws TypeError unless `setupToken` is a non-empty string.
   */
  confirmTotpSetup(agentId: string, code: string, options: { setupToken: string }): Promise<TotpCheckResult>;
  /** Checks a TOTP code at login. */
  verifyTotp(agentId: string, code: string): Promise<TotpCheckResult>;
  /**
   * Mails a one-time code: to set email up (`to` becomes the agent's address once the code is
   * verified), or to log in (to the enrolled address; `to` may be omitted, and if given must
   * be that address). While TOTP is active, a set-up code needs `sessionVerified: true`, passed
   * only from a session that passed 2FA (else `other-method-active`).
   */
  sendEmailCode(agentId: string, options: { to?: string; sessionVerified?: boolean }): Promise<SendEmailCodeResult>;
  /** Checks an emailed code: enrolls the address on set-up, or completes a login. */
  verifyEmailCode(agentId: string, code: string): Promise<EmailCheckResult>;
  /** The agent's 2FA state, without secrets. */
  status(agentId: string): Promise<TwoFactorStatus>;
  admin: {
    /** Sets TOTP up for the agent; it is active at once. Hand the result to the agent. */
    provisionTotp(agentId: string, options: { account: string } & AdminActor): Promise<ProvisionTotpResult>;
    /** The per-agent "Enforce 2FA" toggle. */
    setEnforced(agentId: string, on: boolean, actor?: AdminActor): Promise<{ ok: true; enforced: boolean }>;
    /** Removes 2FA (one method, or all), with pending set-up, throttle and grace start. */
    remove(agentId: string, options?: { method?: Method } & AdminActor): Promise<{ ok: true; removed: Method[] }>;
    /**
     * Clears the failure count, any lock and a suspension. A suspension means someone is
     * guessing with the agent's password: unlock after a password reset, not on request alone.
     */
    unlock(agentId: string, actor?: AdminActor): Promise<UnlockResult>;
  };
  /**
   * Makes 10 recovery codes (`XXXXX-XXXXX`), replacing every earlier one; show them once. Needs
   * `sessionVerified: true` and a successful 2FA check within the last 10 minutes.
   */
  generateRecoveryCodes(agentId: string, options: { sessionVerified: boolean }): Promise<GenerateRecoveryCodesResult>;
  /** Logs in with a recovery code (each works once); a right one lifts a suspension. */
  verifyRecoveryCode(agentId: string, code: string): Promise<RecoveryCheckResult>;
  /**
   * `validateSettings`, plus what only this service can know (`email-without-mailer`): for an
   * admin screen, before the settings are saved. Never throws.
   */
  validateSettings(settings: PolicySettings | unknown): SettingsProblem[];
}
