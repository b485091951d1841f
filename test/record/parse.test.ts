/**
 * @module The stored-data parser (src/record/parse.ts): records read back from storage are
 * checked before any decision rests on them. A damaged record is refused with INVALID_RECORD
 * (naming the field, never its value) and is never read as "this agent has no 2FA"; records
 * written by twofold 0.1 (schema 1) load and upgrade: `fixtures/schema-1.json` holds records
 * exactly as 0.1.0 stored them (made by running 0.1.0's service, with its secrets and the clock
 * it ended at). They are upgraded in memory at every load and stored as schema 2 at their next
 * save; a newer or unknown schema is refused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage } from '../../src/memory.js';
import { TwoFactorError } from '../../src/index.js';
import { checkRecord } from '../../src/record/parse.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import { ENTRY_POINTS, harnessFor, thrownBy } from '../support/entry-points.js';
import { T0, codeAt, enroll, harness, rejectsWith, stored, type Harness } from '../support/harness.js';
import { FULL_SECRET, SETUP_SECRET, fullPendingRecord, fullRecordV1, mutableFullRecord } from '../support/records.js';
import { CountingStorage } from '../support/storages.js';

/** Sets `path` (dot-separated; a number indexes a list) in a deep copy of `base()`. */
function damaged(path: string, value: unknown, base: () => unknown = mutableFullRecord): unknown {
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

/** Damage to {@link mutableFullRecord}. Schema 3 stands for any schema newer than this version knows. */
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

/** Damage to the pending set-ups of {@link fullPendingRecord}. */
const SETUP_DAMAGE: Array<[string, unknown]> = [
  ['totpSetups', 'x'], ['totpSetups.0', null], ['totpSetups.0.tokenHash', 'cd'.repeat(31)], ['totpSetups.0.tokenHash', 'CD'.repeat(32)],
  ['totpSetups.0.tokenHash', DELETE], ['totpSetups.0.sessionVerified', 1], ['totpSetups.0.secret', ''],
  ['totpSetups.0.secretEncrypted', DELETE], ['totpSetups.0.account', null], ['totpSetups.0.algorithm', 'MD5'],
  ['totpSetups.0.digits', 9], ['totpSetups.0.periodSeconds', 0], ['totpSetups.0.createdAt', -1],
  ['totpSetups.0.expiresAt', Number.NaN], ['totpSetups.0.expiresAt', DELETE],
  ['droppedTotpSetups', {}], ['droppedTotpSetups.0.tokenHash', 'not hex'], ['droppedTotpSetups.0.expiresAt', null],
];

/** Damage to {@link fullRecordV1}: schema 1 is still checked field by field before it is upgraded. */
const V1_DAMAGE: Array<[string, unknown]> = [
  ['totp.status', 'confirmed'], ['totp.status', DELETE], ['totp.activatedAt', '0'], ['totp.secret', ''],
  ['emailChallenge.attempts', -1], ['throttle.failures', -1], ['throttle', null], ['updatedAt', DELETE],
];

/** Asserts that checkRecord refuses `record` with INVALID_RECORD; returns the error. */
function refusal(record: unknown): TwoFactorError {
  const caught = thrownBy(() => checkRecord(record));
  expect(caught).toBeInstanceOf(TwoFactorError);
  const error = caught as TwoFactorError;
  expect(error.code).toBe('INVALID_RECORD');
  return error;
}

describe('checkRecord', () => {
  it('accepts the empty record and a record with every part filled, returning it unchanged', () => {
    const e = emptyRecord(T0);
    expect(checkRecord(e)).toBe(e);
    for (const f of [mutableFullRecord(), fullPendingRecord()]) {
      expect(checkRecord(f)).toBe(f);
      expect(checkRecord(JSON.parse(JSON.stringify(f)))).toEqual(f);
    }
  });

  it('accepts up to 3 pending set-ups and 8 dropped ones, and no more', () => {
    const p = fullPendingRecord();
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
    expect(error.message).not.toContain(FULL_SECRET);
  });

  it.each(SETUP_DAMAGE)('refuses a pending set-up with %s = %s, naming the field and never the secret', (path, value) => {
    const error = refusal(damaged(path, value, fullPendingRecord));
    expect(error.message).toContain(fieldName(path));
    expect(error.message).not.toContain(SETUP_SECRET);
    expect(error.message).not.toContain('cd'.repeat(32));
  });
});

describe('checkRecord upgrades a schema-1 record (twofold 0.1)', () => {
  it('an active factor is kept; the email code and the throttle gain their new fields', () => {
    const v1 = fullRecordV1();
    const upgraded = checkRecord(v1);
    expect(upgraded).toEqual(mutableFullRecord()); // a login code: not asked for from a verified session
    expect(upgraded.schema).toBe(2);
    expect(upgraded.totp).not.toHaveProperty('status');
    expect(checkRecord(JSON.parse(JSON.stringify(v1)))).toEqual(upgraded);
  });

  it('a pending set-up is dropped (no set-up token was ever handed out for it)', () => {
    const v1 = fullRecordV1();
    const pendingV1 = { ...v1, totp: { ...(v1.totp as object), status: 'pending', activatedAt: null, confirmedAt: null, lastStep: null } };
    const upgraded = checkRecord(pendingV1);
    expect(upgraded.totp).toBeNull();
    expect(upgraded.totpSetups).toEqual([]);
    expect(upgraded.droppedTotpSetups).toEqual([]);
    expect(upgraded.email).toEqual(mutableFullRecord().email);
  });

  it('an email set-up code counts as asked for from a verified session exactly when TOTP was active', () => {
    const v1 = fullRecordV1();
    const setupCode = { ...(v1.emailChallenge as object), purpose: 'setup' };
    expect(checkRecord({ ...v1, emailChallenge: setupCode }).emailChallenge!.sessionVerified).toBe(true);
    const noTotp = checkRecord({ ...v1, totp: null, emailChallenge: setupCode });
    expect(noTotp.emailChallenge!.sessionVerified).toBe(false);
  });

  it.each(V1_DAMAGE)('refuses %s = %s, naming the field and never the secret', (path, value) => {
    const error = refusal(damaged(path, value, fullRecordV1));
    expect(error.message).toContain(fieldName(path));
    expect(error.message).not.toContain(FULL_SECRET);
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
    for (const [name, call] of ENTRY_POINTS) {
      const { tf } = harnessFor(name, { storage: counting });
      const error = await rejectsWith(call(tf, 'a') as Promise<unknown>, 'INVALID_RECORD');
      expect(error.message, name).toContain('record.throttle.failures');
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
    const r = mutableFullRecord();
    expect(() => checkRecord({ ...r, totp: { ...r.totp!, secret } })).toThrow(/record\.totp\.secret/);
    const p = fullPendingRecord();
    expect(() => checkRecord({ ...p, totpSetups: [{ ...p.totpSetups[0]!, secret }] })).toThrow(/record\.totpSetups\[0\]\.secret/);
  });

  it('accepts any non-empty string when the secret is marked encrypted', () => {
    const r = mutableFullRecord();
    const sealed = { ...r, totp: { ...r.totp!, secret: 'v1.k1.not-base32!', secretEncrypted: true } };
    expect(checkRecord(sealed)).toBe(sealed);
    const p = fullPendingRecord();
    const sealedSetup = { ...p, totpSetups: [{ ...p.totpSetups[0]!, secret: 'v1.k1.not-base32!', secretEncrypted: true }] };
    expect(checkRecord(sealedSetup)).toBe(sealedSetup);
  });
});

interface Fixture {
  writtenBy: string;
  clockAfter: number;
  pepper: string;
  secrets: Record<'ann' | 'bob' | 'dan', string>;
  records: Record<'ann' | 'bob' | 'cat' | 'dan', Record<string, unknown>>;
}
const FIXTURE = JSON.parse(readFileSync(new URL('./fixtures/schema-1.json', import.meta.url), 'utf8')) as Fixture;
const V1 = FIXTURE.records;
const BOTH = { totp: true, email: true, requireAll: true, gracePeriod: { days: 14 } };

/** A 0.2 service over a storage holding the 0.1 records, at the instant 0.1 stopped. */
async function upgraded(): Promise<Harness & { mailer: MemoryMailer }> {
  const mailer = new MemoryMailer();
  const h = harness({ settings: BOTH, mailer, email: { pepper: FIXTURE.pepper } });
  h.clock.set(FIXTURE.clockAfter);
  for (const [id, record] of Object.entries(V1)) await h.storage.save(id, record as unknown as AgentRecord, null);
  return { ...h, mailer };
}

describe('checkRecord: schema 1 (twofold 0.1) upgrades to schema 2', () => {
  it('the fixture is 0.1 data', () => {
    expect(FIXTURE.writtenBy).toBe('twofold 0.1.0');
    for (const r of Object.values(V1)) expect(r.schema).toBe(1);
  });

  it('an active factor keeps everything but `status`; the throttle gains suspendedAt null', () => {
    const r = checkRecord(structuredClone(V1.ann));
    const { status: _status, ...factor } = V1.ann.totp as Record<string, unknown>;
    expect(r).toMatchObject({ schema: 2, totp: factor, totpSetups: [], droppedTotpSetups: [], graceStartedAt: V1.ann.graceStartedAt });
    expect(r.totp).not.toHaveProperty('status');
    expect(r.throttle).toEqual({ ...(V1.ann.throttle as object), suspendedAt: null });
  });

  it('a pending set-up is dropped: no token was ever handed out for it', () => {
    expect((V1.bob.totp as { status: string }).status).toBe('pending');
    const r = checkRecord(structuredClone(V1.bob));
    expect([r.totp, r.totpSetups]).toEqual([null, []]);
    expect(JSON.stringify(r)).not.toContain(FIXTURE.secrets.bob);
  });

  it('an email code counts as asked for from a verified session exactly when TOTP was active', () => {
    expect(checkRecord(structuredClone(V1.cat)).emailChallenge).toMatchObject({ purpose: 'login', sessionVerified: false });
    expect(checkRecord(structuredClone(V1.dan)).emailChallenge).toMatchObject({ purpose: 'setup', sessionVerified: true });
  });

  it('the input is not modified; checking the upgrade again gives the same schema-2 record', () => {
    const input = structuredClone(V1.cat);
    const r = checkRecord(input);
    expect(input).toEqual(V1.cat);
    expect(checkRecord(JSON.parse(JSON.stringify(r)))).toEqual(r);
  });

  it.each([
    ['schema 3 (a newer version)', { ...V1.ann, schema: 3 }],
    ['schema 0', { ...V1.ann, schema: 0 }],
    ['schema "1"', { ...V1.ann, schema: '1' }],
    ['schema 1 with a bad factor status', { ...V1.ann, totp: { ...(V1.ann.totp as object), status: 'confirmed' } }],
    ['schema 1 with a bad challenge', { ...V1.cat, emailChallenge: { ...(V1.cat.emailChallenge as object), hash: 'x' } }],
    ['schema 1 with a damaged secret', { ...V1.ann, totp: { ...(V1.ann.totp as object), secret: '1!' } }],
    ['schema 2 fields missing (a schema-1 body claiming 2)', { ...V1.ann, schema: 2 }],
  ])('refuses %s with INVALID_RECORD', (_name, value) => {
    expect(() => checkRecord(value)).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }));
  });
});

