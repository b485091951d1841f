/**
 * Records read back from storage are checked before any decision rests on them: a damaged
 * record is refused with INVALID_RECORD (naming the field, never its value) and is never read
 * as "this agent has no 2FA".
 */
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/memory.js';
import { checkRecord } from '../../src/record/parse.js';
import { fullRecord } from '../record/_fixtures.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import { CountingStorage, T0, enroll, harness, rejectsWith } from './_helpers.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
/** The secret of the pending set-up in {@link fullPending}. */
const SETUP_SECRET = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';

/** A schema-2 record with every part of an agent with active TOTP and email filled (a mutable copy). */
const full = (): AgentRecord => structuredClone(fullRecord());

/**
 * A schema-2 record with the parts of an agent setting TOTP up filled: no active factor, a
 * pending set-up beside email, and one set-up pushed out by newer ones.
 */
function fullPending(): AgentRecord {
  return {
    ...full(),
    totp: null,
    totpSetups: [
      {
        tokenHash: 'cd'.repeat(32), sessionVerified: true, secret: SETUP_SECRET, secretEncrypted: false, account: 'ann@example.com',
        algorithm: 'SHA256', digits: 8, periodSeconds: 60, createdAt: T0 - 200, expiresAt: T0 + 900_000,
      },
    ],
    droppedTotpSetups: [{ tokenHash: 'ef'.repeat(32), expiresAt: T0 + 800_000 }],
    emailChallenge: { ...full().emailChallenge!, purpose: 'setup', sessionVerified: true },
    throttle: { failures: 100, lockedUntil: null, lastFailureAt: T0 - 50, suspendedAt: T0 - 50 },
  };
}

/** The same agent as {@link full}, as twofold 0.1 stored it (schema 1). */
function fullV1(): Record<string, unknown> {
  const f = full();
  const { sessionVerified: _sv, ...challenge } = f.emailChallenge!;
  const { suspendedAt: _sa, ...throttle } = f.throttle;
  const { totpSetups: _ts, droppedTotpSetups: _dts, ...rest } = f;
  return { ...rest, schema: 1, totp: { status: 'active', ...f.totp! }, emailChallenge: challenge, throttle };
}

/** Sets `path` (dot-separated; a number indexes a list) in a deep copy of `base()`. */
function damaged(path: string, value: unknown, base: () => unknown = full): unknown {
  const copy = structuredClone(base()) as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  if (value === DELETE) delete at[keys.at(-1)!];
  else at[keys.at(-1)!] = value;
  return copy;
}

/** The field name an error gives for `path`: `totpSetups.0.secret` is `totpSetups[0].secret`. */
const fieldName = (path: string) => `record.${path.replace(/\.(\d+)/g, '[$1]')}`;

const DELETE = Symbol('delete');

/** Damage to {@link full}. Schema 3 stands for any schema newer than this version knows. */
const DAMAGE: Array<[string, unknown]> = [
  ['schema', 3], ['schema', 0], ['schema', DELETE], ['enforced', 'yes'], ['enforced', null], ['graceStartedAt', -1],
  ['graceStartedAt', '2026-01-01'], ['totp', 'x'], ['totp', []], ['totp.secret', ''],
  ['totp.secret', 42], ['totp.account', null], ['totp.algorithm', 'MD5'], ['totp.digits', 9], ['totp.digits', 5.5],
  ['totp.periodSeconds', 0], ['totp.provisionedBy', 'robot'], ['totp.createdAt', Number.NaN], ['totp.activatedAt', DELETE],
  ['totp.activatedAt', null], ['totp.confirmedAt', 1.5], ['totp.lastStep', -1], ['totp.driftSteps', 11], ['totp.lastUsedAt', '0'],
  ['totpSetups', null], ['totpSetups', DELETE], ['droppedTotpSetups', null], ['droppedTotpSetups', DELETE],
  ['email', 7], ['email.address', 1], ['email.enrolledAt', null], ['emailChallenge.purpose', 'reset'],
  ['emailChallenge.hash', null], ['emailChallenge.salt', 1], ['emailChallenge.attempts', -1],
  ['emailChallenge.sessionVerified', DELETE], ['emailChallenge.sessionVerified', 'yes'],
  ['emailSends', null], ['emailSends', [1, 'x']], ['throttle', null], ['throttle.failures', -1],
  ['throttle.lockedUntil', Number.POSITIVE_INFINITY], ['throttle.lastFailureAt', DELETE],
  ['throttle.suspendedAt', DELETE], ['throttle.suspendedAt', -1], ['updatedAt', DELETE],
];

