/**
 * @module The storage conformance kit (src/testing/conformance.ts, `twofold/testing`):
 * MemoryStorage passes it, and it reports each way a storage can break its contract (a save
 * that ignores the version, live objects, a read-then-write save, undefined for an absent
 * agent) while a storage that only reorders keys, as jsonb does, passes.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import { storageConformance } from '../../src/testing/conformance.js';
import type { AgentRecord, RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/index.js';

describe('MemoryStorage passes the storage conformance kit', () => {
  for (const t of storageConformance(() => new MemoryStorage())) it(t.name, t.run);
});

/** A storage that keeps live objects and can be told to misbehave in one way. */
class BrokenStorage implements TwoFactorStorage {
  readonly #rows = new Map<string, { record: AgentRecord; version: number }>();
  #next = 1;
  constructor(
    private readonly flaw: 'none' | 'reorders-keys' | 'ignores-version' | 'live-objects' | 'read-then-write' | 'undefined-for-absent',
  ) {}

  async load(agentId: string): Promise<StoredRecord | null> {
    await Promise.resolve();
    const row = this.#rows.get(agentId);
    if (row === undefined) return this.flaw === 'undefined-for-absent' ? (undefined as never) : null;
    const record = this.flaw === 'live-objects' ? row.record : structuredClone(row.record);
    return { record, version: row.version };
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    // 'reorders-keys' is not a flaw: PostgreSQL's jsonb, for one, stores keys in its own order.
    const stored = this.flaw === 'live-objects' ? record : this.flaw === 'reorders-keys' ? _reversedKeys(record) : structuredClone(record);
    if (this.flaw === 'ignores-version') {
      await Promise.resolve();
      this.#rows.set(agentId, { record: stored, version: this.#next++ });
      return true;
    }
    if (this.flaw === 'read-then-write') {
      // Check, then yield, then write: the classic lost update.
      const current = this.#rows.get(agentId)?.version ?? null;
      await new Promise((r) => setTimeout(r, 1));
      if (current !== expected) return false;
    } else {
      // Yield first, then check and write with no await in between: atomic.
      await Promise.resolve();
      if ((this.#rows.get(agentId)?.version ?? null) !== expected) return false;
    }
    this.#rows.set(agentId, { record: stored, version: this.#next++ });
    return true;
  }
}

/** A deep copy with every object's keys in reverse order. */
function _reversedKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(_reversedKeys) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, _reversedKeys(v)])) as T;
}

async function failures(storage: () => TwoFactorStorage): Promise<string[]> {
  const failed: string[] = [];
  for (const t of storageConformance(storage)) {
    try {
      await t.run();
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      failed.push(t.name);
    }
  }
  return failed;
}

describe('the conformance kit reports broken storages', () => {
  const RACES = ['25 concurrent saves on one version: exactly one wins', '25 concurrent creates: exactly one wins'];
  it.each([
    {
      name: 'a save that ignores the version fails the compare-and-set checks',
      flaw: 'ignores-version',
      reported: ['save with expected null fails when a record exists, leaving it unchanged', 'save with a stale version fails and leaves the record unchanged', ...RACES],
    },
    { name: 'a storage that hands out live objects fails the copy check', flaw: 'live-objects', reported: ['no shared mutable objects between caller and storage'] },
    { name: 'a read-then-write save (check, await, write) fails the race checks', flaw: 'read-then-write', reported: RACES },
    { name: 'a load that returns undefined for an absent agent is reported', flaw: 'undefined-for-absent', reported: ['load returns null for an agent with no record'] },
  ] as const)('$name', async ({ flaw, reported }) => {
    const failed = await failures(() => new BrokenStorage(flaw));
    expect(failed).toEqual(expect.arrayContaining([...reported]));
  });

  it('the same storage without a flaw passes every check (the control for the tests above)', async () => {
    expect(await failures(() => new BrokenStorage('none'))).toEqual([]);
    expect(await failures(() => new MemoryStorage())).toEqual([]);
  });

  it('a storage that changes the key order (as jsonb does) passes every check', async () => {
    const storage = new BrokenStorage('reorders-keys');
    const rec = { ...(await import('../../src/record/schema.js')).emptyRecord(1) };
    await storage.save('a', rec, null);
    expect(Object.keys((await storage.load('a'))!.record)).toEqual(Object.keys(rec).reverse()); // it really reorders
    expect(await failures(() => new BrokenStorage('reorders-keys'))).toEqual([]);
  });

  it('rejects a bad makeStorage or concurrency', () => {
    expect(() => storageConformance(42 as never)).toThrow(TypeError);
    expect(() => storageConformance(() => new MemoryStorage(), { concurrency: 1 })).toThrow(RangeError);
  });
});
