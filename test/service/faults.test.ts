/**
 * Faults: a storage that throws on the Nth call, for every N an operation reaches, with and
 * without a lost compare-and-set first; a save that never wins; a save that breaks its contract.
 * Each time, the operation reports the failure and the record at rest is exactly what it was.
 */
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/memory.js';
import type { PolicySettings } from '../../src/policy/types.js';
import type { RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/ports.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import type { TwoFactor, TwoFactorOptions } from '../../src/index.js';
import {
  FaultyStorage,
  T0,
  TOTP_ONLY,
  codeAt,
  enroll,
  harness,
  rejectsWith,
  wrongCode,
  type Harness,
} from './_helpers.js';

const GRACE_DAYS: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } };

interface FaultCase {
  name: string;
  settings?: PolicySettings;
  throttle?: TwoFactorOptions['throttle'];
  /** Brings agent 'a' to the state the operation starts from (storage not faulty yet). */
  setup: (h: Harness) => Promise<unknown>;
  /** The operation; `ctx` is what setup returned. */
  run: (tf: TwoFactor, ctx: unknown, h: Harness) => Promise<unknown>;
}

const seedEmpty = (h: Harness) => h.storage.save('a', emptyRecord(T0), null);
/** A pending set-up: its secret (the agent's app) and its set-up token (the host's session). */
interface Pending {
  secret: string;
  setupToken: string;
}
const pending = async (h: Harness): Promise<Pending> => {
  const r = await h.tf.beginTotpSetup('a', { account: 'a@example.com' });
  if (!r.ok) throw new Error('setup refused');
  return { secret: r.secret, setupToken: r.setupToken };
};
const locked = async (h: Harness) => {
  const secret = await enroll(h, 'a');
  for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, h.clock.now().getTime()));
  return secret;
};

