/**
 * Records read back from storage are checked before any decision rests on them: a damaged
 * record is refused with INVALID_RECORD (naming the field, never its value) and is never read
 * as "this agent has no 2FA".
 */
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/memory.js';
import { checkRecord, emptyRecord, type AgentRecord } from '../../src/record.js';
import { CountingStorage, T0, enroll, harness, rejectsWith } from './_helpers.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

function full(): AgentRecord {
  return {
    ...emptyRecord(T0),
    enforced: true,
    graceStartedAt: T0 - 1000,
    totp: {
      status: 'active', secret: SECRET, secretEncrypted: false, account: 'ann@example.com', algorithm: 'SHA1', digits: 6,
      periodSeconds: 30, provisionedBy: 'agent', createdAt: T0 - 5000, activatedAt: T0 - 4000,
      confirmedAt: T0 - 4000, lastStep: 100, driftSteps: 1, lastUsedAt: T0 - 3000,
    },
    email: { address: 'ann@example.com', enrolledAt: T0 - 2000, lastUsedAt: null },
    emailChallenge: {
      purpose: 'login', address: 'ann@example.com', hash: 'ab'.repeat(32), salt: null, digits: 6,
      issuedAt: T0 - 100, expiresAt: T0 + 600_000, attempts: 1,
    },
    emailSends: [T0 - 100],
    throttle: { failures: 3, lockedUntil: null, lastFailureAt: T0 - 50 },
  };
}

/** Sets `path` (dot-separated) in a deep copy of the full record. */
function damaged(path: string, value: unknown): unknown {
  const copy = structuredClone(full()) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  if (value === DELETE) delete at[keys.at(-1)!];
  else at[keys.at(-1)!] = value;
  return copy;
}

const DELETE = Symbol('delete');

const DAMAGE: Array<[string, unknown]> = [
  ['schema', 2], ['schema', DELETE], ['enforced', 'yes'], ['enforced', null], ['graceStartedAt', -1],
  ['graceStartedAt', '2026-01-01'], ['totp', 'x'], ['totp', []], ['totp.status', 'confirmed'], ['totp.secret', ''],
  ['totp.secret', 42], ['totp.account', null], ['totp.algorithm', 'MD5'], ['totp.digits', 9], ['totp.digits', 5.5],
  ['totp.periodSeconds', 0], ['totp.provisionedBy', 'robot'], ['totp.createdAt', Number.NaN], ['totp.activatedAt', DELETE],
  ['totp.confirmedAt', 1.5], ['totp.lastStep', -1], ['totp.driftSteps', 11], ['totp.lastUsedAt', '0'],
  ['email', 7], ['email.address', 1], ['email.enrolledAt', null], ['emailChallenge.purpose', 'reset'],
  ['emailChallenge.hash', null], ['emailChallenge.salt', 1], ['emailChallenge.attempts', -1],
  ['emailSends', null], ['emailSends', [1, 'x']], ['throttle', null], ['throttle.failures', -1],
  ['throttle.lockedUntil', Number.POSITIVE_INFINITY], ['throttle.lastFailureAt', DELETE], ['updatedAt', DELETE],
];

describe('checkRecord', () => {
  it('accepts the empty record and a record with every part filled, returning it unchanged', () => {
    const e = emptyRecord(T0);
    expect(checkRecord(e)).toBe(e);
    const f = full();
    expect(checkRecord(f)).toBe(f);
    expect(checkRecord(JSON.parse(JSON.stringify(f)))).toEqual(f);
  });

  it.each([null, undefined, 'record', 42, [], new Date(0)])('refuses %s as a record', (value) => {
    expect(() => checkRecord(value)).toThrow(TwoFactorError);
  });

  it.each(DAMAGE)('refuses %s = %s, naming the field and never the secret', (path, value) => {
    let caught: unknown;
    try {
      checkRecord(damaged(path, value));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TwoFactorError);
    const error = caught as TwoFactorError;
    expect(error.code).toBe('INVALID_RECORD');
    expect(error.message).toContain(`record.${path}`);
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
      () => tf.confirmTotpSetup('a', '123456'), () => tf.verifyTotp('a', '123456'), () => tf.status('a'),
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
  });

  it('accepts any non-empty string when the secret is marked encrypted', () => {
    const r = full();
    const sealed = { ...r, totp: { ...r.totp!, secret: 'v1.k1.not-base32!', secretEncrypted: true } };
    expect(checkRecord(sealed)).toBe(sealed);
  });
});
