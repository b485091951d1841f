/**
 * The per-agent 2FA record: one JSON document, times as epoch milliseconds, no `undefined`
 * (JSON would drop it), so it stores unchanged in a text or jsonb column.
 */

/** Bumped when the record's shape changes incompatibly. */
export const RECORD_SCHEMA = 1;

/** A TOTP factor, pending (set-up begun, not yet confirmed) or active. */
export interface TotpFactorRecord {
  status: 'pending' | 'active';
  /** Base32 secret, or the ciphertext from a configured `secretCipher`. */
  secret: string;
  /** The account name shown in the authenticator app. */
  account: string;
  /** Who set it up: the agent from their preferences, or an admin from the agent's profile. */
  provisionedBy: 'agent' | 'admin';
  createdAt: number;
  /** When it became active (confirmation, or admin provisioning). */
  activatedAt: number | null;
  /** When a code for it was first accepted. Admin-provisioned factors start with `null`. */
  confirmedAt: number | null;
  /** The last time step accepted; any step at or before it is a replay (RFC 6238 §5.2). */
  lastStep: number | null;
  /** Observed clock drift of the agent's device, in steps, bounded by the window. */
  driftSteps: number;
  lastUsedAt: number | null;
}

/** An enrolled email factor. */
export interface EmailFactorRecord {
  address: string;
  enrolledAt: number;
  lastUsedAt: number | null;
}

/** An outstanding email code. Only a hash of the code is kept. */
export interface EmailChallengeRecord {
  purpose: 'setup' | 'login';
  address: string;
  /** Hex digest of the code: HMAC-SHA-256 under the pepper, or SHA-256 over salt and code. */
  hash: string;
  /** Hex salt, present when no pepper is configured. */
  salt: string | null;
  digits: number;
  issuedAt: number;
  expiresAt: number;
  attempts: number;
}

/** Consecutive-failure throttle, shared by all methods. */
export interface ThrottleRecord {
  failures: number;
  lockedUntil: number | null;
  lastFailureAt: number | null;
}

/** Everything twofold stores about one agent. */
export interface AgentRecord {
  schema: number;
  /** The admin's per-agent "Enforce 2FA" toggle. */
  enforced: boolean;
  /** When set-up was first demanded under a `{ days }` grace period. */
  graceStartedAt: number | null;
  totp: TotpFactorRecord | null;
  email: EmailFactorRecord | null;
  emailChallenge: EmailChallengeRecord | null;
  /** Send times of email codes within the last hour, oldest first. */
  emailSends: number[];
  throttle: ThrottleRecord;
  updatedAt: number;
}

/** A fresh record for an agent that has none. */
export function emptyRecord(now: number): AgentRecord {
  return {
    schema: RECORD_SCHEMA,
    enforced: false,
    graceStartedAt: null,
    totp: null,
    email: null,
    emailChallenge: null,
    emailSends: [],
    throttle: { failures: 0, lockedUntil: null, lastFailureAt: null },
    updatedAt: now,
  };
}
