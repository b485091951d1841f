/**
 * The per-agent 2FA record, schema 2: one JSON document, times as epoch milliseconds,
 * no `undefined` (JSON would drop it), so it stores unchanged in a text or jsonb column.
 * The transitions live beside this file, one per concern; the stored-data parser, with the
 * upgrade from schema 1, in `parse.ts`.
 * @module
 */

/** Bumped when the record's shape changes; `parse.ts` upgrades every older schema it knows. */
export const RECORD_SCHEMA = 2;

/** The key material and parameters of a TOTP secret, as an app holds it. */
export interface TotpKeyRecord {
  /** Base32 secret, or, when `secretEncrypted`, the ciphertext from the `secretCipher`. */
  secret: string;
  /**
   * Whether `secret` is a ciphertext. The service decrypts after loading and encrypts before
   * saving, so the pure transitions only ever see base32.
   */
  secretEncrypted: boolean;
  /** The account name shown in the authenticator app. */
  account: string;
  /** Parameters fixed when the secret was made, so a later change of defaults can't break a device. */
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  digits: number;
  periodSeconds: number;
}

/** The agent's active TOTP factor. */
export interface TotpFactorRecord extends TotpKeyRecord {
  /** Who set it up: the agent from their preferences, or an admin from the agent's profile. */
  provisionedBy: 'agent' | 'admin';
  createdAt: number;
  /** When it became active (confirmation, or admin provisioning). */
  activatedAt: number;
  /** When a code for it was first accepted. Admin-provisioned factors start with `null`. */
  confirmedAt: number | null;
  /** The last time step accepted; any step at or before it is a replay (RFC 6238 §5.2). */
  lastStep: number | null;
  /** Observed clock drift of the agent's device, in steps, bounded by the window. */
  driftSteps: number;
  lastUsedAt: number | null;
}

/**
 * A TOTP set-up the agent began and has not confirmed. It belongs to the session that began
 * it: only the holder of its set-up token (kept in that session) can see its secret again or
 * confirm it. Only a hash of the token is stored.
 */
export interface TotpSetupRecord extends TotpKeyRecord {
  /** Hex SHA-256 of the set-up token. */
  tokenHash: string;
  /** Whether it was begun from a session that passed 2FA (`sessionVerified`). */
  sessionVerified: boolean;
  createdAt: number;
  /** The first instant at which it can no longer be confirmed. */
  expiresAt: number;
}

/**
 * A set-up pushed out by newer ones (at most 3 are kept). Only the token hash stays, so that
 * confirming it says `setup-replaced` rather than a bare `no-pending-setup`.
 */
export interface DroppedSetupRecord {
  tokenHash: string;
  expiresAt: number;
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
  /** For a `setup` code: whether it was asked for from a session that passed 2FA. */
  sessionVerified: boolean;
}

/** Consecutive-failure throttle, shared by all methods. */
export interface ThrottleRecord {
  failures: number;
  lockedUntil: number | null;
  lastFailureAt: number | null;
  /** When the hard limit was reached; every check is refused until an admin unlocks. */
  suspendedAt: number | null;
}

/**
 * The agent's recovery codes: only digests, of the codes still unused. Their own failure
 * counter runs on the same lock schedule as the shared throttle, but never suspends.
 */
export interface RecoveryRecord {
  createdAt: number;
  /** Hex digests of the unused codes. */
  digests: string[];
  /** `hmac`: HMAC-SHA-256 under the pepper whose fingerprint is `pepperId`; `scrypt`: with `salt` and `scrypt`. */
  kdf: 'hmac' | 'scrypt';
  pepperId: string | null;
  /** Hex salt of the set (scrypt). */
  salt: string | null;
  /** The scrypt parameters the set was made with, so a later change of defaults keeps it checkable. */
  scrypt: { N: number; r: number; p: number; dkLen: number } | null;
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
  /** The active TOTP factor. */
  totp: TotpFactorRecord | null;
  /** Pending TOTP set-ups, oldest first, at most 3. */
  totpSetups: TotpSetupRecord[];
  /** Token hashes of set-ups pushed out by newer ones, oldest first, at most 8. */
  droppedTotpSetups: DroppedSetupRecord[];
  email: EmailFactorRecord | null;
  emailChallenge: EmailChallengeRecord | null;
  /** Send times of email codes within the last hour, oldest first. */
  emailSends: number[];
  throttle: ThrottleRecord;
  /** Recovery codes (schema 2, optional: absent means none). */
  recovery: RecoveryRecord | null;
  /**
   * The last successful 2FA check (TOTP, email or recovery code, or a set-up confirmation);
   * calls that rely on `sessionVerified` need it to be recent. Schema 2, optional: absent is null.
   */
  lastVerifiedAt: number | null;
  updatedAt: number;
}

/** The throttle of an agent with no failures. */
export const CLEAR_THROTTLE: Readonly<ThrottleRecord> = Object.freeze({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });

/** A fresh record for an agent that has none. */
export function emptyRecord(now: number): AgentRecord {
  return {
    schema: RECORD_SCHEMA,
    enforced: false,
    graceStartedAt: null,
    totp: null,
    totpSetups: [],
    droppedTotpSetups: [],
    email: null,
    emailChallenge: null,
    emailSends: [],
    throttle: { ...CLEAR_THROTTLE },
    recovery: null,
    lastVerifiedAt: null,
    updatedAt: now,
  };
}

/** The methods an agent has enrolled, TOTP first. A pending TOTP set-up does not count. */
export function enrolledMethods(record: AgentRecord): Array<'totp' | 'email'> {
  const methods: Array<'totp' | 'email'> = [];
  if (record.totp !== null) methods.push('totp');
  if (record.email !== null) methods.push('email');
  return methods;
}
