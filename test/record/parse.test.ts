/**
 * Records written by twofold 0.1 (schema 1) load and upgrade: `fixtures/schema-1.json` holds
 * records exactly as 0.1.0 stored them (made by running 0.1.0's service, with its secrets and
 * the clock it ended at). They are upgraded in memory at every load and stored as schema 2 at
 * their next save; a newer or unknown schema is refused.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MemoryMailer } from '../../src/memory.js';
import { checkRecord } from '../../src/record/parse.js';
import type { AgentRecord } from '../../src/record/schema.js';
import { codeAt, harness, rejectsWith, stored, type Harness } from '../service/_helpers.js';

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