const CASES: FaultCase[] = [
  { name: 'policy starting a { days } grace (fresh agent)', settings: GRACE_DAYS, setup: async () => {}, run: (tf) => tf.policy('a') },
  { name: 'policy starting a { days } grace (existing record)', settings: GRACE_DAYS, setup: seedEmpty, run: (tf) => tf.policy('a') },
  { name: 'skipSetup starting a { days } grace', settings: GRACE_DAYS, setup: seedEmpty, run: (tf) => tf.skipSetup('a') },
  { name: 'beginTotpSetup (fresh agent)', setup: async () => {}, run: (tf) => tf.beginTotpSetup('a', { account: 'a@example.com' }) },
  { name: 'beginTotpSetup (existing record)', setup: seedEmpty, run: (tf) => tf.beginTotpSetup('a', { account: 'a@example.com' }) },
  {
    name: 'beginTotpSetup refresh with a new account',
    setup: pending,
    run: (tf, p) => tf.beginTotpSetup('a', { account: 'new@example.com', setupToken: (p as Pending).setupToken }),
  },
  // Without the set-up token, a new set-up begins beside the pending one (what `restart` was).
  { name: 'beginTotpSetup restart (no set-up token)', setup: pending, run: (tf) => tf.beginTotpSetup('a', { account: 'a@example.com' }) },
  {
    name: 'confirmTotpSetup with a valid code',
    setup: pending,
    run: (tf, p, h) => tf.confirmTotpSetup('a', codeAt((p as Pending).secret, h.clock.now().getTime()), { setupToken: (p as Pending).setupToken }),
  },
  {
    name: 'confirmTotpSetup with a wrong code',
    setup: pending,
    run: (tf, p, h) => tf.confirmTotpSetup('a', wrongCode((p as Pending).secret, h.clock.now().getTime()), { setupToken: (p as Pending).setupToken }),
  },
  {
    name: 'verifyTotp with a valid code',
    setup: (h) => enroll(h, 'a'),
    run: (tf, secret, h) => tf.verifyTotp('a', codeAt(secret as string, h.clock.now().getTime())),
  },
  {
    name: 'verifyTotp with a wrong code',
    setup: (h) => enroll(h, 'a'),
    run: (tf, secret, h) => tf.verifyTotp('a', wrongCode(secret as string, h.clock.now().getTime())),
  },
  {
    name: 'verifyTotp with the wrong code that starts the lock',
    setup: async (h) => {
      const secret = await enroll(h, 'a');
      for (let i = 0; i < 4; i++) await h.tf.verifyTotp('a', wrongCode(secret, h.clock.now().getTime()));
      return secret;
    },
    run: (tf, secret, h) => tf.verifyTotp('a', wrongCode(secret as string, h.clock.now().getTime())),
  },
  {
    // A hard limit of 3: the 2nd failure locks for 30 s, the 3rd (after the lock) suspends.
    name: 'verifyTotp with the wrong code that reaches the hard limit (suspends)',
    throttle: { freeFailures: 2, maxConsecutiveFailures: 3 },
    setup: async (h) => {
      const secret = await enroll(h, 'a');
      for (let i = 0; i < 2; i++) await h.tf.verifyTotp('a', wrongCode(secret, h.clock.now().getTime()));
      h.clock.advance(30_000);
      return secret;
    },
    run: (tf, secret, h) => tf.verifyTotp('a', wrongCode(secret as string, h.clock.now().getTime())),
  },
  { name: 'admin.provisionTotp (fresh agent)', setup: async () => {}, run: (tf) => tf.admin.provisionTotp('a', { account: 'a@example.com' }) },
  { name: 'admin.provisionTotp over a pending set-up', setup: pending, run: (tf) => tf.admin.provisionTotp('a', { account: 'a@example.com' }) },
  { name: 'admin.setEnforced(true) (fresh agent)', setup: async () => {}, run: (tf) => tf.admin.setEnforced('a', true) },
  { name: 'admin.setEnforced(true) (existing record)', setup: seedEmpty, run: (tf) => tf.admin.setEnforced('a', true) },
  { name: 'admin.setEnforced(false)', setup: (h) => h.tf.admin.setEnforced('a', true), run: (tf) => tf.admin.setEnforced('a', false) },
  { name: 'admin.remove (all)', setup: (h) => enroll(h, 'a'), run: (tf) => tf.admin.remove('a') },
  { name: 'admin.remove ({ method: totp })', setup: (h) => enroll(h, 'a'), run: (tf) => tf.admin.remove('a', { method: 'totp' }) },
  { name: 'admin.unlock', setup: locked, run: (tf) => tf.admin.unlock('a') },
  { name: 'status', setup: locked, run: (tf) => tf.status('a') },
];

/** A harness whose service goes through a FaultyStorage over `h.storage`. */
function faultyHarness(settings: PolicySettings = TOTP_ONLY, throttle?: TwoFactorOptions['throttle']): Harness & { faulty: FaultyStorage } {
  const memory = new MemoryStorage();
  const faulty = new FaultyStorage(memory);
  const h = harness({ storage: faulty, settings, ...(throttle === undefined ? {} : { throttle }) });
  return { ...h, storage: memory, faulty };
}

describe.each([
  { variant: 'straight through', conflictOnce: false },
  { variant: 'after one lost compare-and-set', conflictOnce: true },
])('storage throws on the Nth call, $variant', ({ conflictOnce }) => {
  it.each(CASES)('$name: STORAGE_FAILED with the cause, record unchanged, no event', async (c) => {
    let tested = 0;
    for (let n = 1; ; n++) {
      const h = faultyHarness(c.settings, c.throttle);
      const ctx = await c.setup(h);
      const before = h.storage.raw('a');
      h.events.length = 0;
      h.faulty.reset(n, conflictOnce);

      let caught: unknown;
      try {
        await c.run(h.tf, ctx, h);
      } catch (e) {
        caught = e;
      }
      if (h.faulty.calls < n) {
        // The operation finished before reaching call n: every call it makes has been failed once.
        expect(caught).toBeUndefined();
        expect(tested).toBeGreaterThan(0);
        break;
      }
      expect(caught, `call ${n}`).toBeInstanceOf(TwoFactorError);
      expect((caught as TwoFactorError).code).toBe('STORAGE_FAILED');
      expect((caught as TwoFactorError).cause).toBe(h.faulty.error);
      expect(h.storage.raw('a'), `record after a failure at call ${n}`).toBe(before);
      expect(h.events).toEqual([]);
      tested++;
    }
  });
});

