/**
 * Concurrency: parallel calls for one agent really interleave (MemoryStorage awaits inside
 * load and save; DelayedStorage adds random timers and microtask yields; fast-check's scheduler
 * picks adversarial orders), and the compare-and-set still gives exactly one winner per state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/memory.js';
import type { RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/ports.js';
import type { AgentRecord } from '../../src/record/schema.js';
import type { TotpCheckResult } from '../../src/index.js';
import { DelayedStorage, STEP_MS, codeAt, enroll, harness, stored, wrongCode, type Harness } from './_helpers.js';

const PARALLEL = 200;

const STORAGES: Array<{ name: string; make: (memory: MemoryStorage) => TwoFactorStorage }> = [
  { name: 'MemoryStorage', make: (memory) => memory },
  { name: 'DelayedStorage (seed 1)', make: (memory) => new DelayedStorage(memory, 1) },
  { name: 'DelayedStorage (seed 2)', make: (memory) => new DelayedStorage(memory, 2) },
  { name: 'DelayedStorage (seed 3)', make: (memory) => new DelayedStorage(memory, 3) },
];

/** A harness whose service talks to `make(memory)` while `h.storage` is the MemoryStorage under it. */
function harnessOn(make: (memory: MemoryStorage) => TwoFactorStorage, overrides = {}): Harness {
  const memory = new MemoryStorage();
  const h = harness({ storage: make(memory), ...overrides });
  return { ...h, storage: memory };
}

