/**
 * @module The guarded load and save and the compare-and-set loop (src/service/transact.ts): the
 * bound on attempts, and a storage that breaks its contract on load or on save, which is
 * reported as STORAGE_FAILED or INVALID_RECORD, never read as "no 2FA". (Storage faults on the
 * Nth call and a save that never wins, over every method: faults.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import { TwoFactorError, type TwoFactorStorage } from '../../src/index.js';
import { emptyRecord } from '../../src/record/schema.js';
import { harnessFor, offenders } from '../support/entry-points.js';
import { T0, harness, rejectsWith } from '../support/harness.js';
import { NeverWinsOver } from '../support/storages.js';

it('storageAttempts changes the bound on compare-and-set attempts', async () => {
  const memory = new MemoryStorage();
  const losing = new NeverWinsOver(memory);
  const h = harness({ storage: losing, storageAttempts: 3 });
  await rejectsWith(h.tf.admin.setEnforced('a', true), 'STORAGE_CONFLICT');
  expect([losing.loads, losing.saves]).toEqual([3, 3]);
});

it('a stored record from an older write stays readable (JSON fidelity through the service)', async () => {
  const h = harness();
  await h.storage.save('a', { ...emptyRecord(T0), enforced: true }, null);
  expect(await h.tf.status('a')).toMatchObject({ enforced: true });
  expect(await h.tf.policy('a')).toMatchObject({ reason: 'agent-enforced' });
});

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
});

describe('a load that breaks the storage contract', () => {
  it('throwing a non-Error value: STORAGE_FAILED carries it as the cause', async () => {
    const storage: TwoFactorStorage = {
      load: () => Promise.reject('connection reset'),
      save: async () => true,
    };
    const error = await rejectsWith(harness({ storage }).tf.verifyTotp('a', '123456'), 'STORAGE_FAILED');
    expect(error.cause).toBe('connection reset');
  });

  it('throwing synchronously (not a rejected promise): still STORAGE_FAILED', async () => {
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

  // load must resolve null or { record, version }. Anything else is a broken storage: the
  // service should say so (STORAGE_FAILED or INVALID_RECORD), not crash with an unplanned
  // TypeError or, worse, treat the agent as having no 2FA.
  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['a string', 'row'],
    ['an object without record', { version: 1 }],
    ['a record that is a string', { record: 'x', version: 1 }],
  ])('resolving %s: every entry point rejects with TwoFactorError STORAGE_FAILED or INVALID_RECORD', async (_name, value) => {
    const storage: TwoFactorStorage = { load: async () => value as never, save: async () => true };
    const bad = await offenders(
      (name) => harnessFor(name, { storage }).tf,
      (tf, run) => run(tf, 'a'),
      (got) =>
        got.kind === 'rejected' &&
        got.value instanceof TwoFactorError &&
        (got.value.code === 'STORAGE_FAILED' || got.value.code === 'INVALID_RECORD'),
    );
    expect(bad).toEqual([]);
  });
});
