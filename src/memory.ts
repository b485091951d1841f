/**
 * `twofold/memory`: in-memory implementations of the ports, for tests, examples and demos.
 * Not for production: everything is lost when the process exits, and nothing is shared
 * between processes.
 * @module
 */
import type { AgentRecord } from './record.js';
import type { Clock, RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';
import { _describe, _instantMs } from './_validate.js';

export type { Clock, RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';
export type { AgentRecord } from './record.js';

interface _Slot {
  json: string;
  version: number;
}

function _agentId(agentId: unknown): string {
  if (typeof agentId !== 'string' || agentId.length === 0) {
    throw new TypeError(`"agentId" expected a non-empty string, got ${_describe(agentId)}`);
  }
  return agentId;
}

/**
 * A {@link TwoFactorStorage} on a `Map` of JSON strings. It is a real compare-and-set: the
 * version check and the write happen in one synchronous step after an `await`, so concurrent
 * callers interleave exactly as they would against a database. It stores JSON text, so
 * callers always get copies, never live objects.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage();
 * const twoFactor = createTwoFactor({ storage, issuer: 'Acme Help', settings });
 * ```
 */
export class MemoryStorage implements TwoFactorStorage {
  readonly #slots = new Map<string, _Slot>();
  #nextVersion = 1;

  /** The agent's record and its version, or `null` when the agent has none. */
  async load(agentId: string): Promise<StoredRecord | null> {
    const id = _agentId(agentId);
    await Promise.resolve(); // always asynchronous, like a real database
    const slot = this.#slots.get(id);
    if (slot === undefined) return null;
    return { record: JSON.parse(slot.json) as AgentRecord, version: slot.version };
  }

  /** Writes `record` if the stored version still equals `expected` (`null`: if absent). */
  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    const id = _agentId(agentId);
    // Serialize before yielding so later mutation of `record` by the caller cannot leak in.
    const json = JSON.stringify(record);
    await Promise.resolve();
    const slot = this.#slots.get(id);
    const current = slot === undefined ? null : slot.version;
    if (current !== expected) return false;
    // Versions are global and never reused, so an old version can't match again (no ABA).
    this.#slots.set(id, { json, version: this.#nextVersion++ });
    return true;
  }

  /** The stored JSON text for an agent, or `undefined` (for tests that inspect what is at rest). */
  raw(agentId: string): string | undefined {
    return this.#slots.get(_agentId(agentId))?.json;
  }

  /** The ids of all agents with a record. */
  agentIds(): string[] {
    return [...this.#slots.keys()];
  }

  /** Forgets every record. */
  clear(): void {
    this.#slots.clear();
  }
}

/** A clock that moves only when told to; `now()` returns a fresh `Date` each call. */
export interface ManualClock extends Clock {
  now(): Date;
  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to `date` (a `Date` or epoch milliseconds). */
  set(date: Date | number): void;
}

/**
 * A manual clock for tests: time stands still until `advance` or `set` moves it.
 *
 * @param start The initial time, a `Date` or epoch milliseconds (default: the Unix epoch).
 * @example
 * ```ts
 * const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
 * clock.advance(30_000); // the next TOTP step
 * ```
 */
export function manualClock(start: Date | number = 0): ManualClock {
  let nowMs = _instantMs('start', start);
  return {
    now: () => new Date(nowMs),
    advance(ms: number): void {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || !Number.isInteger(ms)) {
        throw new TypeError(`"ms" expected an integer number of milliseconds, got ${_describe(ms)}`);
      }
      nowMs = _instantMs('time', nowMs + ms);
    },
    set(date: Date | number): void {
      nowMs = _instantMs('date', date);
    },
  };
}
