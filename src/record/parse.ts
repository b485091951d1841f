/**
 * Reading a stored record back. Storage is outside twofold's control (a hand-edited
 * row, a bad migration, a bug in an adapter), so a record is checked before any decision rests
 * on it, and one written by an older version is upgraded in memory (it is stored in the new
 * shape at its next save). A record that fails is refused with `INVALID_RECORD`, never
 * treated as "no 2FA".
 * @module
 */
import { TwoFactorError } from '../errors.js';
import { _ALGORITHMS, _DIGITS, _EMAIL_DIGITS, _PERIOD_SECONDS, _WINDOW_STEPS, type _Range } from '../shared/limits.js';
import { decodeBase32 } from '../otp/base32.js';
import { RECORD_SCHEMA, type AgentRecord } from './schema.js';

type _Check = (value: unknown) => boolean;

const _isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const _time: _Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const _timeOrNull: _Check = (v) => v === null || _time(v);
const _count: _Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const _string: _Check = (v) => typeof v === 'string';
const _bool: _Check = (v) => typeof v === 'boolean';
const _oneOfValues = (...values: readonly unknown[]): _Check => (v) => values.includes(v);
const _intIn = (min: number, max: number): _Check => (v) => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const _inRange = ({ min, max }: _Range): _Check => _intIn(min, max);
const _hex = (length: number): _Check => (v) => typeof v === 'string' && v.length === length && /^[0-9a-f]*$/.test(v);

const KEY_FIELDS: Record<string, _Check> = {
  secret: (v) => typeof v === 'string' && v.length > 0,
  secretEncrypted: _bool,
  account: _string,
  algorithm: _oneOfValues(..._ALGORITHMS),
  digits: _inRange(_DIGITS),
  periodSeconds: _inRange(_PERIOD_SECONDS),
};

const FACTOR_FIELDS: Record<string, _Check> = {
  ...KEY_FIELDS,
  provisionedBy: _oneOfValues('agent', 'admin'),
  createdAt: _time,
  activatedAt: _time,
  confirmedAt: _timeOrNull,
  lastStep: (v) => v === null || _count(v),
  driftSteps: _intIn(-_WINDOW_STEPS.max, _WINDOW_STEPS.max),
  lastUsedAt: _timeOrNull,
};

/** Schema 1 kept a pending set-up in the factor slot, with `status` telling them apart. */
const FACTOR_FIELDS_V1: Record<string, _Check> = {
  ...FACTOR_FIELDS,
  status: _oneOfValues('pending', 'active'),
  activatedAt: _timeOrNull,
};

const SETUP_FIELDS: Record<string, _Check> = {
  ...KEY_FIELDS,
  tokenHash: _hex(64),
  sessionVerified: _bool,
  createdAt: _time,
  expiresAt: _time,
};

const DROPPED_FIELDS: Record<string, _Check> = { tokenHash: _hex(64), expiresAt: _time };

const EMAIL_FIELDS: Record<string, _Check> = { address: _string, enrolledAt: _time, lastUsedAt: _timeOrNull };

const CHALLENGE_FIELDS_V1: Record<string, _Check> = {
  purpose: _oneOfValues('setup', 'login'),
  address: _string,
  hash: _hex(64),
  salt: (v) => v === null || _hex(32)(v),
  digits: _inRange(_EMAIL_DIGITS),
  issuedAt: _time,
  expiresAt: _time,
  attempts: _count,
};
const CHALLENGE_FIELDS: Record<string, _Check> = { ...CHALLENGE_FIELDS_V1, sessionVerified: _bool };

const RECOVERY_FIELDS: Record<string, _Check> = {
  createdAt: _time,
  digests: (v) => Array.isArray(v) && v.length <= 100 && v.every(_hex(64)),
  kdf: _oneOfValues('hmac', 'scrypt'),
  pepperId: (v) => v === null || _hex(16)(v),
  salt: (v) => v === null || _hex(32)(v),
  scrypt: (v) =>
    v === null ||
    (_isObject(v) && _intIn(2, 2 ** 20)(v.N) && _intIn(1, 64)(v.r) && _intIn(1, 16)(v.p) && _intIn(16, 64)(v.dkLen)),
  failures: _count,
  lockedUntil: _timeOrNull,
  lastFailureAt: _timeOrNull,
};

const THROTTLE_FIELDS_V1: Record<string, _Check> = { failures: _count, lockedUntil: _timeOrNull, lastFailureAt: _timeOrNull };
const THROTTLE_FIELDS: Record<string, _Check> = { ...THROTTLE_FIELDS_V1, suspendedAt: _timeOrNull };

function _fields(value: unknown, path: string, fields: Record<string, _Check>): void {
  if (!_isObject(value)) throw _invalid(path, 'an object');
  for (const key of Object.keys(fields)) {
    if (!fields[key]!(value[key])) throw _invalid(`${path}.${key}`, 'a valid value');
  }
}

function _nullable(value: unknown, path: string, fields: Record<string, _Check>): void {
  if (value !== null) _fields(value, path, fields);
}

function _list(value: unknown, path: string, fields: Record<string, _Check>, max: number): void {
  if (!Array.isArray(value) || value.length > max) throw _invalid(path, `a list of at most ${max}`);
  value.forEach((item, i) => _fields(item, `${path}[${i}]`, fields));
}

/** The message names the field, never its content: a record holds secrets. */
function _invalid(path: string, expected: string): TwoFactorError {
  return new TwoFactorError('INVALID_RECORD', `stored record: "${path}" is not ${expected}`);
}