function tally(results: readonly TotpCheckResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.ok ? 'ok' : r.reason;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe.each(STORAGES)('on $name', ({ make }) => {
  it(`${PARALLEL} parallel logins with the same valid code: exactly one ok, the rest replayed`, async () => {
    const h = harnessOn(make);
    const secret = await enroll(h, 'a');
    const code = codeAt(secret, h.clock.now().getTime());
    h.events.length = 0;

    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.tf.verifyTotp('a', code)));

    expect(tally(results)).toEqual({ ok: 1, replayed: PARALLEL - 1 });
    expect(stored(h.storage, 'a')!.totp!.lastStep).toBe(h.clock.now().getTime() / STEP_MS);
    // Only the winning attempt's events are emitted; a lost compare-and-set emits nothing.
    expect(h.events.filter((e) => e.type === 'totp.verified')).toHaveLength(1);
    expect(h.events.filter((e) => e.reason === 'replayed')).toHaveLength(PARALLEL - 1);
    // A replay is not a guess: it does not count toward the throttle.
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(0);
  });

  it(`${PARALLEL} parallel wrong codes: exactly freeFailures (5) are checked, the rest refused locked`, async () => {
    const h = harnessOn(make);
    const secret = await enroll(h, 'a');
    const now = h.clock.now().getTime();
    const bad = wrongCode(secret, now);
    h.events.length = 0;

    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.tf.verifyTotp('a', bad)));

    expect(tally(results)).toEqual({ 'invalid-code': 5, locked: PARALLEL - 5 });
    const lockEnd = now + 30_000;
    // The fifth checked code starts the lock and says so; the four before it do not.
    const checked = results.filter((r) => !r.ok && r.reason === 'invalid-code');
    expect(checked.filter((r) => !r.ok && r.retryAt !== undefined).map((r) => !r.ok && r.retryAt?.getTime())).toEqual([lockEnd]);
    for (const r of results) if (!r.ok && r.reason === 'locked') expect(r.retryAt.getTime()).toBe(lockEnd);

    const status = await h.tf.status('a');
    expect(status.failures).toBe(5);
    expect(status.lockedUntil?.getTime()).toBe(lockEnd);
    expect(stored(h.storage, 'a')!.throttle).toEqual({ failures: 5, lockedUntil: lockEnd, lastFailureAt: now, suspendedAt: null });
    expect(h.events.filter((e) => e.type === 'throttle.locked')).toHaveLength(1);
    expect(h.events.filter((e) => e.reason === 'invalid-code')).toHaveLength(5);
  });

  it('a larger freeFailures (20): no lost update, checked codes = stored failures <= 20', async () => {
    // Over 8 writes can push a caller past the 8 compare-and-set attempts; it then gets
    // STORAGE_CONFLICT (fail closed). On MemoryStorage all 200 callers retry in lockstep and one
    // write lands per round, so only 8 codes get checked and 192 callers get STORAGE_CONFLICT.
    // Whatever the split, no guess is lost, none is accepted, and none goes past the limit.
    const h = harnessOn(make, { throttle: { freeFailures: 20 } });
    const secret = await enroll(h, 'a');
    const bad = wrongCode(secret, h.clock.now().getTime());

    const settled = await Promise.allSettled(Array.from({ length: PARALLEL }, () => h.tf.verifyTotp('a', bad)));

    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const rejected = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    for (const e of rejected) {
      expect(e).toBeInstanceOf(TwoFactorError);
      expect((e as TwoFactorError).code).toBe('STORAGE_CONFLICT');
    }
    expect(results.some((r) => r.ok)).toBe(false);
    const counts = tally(results);
    const checked = counts['invalid-code'] ?? 0;
    expect(checked).toBeGreaterThanOrEqual(8); // at least one write lands per round of 8
    expect(checked).toBeLessThanOrEqual(20);
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(checked);
    expect((counts['locked'] ?? 0) + checked + rejected.length).toBe(PARALLEL);
    if (checked < 20) expect(rejected.length).toBeGreaterThan(0);
  });

  it('parallel beginTotpSetup refreshes (same set-up token): one creates, all return the same secret', async () => {
    const h = harnessOn(make);
    const begun = await h.tf.beginTotpSetup('a', { account: 'a@example.com' });
    if (!begun.ok) throw new Error('setup refused');
    const results = await Promise.all(
      Array.from({ length: 50 }, () => h.tf.beginTotpSetup('a', { account: 'a@example.com', setupToken: begun.setupToken })),
    );
    const secrets = new Set(results.map((r) => (r.ok ? r.secret : r.reason)));
    expect(secrets.size).toBe(1);
    const [secret] = secrets;
    expect(secret).toBe(begun.secret);
    for (const r of results) expect(r).toEqual(begun);
    const record = stored(h.storage, 'a')!;
    expect(record.totp).toBeNull();
    expect(record.totpSetups).toHaveLength(1);
    expect(record.totpSetups[0]).toMatchObject({ secret });
    expect(h.events.filter((e) => e.type === 'totp.setup.started')).toHaveLength(1);
  });

  it('parallel beginTotpSetup without a token on a fresh agent: each begins its own set-up, none is lost', async () => {
    const h = harnessOn(make);
    const results = await Promise.all(Array.from({ length: 3 }, () => h.tf.beginTotpSetup('a', { account: 'a@example.com' })));
    const secrets = results.map((r) => (r.ok ? r.secret : r.reason));
    expect(new Set(secrets).size).toBe(3);
    const record = stored(h.storage, 'a')!;
    expect(record.totp).toBeNull();
    expect(record.totpSetups.map((s) => s.secret).sort()).toEqual([...secrets].sort());
    expect(h.events.filter((e) => e.type === 'totp.setup.started')).toHaveLength(3);
  });

  it('parallel confirmTotpSetup with the same valid code: exactly one ok, the rest already-enrolled', async () => {
    const h = harnessOn(make);
    const begun = await h.tf.beginTotpSetup('a', { account: 'a@example.com' });
    if (!begun.ok) throw new Error('setup refused');
    const code = codeAt(begun.secret, h.clock.now().getTime());

    const results = await Promise.all(Array.from({ length: 50 }, () => h.tf.confirmTotpSetup('a', code, { setupToken: begun.setupToken })));

    expect(tally(results)).toEqual({ ok: 1, 'already-enrolled': 49 });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ secret: begun.secret, activatedAt: expect.any(Number) }); // active
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
    expect(h.events.filter((e) => e.type === 'totp.setup.confirmed')).toHaveLength(1);
  });

  it('parallel wrong and right codes at once: the right one wins only if it came before the lock', async () => {
    const h = harnessOn(make);
    const secret = await enroll(h, 'a');
    const now = h.clock.now().getTime();
    const bad = wrongCode(secret, now);
    const good = codeAt(secret, now);
    const calls = Array.from({ length: 100 }, (_, i) => (i === 50 ? good : bad));

    const results = await Promise.all(calls.map((c) => h.tf.verifyTotp('a', c)));

    const counts = tally(results);
    const record = stored(h.storage, 'a')!;
    if (results[50]!.ok) {
      // The success reset the throttle; the wrong codes counted after it are what is stored.
      expect(counts['ok']).toBe(1);
      expect(record.totp!.lastStep).toBe(now / STEP_MS);
      expect(record.throttle.failures).toBeLessThanOrEqual(5);
    } else {
      expect(results[50]).toMatchObject({ ok: false, reason: 'locked' });
      expect(counts['invalid-code']).toBe(5);
      expect(record.throttle.failures).toBe(5);
    }
    // Never more than 5 wrong codes in a row checked without a lock, success or not.
    expect(counts['invalid-code']! - (results[50]!.ok ? 5 : 0)).toBeLessThanOrEqual(5);
  });

  it('agents do not interfere: 100 agents in parallel, each with one good and one replayed code', async () => {
    const h = harnessOn(make);
    const ids = Array.from({ length: 100 }, (_, i) => `agent-${i}`);
    const provisioned = await Promise.all(ids.map((id) => h.tf.admin.provisionTotp(id, { account: `${id}@example.com` })));
    const secrets = provisioned.map((r) => {
      if (!r.ok) throw new Error('provision refused');
      return r.secret;
    });
    const now = h.clock.now().getTime();
    const results = await Promise.all(
      ids.flatMap((id, i) => [h.tf.verifyTotp(id, codeAt(secrets[i]!, now)), h.tf.verifyTotp(id, codeAt(secrets[i]!, now))]),
    );
    for (let i = 0; i < ids.length; i++) {
      expect(tally([results[2 * i]!, results[2 * i + 1]!])).toEqual({ ok: 1, replayed: 1 });
    }
  });
});