/** Damage to the pending set-ups of {@link fullPending}. */
const SETUP_DAMAGE: Array<[string, unknown]> = [
  ['totpSetups', 'x'], ['totpSetups.0', null], ['totpSetups.0.tokenHash', 'cd'.repeat(31)], ['totpSetups.0.tokenHash', 'CD'.repeat(32)],
  ['totpSetups.0.tokenHash', DELETE], ['totpSetups.0.sessionVerified', 1], ['totpSetups.0.secret', ''],
  ['totpSetups.0.secretEncrypted', DELETE], ['totpSetups.0.account', null], ['totpSetups.0.algorithm', 'MD5'],
  ['totpSetups.0.digits', 9], ['totpSetups.0.periodSeconds', 0], ['totpSetups.0.createdAt', -1],
  ['totpSetups.0.expiresAt', Number.NaN], ['totpSetups.0.expiresAt', DELETE],
  ['droppedTotpSetups', {}], ['droppedTotpSetups.0.tokenHash', 'not hex'], ['droppedTotpSetups.0.expiresAt', null],
];

/** Damage to {@link fullV1}: schema 1 is still checked field by field before it is upgraded. */
const V1_DAMAGE: Array<[string, unknown]> = [
  ['totp.status', 'confirmed'], ['totp.status', DELETE], ['totp.activatedAt', '0'], ['totp.secret', ''],
  ['emailChallenge.attempts', -1], ['throttle.failures', -1], ['throttle', null], ['updatedAt', DELETE],
];

function refusal(record: unknown): TwoFactorError {
  let caught: unknown;
  try {
    checkRecord(record);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TwoFactorError);
  const error = caught as TwoFactorError;
  expect(error.code).toBe('INVALID_RECORD');
  return error;
}

describe('checkRecord', () => {
  it('accepts the empty record and a record with every part filled, returning it unchanged', () => {
    const e = emptyRecord(T0);
    expect(checkRecord(e)).toBe(e);
    for (const f of [full(), fullPending()]) {
      expect(checkRecord(f)).toBe(f);
      expect(checkRecord(JSON.parse(JSON.stringify(f)))).toEqual(f);
    }
  });

  it('accepts up to 3 pending set-ups and 8 dropped ones, and no more', () => {
    const p = fullPending();
    const setups = [0, 1, 2].map((i) => ({ ...p.totpSetups[0]!, tokenHash: String(i).repeat(64) }));
    const dropped = Array.from({ length: 8 }, (_, i) => ({ tokenHash: String(i).repeat(64), expiresAt: T0 }));
    const most = { ...p, totpSetups: setups, droppedTotpSetups: dropped };
    expect(checkRecord(most)).toBe(most);
    expect(refusal({ ...most, totpSetups: [...setups, setups[0]] }).message).toContain('record.totpSetups');
    expect(refusal({ ...most, droppedTotpSetups: [...dropped, dropped[0]] }).message).toContain('record.droppedTotpSetups');
  });

  it.each([null, undefined, 'record', 42, [], new Date(0)])('refuses %s as a record', (value) => {
    expect(() => checkRecord(value)).toThrow(TwoFactorError);
  });

  it.each(DAMAGE)('refuses %s = %s, naming the field and never the secret', (path, value) => {
    const error = refusal(damaged(path, value));
    expect(error.message).toContain(fieldName(path));
    expect(error.message).not.toContain(SECRET);
  });

  it.each(SETUP_DAMAGE)('refuses a pending set-up with %s = %s, naming the field and never the secret', (path, value) => {
    const error = refusal(damaged(path, value, fullPending));
    expect(error.message).toContain(fieldName(path));
    expect(error.message).not.toContain(SETUP_SECRET);
    expect(error.message).not.toContain('cd'.repeat(32));
  });
});

