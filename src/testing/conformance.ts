/**
 * `twofold/testing`: a conformance kit for {@link TwoFactorStorage} implementations.
 * Runner-agnostic: it returns named async checks that throw on failure.
 *
 * ```ts
 * import { storageConformance } from 'twofold/testing';
 * for (const t of storageConformance(() => new PgStorage(pool))) it(t.name, t.run);
 * ```
 * @module twofold/testing
 */
import type { AgentRecord } from '../record/schema.js';
import { _fullRecord } from './full-record.js';
import { _canonicalJson, _sameJson } from '../shared/json.js';
import type { RecordVersion, TwoFactorStorage } from '../ports.js';

export type { AgentRecord } from '../record/schema.js';
export type { RecordVersion, StoredRecord, TwoFactorStorage } from '../ports.js';

/** One named check; `run` rejects with an `Error` describing what the storage got wrong. */
export interface ConformanceCheck {
  readonly name: string;
  readonly run: () => Promise<void>;
}

/** Options for {@link storageConformance}. */
export interface ConformanceOptions {
  /** How many writers race in the concurrency checks (default 25). */
  concurrency?: number;
  /** Prefix for agent ids, so checks can run against a shared database (default random). */
  agentPrefix?: string;
}

class _ConformanceFailure extends Error {
  override name = 'StorageConformanceError';
}

function _fail(message: string): never {
  throw new _ConformanceFailure(message);
}

function _check(condition: boolean, message: string): asserts condition {
  if (!condition) _fail(message);
}

function _json(value: unknown): string {
  return JSON.stringify(value);
}