describe('the service on 0.1 records', () => {
  it('reads leave the stored record as 0.1 wrote it; the next save stores schema 2', async () => {
    const h = await upgraded();
    expect(await h.tf.policy('ann')).toMatchObject({ next: 'verify', verifyMethods: ['totp'], suspended: false });
    expect((await h.tf.status('ann')).failures).toBe(2);
    expect(stored(h.storage, 'ann')!.schema).toBe(1);
    expect(await h.tf.verifyTotp('ann', codeAt(FIXTURE.secrets.ann, FIXTURE.clockAfter))).toEqual({ ok: true, method: 'totp' });
    const after = stored(h.storage, 'ann')!;
    expect(after.schema).toBe(2);
    expect(checkRecord(after)).toEqual(after);
    expect(after.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
  });

  it('replay protection carries over: the step 0.1 accepted last is still refused', async () => {
    const h = await upgraded();
    const lastStep = (V1.ann.totp as { lastStep: number }).lastStep;
    expect(await h.tf.verifyTotp('ann', codeAt(FIXTURE.secrets.ann, lastStep * 30_000))).toMatchObject({ ok: false });
  });

  it('a 0.1 pending set-up (possibly planted) is gone: a new set-up gets a fresh secret', async () => {
    const h = await upgraded();
    expect((await h.tf.status('bob')).totp).toBeNull();
    const begun = await h.tf.beginTotpSetup('bob', { account: 'bob@acme.test' });
    if (!begun.ok) throw new Error(begun.reason);
    expect(begun.secret).not.toBe(FIXTURE.secrets.bob);
  });

  it('email, the outstanding code, enforcement and an admin factor survive', async () => {
    const h = await upgraded();
    expect(await h.tf.status('cat')).toMatchObject({ enrolled: ['email'], enforced: true, emailCode: { purpose: 'login', attemptsLeft: 5 } });
    expect(await h.tf.status('dan')).toMatchObject({ enrolled: ['totp'], totp: { status: 'active', provisionedBy: 'admin' } });
    expect(await h.tf.verifyTotp('dan', codeAt(FIXTURE.secrets.dan, FIXTURE.clockAfter))).toEqual({ ok: true, method: 'totp' });
    // A wrong code for cat counts on the upgraded record and is stored as schema 2.
    expect(await h.tf.verifyEmailCode('cat', '000000')).toMatchObject({ ok: false });
    expect(stored(h.storage, 'cat')).toMatchObject({ schema: 2, enforced: true, emailChallenge: { attempts: 1, sessionVerified: false } });
  });

  it('a record of a newer schema fails every call with INVALID_RECORD and is left as it is', async () => {
    const h = await upgraded();
    await h.storage.save('eve', { ...V1.ann, schema: 3 } as unknown as AgentRecord, null);
    const raw = h.storage.raw('eve');
    await rejectsWith(h.tf.verifyTotp('eve', '123456'), 'INVALID_RECORD');
    await rejectsWith(h.tf.policy('eve'), 'INVALID_RECORD');
    expect(h.storage.raw('eve')).toBe(raw);
  });
});