/**
 * fast-check's scheduler decides when each load and save starts and when its result returns,
 * so the property sees adversarial interleavings, not just the ones timers happen to produce.
 */
class ScheduledStorage implements TwoFactorStorage {
  constructor(
    readonly inner: TwoFactorStorage,
    readonly s: fc.Scheduler,
  ) {}

  async load(agentId: string): Promise<StoredRecord | null> {
    await this.s.schedule(Promise.resolve(), 'load:start');
    const got = await this.inner.load(agentId);
    await this.s.schedule(Promise.resolve(), 'load:end');
    return got;
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    await this.s.schedule(Promise.resolve(), 'save:start');
    const ok = await this.inner.save(agentId, record, expected);
    await this.s.schedule(Promise.resolve(), 'save:end');
    return ok;
  }
}

describe('under fast-check scheduled interleavings', () => {
  it('wrong codes: checked = stored failures = freeFailures, rest locked; same good code: one ok', async () => {
    // Enrolment happens once, before the scheduler takes over; each run starts from a copy.
    const base = harness();
    const secret = await enroll(base, 'a');
    const now = base.clock.now().getTime();
    const snapshot = base.storage.raw('a')!;
    const bad = wrongCode(secret, now);
    const good = codeAt(secret, now);

    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 16 }),
        fc.boolean(),
        async (s, freeFailures, parallel, sameGood) => {
          const memory = new MemoryStorage();
          await memory.save('a', JSON.parse(snapshot) as AgentRecord, null);
          const h = harness({ storage: new ScheduledStorage(memory, s), throttle: { freeFailures } });
          h.clock.set(now);
          const code = sameGood ? good : bad;
          const all = Promise.allSettled(Array.from({ length: parallel }, () => h.tf.verifyTotp('a', code)));
          const settled = await s.waitFor(all);

          const record = stored(memory, 'a')!;
          const results = settled.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
          const conflicts = settled.length - results.length;
          const counts = tally(results);
          if (sameGood) {
            expect(conflicts).toBe(0); // one write in total: nobody can lose 8 times
            expect(counts).toEqual({ ok: 1, replayed: parallel - 1 });
          } else {
            const checked = counts['invalid-code'] ?? 0;
            expect(checked).toBe(Math.min(parallel, freeFailures));
            expect(record.throttle.failures).toBe(checked);
            expect(counts['locked'] ?? 0).toBe(parallel - checked - conflicts);
            // At most freeFailures writes happen, so at most that many lost races per caller.
            if (freeFailures < 8) expect(conflicts).toBe(0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