it('the fault table reaches the retry path: with a lost compare-and-set, writers make 4 calls', async () => {
  // Guards the table above: if conflictOnce stopped causing a retry, this would catch it.
  const h = faultyHarness();
  const secret = await enroll(h, 'a');
  h.faulty.reset(0, true);
  expect(await h.tf.verifyTotp('a', codeAt(secret, h.clock.now().getTime()))).toEqual({ ok: true, method: 'totp' });
  expect(h.faulty.calls).toBe(4); // load, save (lost), load, save
});

describe('a save that always loses', () => {
  it.each(CASES.filter((c) => c.name !== 'status'))('$name: STORAGE_CONFLICT after exactly 8 attempts, record unchanged', async (c) => {
    // Set up through a working service, then run the operation through one on the same
    // records (and the same time) whose saves all lose.
    const throttle = c.throttle === undefined ? {} : { throttle: c.throttle };
    const h = harness({ settings: c.settings ?? TOTP_ONLY, ...throttle });
    const ctx = await c.setup(h);
    const memory = h.storage;
    const before = memory.raw('a');
    const losing = new NeverWinsOver(memory);
    const h2 = harness({ storage: losing, settings: c.settings ?? TOTP_ONLY, ...throttle });
    h2.clock.set(h.clock.now());

    const error = await rejectsWith(c.run(h2.tf, ctx, { ...h2, storage: memory }), 'STORAGE_CONFLICT');
    expect(error.message).toMatch(/8/);
    expect(losing.loads).toBe(8);
    expect(losing.saves).toBe(8);
    expect(memory.raw('a')).toBe(before);
    expect(h2.events).toEqual([]);
  });

  it('storageAttempts changes the bound', async () => {
    const memory = new MemoryStorage();
    const losing = new NeverWinsOver(memory);
    const h = harness({ storage: losing, storageAttempts: 3 });
    await rejectsWith(h.tf.admin.setEnforced('a', true), 'STORAGE_CONFLICT');
    expect([losing.loads, losing.saves]).toEqual([3, 3]);
  });
});

/** Loads from `inner`; every save resolves false without writing. */
class NeverWinsOver implements TwoFactorStorage {
  loads = 0;
  saves = 0;
  constructor(readonly inner: TwoFactorStorage) {}
  load(agentId: string): Promise<StoredRecord | null> {
    this.loads++;
    return this.inner.load(agentId);
  }
  async save(): Promise<boolean> {
    this.saves++;
    return false;
  }
}

describe('a save that breaks its contract', () => {
  it.each([
    { name: 'undefined', value: undefined },
    { name: 'null', value: null },
    { name: '1', value: 1 },
    { name: "'true'", value: 'true' },
    { name: 'an object', value: { ok: true } },
  ])('resolving $name: STORAGE_FAILED, nothing written', async ({ value }) => {
    const memory = new MemoryStorage();
    const storage: TwoFactorStorage = {
      load: (id) => memory.load(id),
      save: async () => value as never,
    };
    const h = harness({ storage });
    const error = await rejectsWith(h.tf.admin.setEnforced('a', true), 'STORAGE_FAILED');
    expect(error.message).toMatch(/boolean/);
    expect(memory.raw('a')).toBeUndefined();
    expect(h.events).toEqual([]);
  });

  it('a load that throws a non-Error value: STORAGE_FAILED carries it as the cause', async () => {
    const storage: TwoFactorStorage = {
      load: () => Promise.reject('connection reset'),
      save: async () => true,
    };
    const error = await rejectsWith(harness({ storage }).tf.verifyTotp('a', '123456'), 'STORAGE_FAILED');
    expect(error.cause).toBe('connection reset');
  });

  it('a load that throws synchronously (not a rejected promise): still STORAGE_FAILED', async () => {
    const boom = new Error('sync boom');
    const storage: TwoFactorStorage = {
      load: () => {
        throw boom;
      },
      save: async () => true,
    };
    const error = await rejectsWith(harness({ storage }).tf.status('a'), 'STORAGE_FAILED');
    expect(error.cause).toBe(boom);
  });
});
