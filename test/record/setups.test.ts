/**
 * Pending set-ups of src/record/setups.ts: at most three, the oldest dropped to a list of
 * token hashes, expired ones stripped of their secrets, and what a token points at.
 */
import { describe, expect, it } from 'vitest';
import { findSetup, MAX_DROPPED_SETUPS, MAX_PENDING_SETUPS, newestLiveSetup, withSetupAccount, withSetupBegun } from '../../src/record/setups.js';
import { T0 } from '../support/harness.js';
import { LATER, expectOnlyChanged, fullRecord, setupRecord } from '../support/records.js';

const eq = (a: string, b: string) => a === b;
const HEX = ['a1', 'b2', 'c3', 'd4', 'e5', 'f6', '07', '18', '29', '3a', '4b', '5c'];

describe('withSetupBegun', () => {
  it('appends the set-up; nothing else changes', () => {
    const base = fullRecord({ totp: null });
    const { record, replaced } = withSetupBegun(base, LATER, setupRecord('a1', { createdAt: LATER, expiresAt: LATER + 1 }));
    expect(record.totpSetups.map((s) => s.tokenHash)).toEqual(['a1'.repeat(32)]);
    expect(replaced).toBe(false);
    expectOnlyChanged(base, record, ['totpSetups', 'updatedAt']);
  });

  it(`keeps at most ${MAX_PENDING_SETUPS}: the oldest is dropped to its token hash (no secret)`, () => {
    let r = fullRecord({ totp: null });
    const replacedFlags: boolean[] = [];
    for (const hex of HEX.slice(0, 5)) {
      const begun = withSetupBegun(r, LATER, setupRecord(hex, { expiresAt: LATER + 1000 }));
      r = begun.record;
      replacedFlags.push(begun.replaced);
    }
    expect(replacedFlags).toEqual([false, false, false, true, true]);
    expect(r.totpSetups.map((s) => s.tokenHash.slice(0, 2))).toEqual(['c3', 'd4', 'e5']);
    expect(r.droppedTotpSetups).toEqual([
      { tokenHash: 'a1'.repeat(32), expiresAt: LATER + 1000 },
      { tokenHash: 'b2'.repeat(32), expiresAt: LATER + 1000 },
    ]);
    expect(JSON.stringify(r.droppedTotpSetups)).not.toContain('GEZDGNBV');
  });

  it(`remembers at most ${MAX_DROPPED_SETUPS} dropped hashes, the newest`, () => {
    let r = fullRecord({ totp: null });
    for (const hex of HEX) r = withSetupBegun(r, LATER, setupRecord(hex, { expiresAt: LATER + 1000 })).record;
    expect(r.droppedTotpSetups.map((d) => d.tokenHash.slice(0, 2))).toEqual(HEX.slice(1, 9));
  });

  it('an expired set-up gives up its secret when the next one begins (and does not count as replaced)', () => {
    const base = fullRecord({ totp: null, totpSetups: [setupRecord('a1', { expiresAt: LATER })] });
    const { record, replaced } = withSetupBegun(base, LATER, setupRecord('b2', { expiresAt: LATER + 1 }));
    expect(replaced).toBe(false);
    expect(record.totpSetups.map((s) => s.tokenHash.slice(0, 2))).toEqual(['b2']);
    expect(record.droppedTotpSetups).toEqual([{ tokenHash: 'a1'.repeat(32), expiresAt: LATER }]);
  });
});

describe('findSetup', () => {
  const record = fullRecord({
    totp: null,
    totpSetups: [setupRecord('a1', { expiresAt: T0 + 10 }), setupRecord('b2', { expiresAt: T0 + 20 })],
    droppedTotpSetups: [{ tokenHash: 'c3'.repeat(32), expiresAt: T0 + 10 }],
  });
  it.each([
    ['a live one', 'b2', T0 + 19, 'live'],
    ['a live one at its expiry', 'b2', T0 + 20, 'expired'],
    ['an expired one', 'a1', T0 + 10, 'expired'],
    ['a dropped one, before it would have expired', 'c3', T0 + 9, 'replaced'],
    ['a dropped one, after', 'c3', T0 + 10, 'expired'],
    ['an unknown one', 'd4', T0, 'unknown'],
  ])('%s', (_name, hex, now, kind) => {
    const found = findSetup(record, hex.repeat(32), now, eq);
    expect(found.kind).toBe(kind);
    if (found.kind === 'live') expect(found.setup.tokenHash).toBe(hex.repeat(32));
  });

  it('compares every entry (the comparison count does not depend on which one matches)', () => {
    for (const hex of ['a1', 'b2', 'c3', 'd4']) {
      let calls = 0;
      findSetup(record, hex.repeat(32), T0, (a, b) => (calls++, a === b));
      expect(calls).toBe(3);
    }
  });
});

describe('withSetupAccount and newestLiveSetup', () => {
  it('renames only the named set-up', () => {
    const base = fullRecord({ totp: null, totpSetups: [setupRecord('a1'), setupRecord('b2')] });
    const next = withSetupAccount(base, LATER, 'b2'.repeat(32), 'renamed@example.com');
    expect(next.totpSetups.map((s) => s.account)).toEqual(['ann@example.com', 'renamed@example.com']);
    expectOnlyChanged(base, next, ['totpSetups', 'updatedAt']);
  });

  it('the newest set-up still live, or null', () => {
    const r = fullRecord({ totp: null, totpSetups: [setupRecord('a1', { expiresAt: T0 + 30 }), setupRecord('b2', { expiresAt: T0 + 20 })] });
    expect(newestLiveSetup(r, T0)?.tokenHash).toBe('b2'.repeat(32));
    expect(newestLiveSetup(r, T0 + 25)?.tokenHash).toBe('a1'.repeat(32));
    expect(newestLiveSetup(r, T0 + 30)).toBeNull();
  });
});