function _randomPrefix(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `conformance-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * The checks every {@link TwoFactorStorage} must pass: absent records, create-if-absent,
 * compare-and-set success and conflict, one winner among many concurrent writers, isolation
 * between agents, JSON fidelity and no shared mutable objects.
 *
 * @param makeStorage Returns the storage under test; called once per check. Checks use fresh,
 *   unique agent ids, so one shared database works.
 * @returns Named checks; run each with any test runner.
 * @example
 * ```ts
 * import { MemoryStorage } from 'twofold/memory';
 * for (const t of storageConformance(() => new MemoryStorage())) it(t.name, t.run);
 * ```
 */
export function storageConformance(
  makeStorage: () => TwoFactorStorage | Promise<TwoFactorStorage>,
  options: ConformanceOptions = {},
): ConformanceCheck[] {
  if (typeof makeStorage !== 'function') {
    throw new TypeError('"makeStorage" expected a function returning a TwoFactorStorage');
  }
  const concurrency = options.concurrency ?? 25;
  if (!Number.isInteger(concurrency) || concurrency < 2 || concurrency > 1000) {
    throw new RangeError(`"concurrency" expected an integer 2..1000, got ${String(concurrency)}`);
  }
  const prefix = options.agentPrefix ?? _randomPrefix();
  let counter = 0;
  const agent = (label: string): string => `${prefix}:${label}:${++counter}`;

  const load = async (s: TwoFactorStorage, id: string) => {
    const got = await s.load(id);
    _check(got !== undefined, `load("${id}") returned undefined; it must return null for an absent record`);
    return got;
  };

  const mustLoad = async (s: TwoFactorStorage, id: string) => {
    const got = await load(s, id);
    _check(got !== null, `load("${id}") returned null after a successful save`);
    _check(
      typeof got.version === 'string' || typeof got.version === 'number',
      `load("${id}") returned a version of type ${typeof got.version}; expected string or number`,
    );
    return got;
  };

  /** A save that must lose the compare-and-set: false, and the record and version stay as they were. */
  const refusedSave = async (s: TwoFactorStorage, id: string, record: AgentRecord, expected: RecordVersion | null, what: string) => {
    const before = await mustLoad(s, id);
    _check((await s.save(id, record, expected)) === false, `${what} must return false`);
    const after = await mustLoad(s, id);
    _check(_sameJson(after.record, before.record), `${what} changed the stored record`);
    _check(after.version === before.version, `${what} changed the version`);
  };

  const checks: Array<[string, (s: TwoFactorStorage) => Promise<void>]> = [
    ['load returns null for an agent with no record', async (s) => {
      const got = await load(s, agent('absent'));
      _check(got === null, `expected null, got ${_json(got)}`);
    }],

    ['save with expected null creates the record', async (s) => {
      const id = agent('create');
      const rec = _fullRecord(1);
      _check((await s.save(id, rec, null)) === true, 'save(id, record, null) on an absent agent must return true');
      const got = await mustLoad(s, id);
      _check(_sameJson(got.record, rec), 'the loaded record differs from the one saved');
    }],

    ['save with expected null fails when a record exists, leaving it unchanged', async (s) => {
      const id = agent('create-twice');
      _check(await s.save(id, _fullRecord(1), null), 'first create failed');
      await refusedSave(s, id, _fullRecord(2), null, 'a second create-if-absent');
    }],

    ['save with the current version succeeds and changes the version', async (s) => {
      const id = agent('cas-ok');
      _check(await s.save(id, _fullRecord(1), null), 'create failed');
      const first = await mustLoad(s, id);
      const next = _fullRecord(2);
      _check((await s.save(id, next, first.version)) === true, 'save with the current version must return true');
      const second = await mustLoad(s, id);
      _check(_sameJson(second.record, next), 'the record was not replaced');
      _check(second.version !== first.version, 'the version did not change after a save');
    }],

    ['save with a stale version fails and leaves the record unchanged', async (s) => {
      const id = agent('cas-stale');
      _check(await s.save(id, _fullRecord(1), null), 'create failed');
      const v1 = (await mustLoad(s, id)).version;
      _check(await s.save(id, _fullRecord(2), v1), 'second save failed');
      await refusedSave(s, id, _fullRecord(3), v1, 'save with a stale version');
    }],

    ['a version is never reused after later saves (no ABA)', async (s) => {
      const id = agent('aba');
      _check(await s.save(id, _fullRecord(1), null), 'create failed');
      const seen = new Set<RecordVersion>();
      let current = await mustLoad(s, id);
      seen.add(current.version);
      for (let i = 2; i <= 6; i++) {
        _check(await s.save(id, _fullRecord(i), current.version), `save ${i} failed`);
        current = await mustLoad(s, id);
        _check(!seen.has(current.version), `version ${String(current.version)} was handed out twice`);
        seen.add(current.version);
      }
      for (const old of [...seen].slice(0, -1)) {
        _check((await s.save(id, _fullRecord(99), old)) === false, `an old version ${String(old)} was accepted`);
      }
    }],

    [`${concurrency} concurrent creates: exactly one wins`, async (s) => {
      const id = agent('race-create');
      const results = await Promise.all(
        Array.from({ length: concurrency }, (_, i) => s.save(id, _fullRecord(i), null)),
      );
      const winners = results.flatMap((ok, i) => (ok ? [i] : []));
      _check(winners.length === 1, `expected exactly one winner, got ${winners.length}`);
      const got = await mustLoad(s, id);
      _check(_sameJson(got.record, _fullRecord(winners[0]!)), 'the stored record is not the winner\'s');
    }],

    [`${concurrency} concurrent saves on one version: exactly one wins`, async (s) => {
      const id = agent('race-cas');
      _check(await s.save(id, _fullRecord(0), null), 'create failed');
      const base = await mustLoad(s, id);
      const results = await Promise.all(
        Array.from({ length: concurrency }, (_, i) => s.save(id, _fullRecord(i + 1), base.version)),
      );
      const winners = results.flatMap((ok, i) => (ok ? [i + 1] : []));
      _check(winners.length === 1, `expected exactly one winner, got ${winners.length} (save must be compare-and-set)`);
      const got = await mustLoad(s, id);
      _check(_sameJson(got.record, _fullRecord(winners[0]!)), 'the stored record is not the winner\'s');
    }],

    ['records of different agents are isolated', async (s) => {
      const a = agent('iso-a');
      const b = agent('iso-b');
      _check(await s.save(a, _fullRecord(1), null), 'create a failed');
      _check((await load(s, b)) === null, 'saving agent a created a record for agent b');
      _check(await s.save(b, _fullRecord(2), null), 'create b failed (isolation: a\'s record must not count)');
      const va = await mustLoad(s, a);
      _check(await s.save(a, _fullRecord(3), va.version), 'save a failed');
      const gb = await mustLoad(s, b);
      _check(_sameJson(gb.record, _fullRecord(2)), 'saving agent a changed agent b');
    }],

    ['agent ids are compared exactly (case, Unicode, separators)', async (s) => {
      const base = agent('ids');
      const ids = [`${base}-x`, `${base}-X`, `${base}-é`, `${base}-e\u0301`, `${base}-x `, `${base}-'"\\%_`];
      for (const [i, id] of ids.entries()) {
        _check(await s.save(id, _fullRecord(i), null), `create for id #${i} failed: ids must not collide`);
      }
      for (const [i, id] of ids.entries()) {
        const got = await mustLoad(s, id);
        _check(_sameJson(got.record, _fullRecord(i)), `id #${i} loaded another agent's record`);
      }
    }],

    ['a full record round-trips with JSON fidelity', async (s) => {
      const id = agent('fidelity');
      const rec = _fullRecord(5);
      const expected = _json(rec);
      _check(await s.save(id, rec, null), 'create failed');
      const got = await mustLoad(s, id);
      // Compare canonically: key order may differ in jsonb, values may not.
      _check(_canonicalJson(got.record) === _canonicalJson(rec), `round trip changed the record:\n${_json(got.record)}\n!=\n${expected}`);
    }],

    ['no shared mutable objects between caller and storage', async (s) => {
      const id = agent('copies');
      const rec = _fullRecord(1);
      _check(await s.save(id, rec, null), 'create failed');
      rec.throttle.failures = 12345;
      rec.emailSends.push(1);
      const first = await mustLoad(s, id);
      _check(first.record.throttle.failures === 7, 'mutating the saved object after save changed the stored record');
      _check(first.record.emailSends.length === 2, 'mutating the saved array after save changed the stored record');
      first.record.enforced = false;
      first.record.totp!.lastStep = 0;
      const second = await mustLoad(s, id);
      _check(second.record.enforced === true, 'mutating a loaded record changed the stored record');
      _check(second.record !== first.record, 'load returned the same object twice');
      _check(second.record.totp!.lastStep === _fullRecord(1).totp!.lastStep, 'mutating a loaded nested object changed the stored record');
    }],
  ];

  return checks.map(([name, body]) => ({
    name,
    run: async () => {
      const storage = await makeStorage();
      await body(storage);
    },
  }));
}
