/**
 * The per-agent 2FA record: one JSON document, times as epoch milliseconds, no `undefined`
 * (JSON would drop it), so it stores unchanged in a text or jsonb column.
 */

import { TwoFactorError } from './errors.js';
import { decodeBase32 } from './otp/base32.js';

/** Bumped when the record's shape changes incompatibly. */
export const RECORD_SCHEMA = 1;

/** A TOTP factor, pending (set-up begun, not yet confirmed) or active. */
export interface TotpFactorRecord {
  status: 'pending' | 'active';
  /** Base32 secret, or, when `secretEncrypted`, the ciphertext from the `secretCipher`. */
  secret: string;
  /**
   * Whether `secret` is a ciphertext. The service decrypts after loading and encrypts before
   * saving, so the pure transitions below only ever see base32.
   */
  secretEncrypted: boolean;
  /** The account name shown in the authenticator app. */
  account: string;
  /** Parameters fixed at enrollment, so a later change of defaults can't break a device. */
  algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  digits: number;
  periodSeconds: number;
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

// ---------------------------------------------------------------------------------------------
// Pure transitions. Each takes a record and returns a new one; none reads a clock or mutates.
// ---------------------------------------------------------------------------------------------

/** Throttle parameters (see `DEFAULTS.throttle`). */
export interface ThrottleConfig {
  /** Consecutive failures before the first lock: the `freeFailures`-th failure starts it; 1..100. */
  freeFailures: number;
  /** Length of the first lock; each further failure doubles it. */
  baseLockMs: number;
  /** The longest lock. */
  maxLockMs: number;
}

/** The methods an agent has active, TOTP first. A pending TOTP set-up does not count. */
export function enrolledMethods(record: AgentRecord): Array<'totp' | 'email'> {
  const methods: Array<'totp' | 'email'> = [];
  if (record.totp?.status === 'active') methods.push('totp');
  if (record.email !== null) methods.push('email');
  return methods;
}

/** The instant until which the agent is locked out, or `null` when attempts are allowed. */
export function lockedUntil(record: AgentRecord, now: number): number | null {
  const until = record.throttle.lockedUntil;
  return until !== null && now < until ? until : null;
}

/**
 * The lock that follows the `failures`-th consecutive failure, in ms, or 0 for none:
 * nothing for the first `freeFailures - 1`, then `baseLockMs` doubling per failure, capped.
 */
export function lockMsAfter(failures: number, config: ThrottleConfig): number {
  if (failures < config.freeFailures) return 0;
  const doublings = Math.min(failures - config.freeFailures, 40); // 2^40 > any sane cap
  return Math.min(config.baseLockMs * 2 ** doublings, config.maxLockMs);
}

/** One more failed verification: counts it and starts or extends the lock. */
export function withFailure(record: AgentRecord, now: number, config: ThrottleConfig): AgentRecord {
  const failures = record.throttle.failures + 1;
  const lockMs = lockMsAfter(failures, config);
  return {
    ...record,
    throttle: { failures, lockedUntil: lockMs > 0 ? now + lockMs : null, lastFailureAt: now },
    updatedAt: now,
  };
}

/** A successful verification or an admin unlock: the failure count and lock are cleared. */
export function withThrottleReset(record: AgentRecord, now: number): AgentRecord {
  if (record.throttle.failures === 0 && record.throttle.lockedUntil === null) return record;
  return { ...record, throttle: { failures: 0, lockedUntil: null, lastFailureAt: null }, updatedAt: now };
}

/**
 * A new TOTP factor; `provisionedBy: 'admin'` makes it active at once (and, like any
 * activation, voids an outstanding email set-up code: see {@link withTotpAccepted}).
 */
export function withNewTotp(
  record: AgentRecord,
  now: number,
  factor: Pick<TotpFactorRecord, 'secret' | 'account' | 'algorithm' | 'digits' | 'periodSeconds' | 'provisionedBy'>,
): AgentRecord {
  const active = factor.provisionedBy === 'admin';
  return {
    ...record,
    emailChallenge: active ? _withoutSetupChallenge(record) : record.emailChallenge,
    totp: {
      ...factor,
      secretEncrypted: false,
      status: active ? 'active' : 'pending',
      createdAt: now,
      activatedAt: active ? now : null,
      confirmedAt: null,
      lastStep: null,
      driftSteps: 0,
      lastUsedAt: null,
    },
    updatedAt: now,
  };
}

/**
 * A TOTP code for `step` was accepted: remember the step (RFC 6238 §5.2, a step is accepted
 * once), the device's drift, activate a pending factor, and clear the throttle. Activation
 * voids an outstanding email set-up code: it was asked for while the agent had no method, and
 * would otherwise let a password alone add email later, without the `sessionVerified` check.
 */
export function withTotpAccepted(record: AgentRecord, now: number, step: number, driftSteps: number): AgentRecord {
  const totp = record.totp;
  if (totp === null) throw new Error('withTotpAccepted: the record has no TOTP factor');
  const next: AgentRecord = {
    ...record,
    emailChallenge: totp.status === 'active' ? record.emailChallenge : _withoutSetupChallenge(record),
    totp: {
      ...totp,
      status: 'active',
      activatedAt: totp.activatedAt ?? now,
      confirmedAt: totp.confirmedAt ?? now,
      lastStep: step,
      driftSteps,
      lastUsedAt: now,
    },
    updatedAt: now,
  };
  return withThrottleReset(next, now);
}

function _withoutSetupChallenge(record: AgentRecord): EmailChallengeRecord | null {
  return record.emailChallenge?.purpose === 'setup' ? null : record.emailChallenge;
}

/**
 * An admin removed 2FA: the factor(s), any pending set-up or outstanding email code, the
 * throttle and the grace start are cleared, so set-up starts afresh.
 */
export function withRemoved(record: AgentRecord, now: number, method: 'totp' | 'email' | undefined): AgentRecord {
  return {
    ...record,
    totp: method === 'email' ? record.totp : null,
    email: method === 'totp' ? record.email : null,
    emailChallenge: method === 'totp' ? record.emailChallenge : null,
    emailSends: method === 'totp' ? record.emailSends : [],
    graceStartedAt: null,
    throttle: { failures: 0, lockedUntil: null, lastFailureAt: null },
    updatedAt: now,
  };
}

// ---------------------------------------------------------------------------------------------
// Email codes. The code itself never reaches the record: only its hash (see src/email/).
// ---------------------------------------------------------------------------------------------

/** Limits of email codes (see `DEFAULTS.email`). */
export interface EmailLimits {
  /** How long a code is valid. */
  ttlMs: number;
  /** Wrong entries allowed per code; the last one burns it. */
  maxAttempts: number;
  /** Least time between two sends. */
  resendCooldownMs: number;
  /** Most sends within any hour. */
  maxSendsPerHour: number;
}

const HOUR_MS = 3_600_000;

/**
 * The send times that still count against the hourly cap at `now`, oldest first. A time up to
 * an hour after `now` (written by a server whose clock runs ahead) is kept: dropping it would
 * let a server whose clock lags skip the cooldown and the cap. One further ahead is a broken
 * clock, and ignored rather than allowed to block sends for longer than the cap's hour.
 */
export function recentEmailSends(record: AgentRecord, now: number): number[] {
  return record.emailSends.filter((t) => t > now - HOUR_MS && t <= now + HOUR_MS).sort((a, b) => a - b);
}

/** Why a new code cannot be sent at `now`, and when it can; `null` when it can. */
export function emailSendBlock(
  record: AgentRecord,
  now: number,
  limits: EmailLimits,
): { reason: 'cooldown' | 'too-many-sends'; retryAt: number } | null {
  const sends = recentEmailSends(record, now);
  const last = sends.at(-1);
  // The cooldown guards an outstanding code; once it was used, the next login may ask at once.
  if (last !== undefined && record.emailChallenge !== null && now < last + limits.resendCooldownMs) {
    return { reason: 'cooldown', retryAt: last + limits.resendCooldownMs };
  }
  if (sends.length >= limits.maxSendsPerHour) return { reason: 'too-many-sends', retryAt: sends[sends.length - limits.maxSendsPerHour]! + HOUR_MS };
  return null;
}

/** A new code was issued: it replaces any outstanding one, and the send is counted. */
export function withEmailChallenge(record: AgentRecord, now: number, challenge: EmailChallengeRecord): AgentRecord {
  // Through recentEmailSends, so one place decides which stamps are kept and in what order.
  const emailSends = recentEmailSends({ ...record, emailSends: [...record.emailSends, now] }, now);
  return { ...record, emailChallenge: challenge, emailSends, updatedAt: now };
}

/**
 * Undoes {@link withEmailChallenge} after the mail could not be sent. When nothing else was
 * written since (the stored record, TOTP factor aside, is still `after`), the record comes
 * back exactly as `before`. Otherwise only our part is taken out: the previous challenge comes
 * back if ours is still the outstanding one, and our send no longer counts.
 */
export function withEmailSendUndone(
  record: AgentRecord,
  now: number,
  sent: {
    challenge: EmailChallengeRecord;
    previous: EmailChallengeRecord | null;
    at: number;
    before: AgentRecord;
    after: AgentRecord;
  },
): AgentRecord {
  // The TOTP factor is left out of the comparison: a save may have encrypted its secret.
  if (_sameJson({ ...record, totp: null }, { ...sent.after, totp: null })) return { ...sent.before, totp: record.totp };
  const current = record.emailChallenge;
  const ours = current !== null && current.hash === sent.challenge.hash && current.issuedAt === sent.challenge.issuedAt;
  const index = record.emailSends.lastIndexOf(sent.at);
  if (!ours && index < 0) return record;
  return {
    ...record,
    emailChallenge: ours ? sent.previous : current,
    emailSends: index < 0 ? record.emailSends : record.emailSends.filter((_, i) => i !== index),
    updatedAt: now,
  };
}

/** Equal as JSON values, whatever the key order (a jsonb column reorders keys). */
function _sameJson(a: unknown, b: unknown): boolean {
  return _canonicalJson(a) === _canonicalJson(b);
}

function _canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(_canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${_canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A wrong email code: one attempt of the challenge is used, and the agent's throttle counts it. */
export function withEmailCodeFailed(record: AgentRecord, now: number, throttle: ThrottleConfig): AgentRecord {
  const challenge = record.emailChallenge;
  if (challenge === null) throw new Error('withEmailCodeFailed: the record has no email challenge');
  return withFailure({ ...record, emailChallenge: { ...challenge, attempts: challenge.attempts + 1 } }, now, throttle);
}

/**
 * The right email code: the challenge is consumed (single use), a `setup` challenge enrolls its
 * address, and the throttle is cleared. Enrolling voids a pending TOTP set-up begun before it
 * (the mirror of {@link withTotpAccepted}).
 */
export function withEmailCodeAccepted(record: AgentRecord, now: number): AgentRecord {
  const challenge = record.emailChallenge;
  if (challenge === null) throw new Error('withEmailCodeAccepted: the record has no email challenge');
  const enrolling = challenge.purpose === 'setup' || record.email === null;
  const email: EmailFactorRecord = enrolling
    ? { address: challenge.address, enrolledAt: now, lastUsedAt: now }
    : { ...record.email!, lastUsedAt: now };
  const totp = enrolling && record.totp?.status === 'pending' ? null : record.totp;
  return withThrottleReset({ ...record, email, totp, emailChallenge: null, updatedAt: now }, now);
}

// ---------------------------------------------------------------------------------------------
// Reading a stored record back. Storage is outside twofold's control (a hand-edited row, a
// bad migration, a bug in an adapter), so a record is checked before any decision rests on it.
// A record that fails is refused with INVALID_RECORD, never treated as "no 2FA".
// ---------------------------------------------------------------------------------------------

type _Check = (value: unknown) => boolean;

const _isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const _time: _Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const _timeOrNull: _Check = (v) => v === null || _time(v);
const _count: _Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const _string: _Check = (v) => typeof v === 'string';
const _stringOrNull: _Check = (v) => v === null || typeof v === 'string';
const _oneOfValues = (...values: readonly unknown[]): _Check => (v) => values.includes(v);
const _intIn = (min: number, max: number): _Check => (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

const TOTP_FIELDS: Record<keyof TotpFactorRecord, _Check> = {
  status: _oneOfValues('pending', 'active'),
  secret: (v) => typeof v === 'string' && v.length > 0,
  secretEncrypted: (v) => typeof v === 'boolean',
  account: _string,
  algorithm: _oneOfValues('SHA1', 'SHA256', 'SHA512'),
  digits: _intIn(6, 8),
  periodSeconds: _intIn(1, 86_400),
  provisionedBy: _oneOfValues('agent', 'admin'),
  createdAt: _time,
  activatedAt: _timeOrNull,
  confirmedAt: _timeOrNull,
  lastStep: (v) => v === null || _count(v),
  driftSteps: _intIn(-10, 10),
  lastUsedAt: _timeOrNull,
};

const EMAIL_FIELDS: Record<keyof EmailFactorRecord, _Check> = {
  address: _string,
  enrolledAt: _time,
  lastUsedAt: _timeOrNull,
};

const CHALLENGE_FIELDS: Record<keyof EmailChallengeRecord, _Check> = {
  purpose: _oneOfValues('setup', 'login'),
  address: _string,
  hash: (v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v),
  salt: (v) => v === null || (typeof v === 'string' && /^[0-9a-f]{32}$/.test(v)),
  digits: _intIn(6, 10),
  issuedAt: _time,
  expiresAt: _time,
  attempts: _count,
};

const THROTTLE_FIELDS: Record<keyof ThrottleRecord, _Check> = {
  failures: _count,
  lockedUntil: _timeOrNull,
  lastFailureAt: _timeOrNull,
};

function _fields(value: unknown, path: string, fields: Record<string, _Check>): void {
  if (!_isObject(value)) throw _invalid(path, 'an object');
  for (const key of Object.keys(fields)) {
    if (!fields[key]!(value[key])) throw _invalid(`${path}.${key}`, 'a valid value');
  }
}

function _nullable(value: unknown, path: string, fields: Record<string, _Check>): void {
  if (value !== null) _fields(value, path, fields);
}

/** The message names the field, never its content: a record holds secrets. */
function _invalid(path: string, expected: string): TwoFactorError {
  return new TwoFactorError('INVALID_RECORD', `stored record: "${path}" is not ${expected}`);
}

/**
 * Checks that a value loaded from storage is an {@link AgentRecord} of this schema and returns it.
 *
 * @throws TwoFactorError `INVALID_RECORD` naming the first field that is wrong (never its value).
 */
export function checkRecord(value: unknown): AgentRecord {
  if (!_isObject(value)) throw _invalid('record', 'an object');
  if (value.schema !== RECORD_SCHEMA) throw _invalid('record.schema', `schema ${RECORD_SCHEMA}`);
  if (typeof value.enforced !== 'boolean') throw _invalid('record.enforced', 'a boolean');
  if (!_timeOrNull(value.graceStartedAt)) throw _invalid('record.graceStartedAt', 'a time or null');
  _nullable(value.totp, 'record.totp', TOTP_FIELDS);
  const totp = value.totp as TotpFactorRecord | null;
  if (totp !== null && !totp.secretEncrypted) {
    // A plain secret must be base32 of a usable length: a damaged one is a damaged record.
    let bytes = 0;
    try {
      bytes = decodeBase32(totp.secret).length;
    } catch {
      throw _invalid('record.totp.secret', 'valid base32');
    }
    if (bytes < 10) throw _invalid('record.totp.secret', 'a secret of at least 10 bytes');
  }
  _nullable(value.email, 'record.email', EMAIL_FIELDS);
  _nullable(value.emailChallenge, 'record.emailChallenge', CHALLENGE_FIELDS);
  if (!Array.isArray(value.emailSends) || !value.emailSends.every(_time)) throw _invalid('record.emailSends', 'a list of times');
  _fields(value.throttle, 'record.throttle', THROTTLE_FIELDS);
  if (!_time(value.updatedAt)) throw _invalid('record.updatedAt', 'a time');
  return value as unknown as AgentRecord;
}