describe('checkRecord upgrades a schema-1 record (twofold 0.1)', () => {
  it('an active factor is kept; the email code and the throttle gain their new fields', () => {
    const v1 = fullV1();
    const upgraded = checkRecord(v1);
    expect(upgraded).toEqual(full()); // a login code: not asked for from a verified session
    expect(upgraded.schema).toBe(2);
    expect(upgraded.totp).not.toHaveProperty('status');
    expect(checkRecord(JSON.parse(JSON.stringify(v1)))).toEqual(upgraded);
  });

  it('a pending set-up is dropped (no set-up token was ever handed out for it)', () => {
    const v1 = fullV1();
    const pendingV1 = { ...v1, totp: { ...(v1.totp as object), status: 'pending', activatedAt: null, confirmedAt: null, lastStep: null } };
    const upgraded = checkRecord(pendingV1);
    expect(upgraded.totp).toBeNull();
    expect(upgraded.totpSetups).toEqual([]);
    expect(upgraded.droppedTotpSetups).toEqual([]);
    expect(upgraded.email).toEqual(full().email);
  });

  it('an email set-up code counts as asked for from a verified session exactly when TOTP was active', () => {
    const v1 = fullV1();
    const setupCode = { ...(v1.emailChallenge as object), purpose: 'setup' };
    expect(checkRecord({ ...v1, emailChallenge: setupCode }).emailChallenge!.sessionVerified).toBe(true);
    const noTotp = checkRecord({ ...v1, totp: null, emailChallenge: setupCode });
    expect(noTotp.emailChallenge!.sessionVerified).toBe(false);
  });

  it.each(V1_DAMAGE)('refuses %s = %s, naming the field and never the secret', (path, value) => {
    const error = refusal(damaged(path, value, fullV1));
    expect(error.message).toContain(fieldName(path));
    expect(error.message).not.toContain(SECRET);
  });
});

describe('the service refuses a damaged record and writes nothing', () => {
  it('every operation rejects with INVALID_RECORD, and no save happens', async () => {
    const memory = new MemoryStorage();
    const h = harness({}, memory);
    await enroll(h, 'a');
    const { record, version } = (await memory.load('a'))!;
    const broken = { ...record, throttle: { ...record.throttle, failures: 'many' } } as unknown as AgentRecord;
    expect(await memory.save('a', broken, version)).toBe(true);
    const raw = memory.raw('a');

    const counting = new CountingStorage(memory);
    const { tf } = harness({ storage: counting });
    const calls: Array<() => Promise<unknown>> = [
      () => tf.policy('a'), () => tf.skipSetup('a'), () => tf.beginTotpSetup('a', { account: 'a@example.com' }),
      () => tf.confirmTotpSetup('a', '123456', { setupToken: 'a-set-up-token' }), () => tf.verifyTotp('a', '123456'), () => tf.status('a'),
      () => tf.admin.provisionTotp('a', { account: 'a@example.com' }), () => tf.admin.setEnforced('a', false),
      () => tf.admin.remove('a'), () => tf.admin.unlock('a'),
    ];
    for (const call of calls) {
      const error = await rejectsWith(call(), 'INVALID_RECORD');
      expect(error.message).toContain('record.throttle.failures');
    }
    expect(counting.count('save')).toBe(0);
    expect(memory.raw('a')).toBe(raw);
  });
});

describe('a plain TOTP secret must be base32 (an encrypted one is the cipher\'s to check)', () => {
  it.each([
    ['not base32', 'not base32!'],
    ['a residue of 1', 'A'.repeat(33)],
    ['too short', 'AAAAAAAA'],
  ])('refuses %s', (_name, secret) => {
    const r = full();
    expect(() => checkRecord({ ...r, totp: { ...r.totp!, secret } })).toThrow(/record\.totp\.secret/);
    const p = fullPending();
    expect(() => checkRecord({ ...p, totpSetups: [{ ...p.totpSetups[0]!, secret }] })).toThrow(/record\.totpSetups\[0\]\.secret/);
  });

  it('accepts any non-empty string when the secret is marked encrypted', () => {
    const r = full();
    const sealed = { ...r, totp: { ...r.totp!, secret: 'v1.k1.not-base32!', secretEncrypted: true } };
    expect(checkRecord(sealed)).toBe(sealed);
    const p = fullPending();
    const sealedSetup = { ...p, totpSetups: [{ ...p.totpSetups[0]!, secret: 'v1.k1.not-base32!', secretEncrypted: true }] };
    expect(checkRecord(sealedSetup)).toBe(sealedSetup);
  });
});
