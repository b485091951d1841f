/**
 * @module Storage wrappers for the service tests: around a MemoryStorage, they delay (random
 * timers and microtask yields, or fast-check's scheduler), count, fail on the Nth call, lose a
 * compare-and-set once, or never win one. Each passes every call it does not interfere with to
 * the storage it wraps, so a test still reads the records at rest from that MemoryStorage.
 */
import type { Scheduler } from 'fast-check';
import type { MemoryStorage } from '../../src/memory.js';
import type { AgentRecord, RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/index.js';

/** Mulberry32: a small seeded PRNG so "random" delays replay the same way on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One storage call, as the wrappers log it. */
export interface StorageCall {
  op: 'load' | 'save';
  agentId: string;
}

/**
 * Wraps a storage and adds random async delays before and after each inner call: a timer of
 * 0-3 ms or 0-20 microtask yields, chosen by a seeded PRNG. Loads and saves of concurrent
 * operations then interleave in orders MemoryStorage alone never produces.
 */
export class DelayedStorage implements TwoFactorStorage {
  readonly #random: () => number;
  constructor(readonly inner: TwoFactorStorage, seed: number) {
    this.#random = seededRandom(seed);
  }

  async #pause(): Promise<void> {
    if (this.#random() < 0.5) {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(this.#random() * 4)));
    } else {
      const yields = Math.floor(this.#random() * 21);
      for (let i = 0; i < yields; i++) await Promise.resolve();
    }
  }

  async load(agentId: string): Promise<StoredRecord | null> {
    await this.#pause();
    const got = await this.inner.load(agentId);
    await this.#pause();
    return got;
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    await this.#pause();
    const ok = await this.inner.save(agentId, record, expected);
    await this.#pause();
    return ok;
  }
}

/**
 * fast-check's scheduler decides when each load and save starts and when its result returns,
 * so a property sees adversarial interleavings, not just the ones timers happen to produce.
 */
export class ScheduledStorage implements TwoFactorStorage {
  constructor(
    readonly inner: TwoFactorStorage,
    readonly s: Scheduler,
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

/** Wraps a storage and logs every call. */
export class CountingStorage implements TwoFactorStorage {
  readonly calls: StorageCall[] = [];
  constructor(readonly inner: TwoFactorStorage) {}

  count(op: StorageCall['op']): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  load(agentId: string): Promise<StoredRecord | null> {
    this.calls.push({ op: 'load', agentId });
    return this.inner.load(agentId);
  }

  save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    this.calls.push({ op: 'save', agentId });
    return this.inner.save(agentId, record, expected);
  }
}

/**
 * Wraps a storage: the `failAt`-th call (1-based, loads and saves counted together) throws
 * `error` instead of reaching the inner storage; 0 never fails. With `conflictOnce`, the first
 * save finds that another writer re-saved the same record just before (its version moved on,
 * its content did not), so the operation's compare-and-set loses once and it retries.
 */
export class FaultyStorage implements TwoFactorStorage {
  failAt = 0;
  conflictOnce = false;
  calls = 0;
  readonly error = new Error('disk on fire');
  #conflicted = false;
  constructor(readonly inner: MemoryStorage) {}

  reset(failAt: number, conflictOnce: boolean): void {
    this.failAt = failAt;
    this.conflictOnce = conflictOnce;
    this.calls = 0;
    this.#conflicted = false;
  }

  #tick(): void {
    this.calls++;
    if (this.calls === this.failAt) throw this.error;
  }

  async load(agentId: string): Promise<StoredRecord | null> {
    this.#tick();
    return this.inner.load(agentId);
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    this.#tick();
    if (this.conflictOnce && !this.#conflicted) {
      this.#conflicted = true;
      const current = await this.inner.load(agentId);
      if (current !== null) await this.inner.save(agentId, current.record, current.version);
    }
    return this.inner.save(agentId, record, expected);
  }
}

/** Loads from `inner`; every save resolves false without writing (a compare-and-set never won). */
export class NeverWinsOver implements TwoFactorStorage {
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