/** A plain secret must be base32 of a usable length: a damaged one is a damaged record. */
function _plainSecret(key: { secret: string; secretEncrypted: boolean } | null, path: string): void {
  if (key === null || key.secretEncrypted) return;
  let bytes = 0;
  try {
    bytes = decodeBase32(key.secret).length;
  } catch {
    throw _invalid(`${path}.secret`, 'valid base32');
  }
  if (bytes < 10) throw _invalid(`${path}.secret`, 'a secret of at least 10 bytes');
}

/** The fields every schema shares. */
function _common(value: Record<string, unknown>): void {
  if (typeof value.enforced !== 'boolean') throw _invalid('record.enforced', 'a boolean');
  if (!_timeOrNull(value.graceStartedAt)) throw _invalid('record.graceStartedAt', 'a time or null');
  _nullable(value.email, 'record.email', EMAIL_FIELDS);
  if (!Array.isArray(value.emailSends) || !value.emailSends.every(_time)) throw _invalid('record.emailSends', 'a list of times');
  if (!_time(value.updatedAt)) throw _invalid('record.updatedAt', 'a time');
}

function _checkV2(value: Record<string, unknown>): AgentRecord {
  _common(value);
  _nullable(value.totp, 'record.totp', FACTOR_FIELDS);
  _plainSecret(value.totp as AgentRecord['totp'], 'record.totp');
  _list(value.totpSetups, 'record.totpSetups', SETUP_FIELDS, 3);
  (value.totpSetups as AgentRecord['totpSetups']).forEach((s, i) => _plainSecret(s, `record.totpSetups[${i}]`));
  _list(value.droppedTotpSetups, 'record.droppedTotpSetups', DROPPED_FIELDS, 8);
  _nullable(value.emailChallenge, 'record.emailChallenge', CHALLENGE_FIELDS);
  _fields(value.throttle, 'record.throttle', THROTTLE_FIELDS);
  // Fields added to schema 2 later are optional: absent means empty.
  const recovery = value.recovery ?? null;
  _nullable(recovery, 'record.recovery', RECOVERY_FIELDS);
  const r = recovery as AgentRecord['recovery'];
  if (r !== null && (r.kdf === 'hmac' ? r.pepperId === null : r.salt === null || r.scrypt === null)) {
    throw _invalid('record.recovery', `complete for ${r.kdf}`);
  }
  const lastVerifiedAt = value.lastVerifiedAt ?? null;
  if (!_timeOrNull(lastVerifiedAt)) throw _invalid('record.lastVerifiedAt', 'a time or null');
  // A record that has every field is returned as it is; one written before a field existed gets it.
  if ('recovery' in value && 'lastVerifiedAt' in value) return value as unknown as AgentRecord;
  return { ...(value as unknown as AgentRecord), recovery: r, lastVerifiedAt: lastVerifiedAt as number | null };
}

/**
 * Schema 1 (twofold 0.1) to 2. A pending set-up is dropped: no set-up token was ever handed
 * out for it, so it could not be confirmed, and dropping it also voids any set-up planted
 * before the upgrade; the agent begins again. An outstanding email set-up code counts as asked
 * for from a verified session exactly when TOTP was active (0.1 demanded that then).
 */
function _upgradeV1(value: Record<string, unknown>): AgentRecord {
  _common(value);
  _nullable(value.totp, 'record.totp', FACTOR_FIELDS_V1);
  _nullable(value.emailChallenge, 'record.emailChallenge', CHALLENGE_FIELDS_V1);
  _fields(value.throttle, 'record.throttle', THROTTLE_FIELDS_V1);
  const old = value.totp as (Omit<NonNullable<AgentRecord['totp']>, 'activatedAt'> & { status: string; activatedAt: number | null }) | null;
  let totp: AgentRecord['totp'] = null;
  if (old !== null && old.status === 'active') {
    const { status: _status, ...factor } = old;
    totp = { ...factor, activatedAt: old.activatedAt ?? old.createdAt };
    _plainSecret(totp, 'record.totp');
  }
  const challenge = value.emailChallenge as Omit<NonNullable<AgentRecord['emailChallenge']>, 'sessionVerified'> | null;
  const throttle = value.throttle as Omit<AgentRecord['throttle'], 'suspendedAt'>;
  return {
    schema: RECORD_SCHEMA,
    enforced: value.enforced as boolean,
    graceStartedAt: value.graceStartedAt as number | null,
    totp,
    totpSetups: [],
    droppedTotpSetups: [],
    email: value.email as AgentRecord['email'],
    emailChallenge: challenge === null ? null : { ...challenge, sessionVerified: challenge.purpose === 'setup' && totp !== null },
    emailSends: value.emailSends as number[],
    throttle: { failures: throttle.failures, lockedUntil: throttle.lockedUntil, lastFailureAt: throttle.lastFailureAt, suspendedAt: null },
    recovery: null,
    lastVerifiedAt: null,
    updatedAt: value.updatedAt as number,
  };
}

/**
 * Checks that a value loaded from storage is an {@link AgentRecord} and returns it in the
 * current schema: schema 2 as it is, schema 1 (twofold 0.1) upgraded. Any other schema,
 * including a newer one, is refused: this version cannot know what a newer one means.
 *
 * @throws TwoFactorError `INVALID_RECORD` naming the first field that is wrong (never its value).
 */
export function checkRecord(value: unknown): AgentRecord {
  if (!_isObject(value)) throw _invalid('record', 'an object');
  if (value.schema === RECORD_SCHEMA) return _checkV2(value);
  if (value.schema === 1) return _upgradeV1(value);
  throw _invalid('record.schema', `schema 1 or ${RECORD_SCHEMA}`);
}
