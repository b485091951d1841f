/**
 * The shared throttle of src/record/throttle.ts, called directly: tables for the lock
 * arithmetic, properties for its shape, the hard limit, and deep-frozen inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import { lockMsAfter, lockedUntil, suspendedSince, throttleRefusal, withFailure, withThrottleReset, type ThrottleConfig } from '../../src/record/throttle.js';
import { T0 } from '../support/harness.js';
import { LATER, expectOnlyChanged, fullRecord } from '../support/records.js';

const D: ThrottleConfig = { ...DEFAULTS.throttle };

describe('lockMsAfter (defaults: 5 free, 30 s doubling, 15 min cap)', () => {
  it.each([
    [0, 0], [1, 0], [4, 0],
    [5, 30_000], [6, 60_000], [7, 120_000], [8, 240_000], [9, 480_000],
    [10, 900_000], [11, 900_000], [100, 900_000], [1_000_000, 900_000], [Number.MAX_SAFE_INTEGER, 900_000],
  ])('after %i failures: %i ms', (failures, ms) => {
    expect(lockMsAfter(failures, D)).toBe(ms);
  });

  it.each([
    [{ freeFailures: 1, baseLockMs: 1000, maxLockMs: 4000 }, [0, 1000, 2000, 4000, 4000]],
    [{ freeFailures: 3, baseLockMs: 7, maxLockMs: 7 }, [0, 0, 0, 7, 7]],
    [{ freeFailures: 100, baseLockMs: 1, maxLockMs: 2 ** 40 }, [0, 0, 0, 0, 0]],
  ])('with %j, failures 0..4: %j', (config, expected) => {
    expect([0, 1, 2, 3, 4].map((n) => lockMsAfter(n, config))).toEqual(expected);
  });

  it('a huge cap does not overflow to Infinity or NaN (doublings are bounded)', () => {
    const config = { freeFailures: 1, baseLockMs: 86_400_000, maxLockMs: Number.MAX_SAFE_INTEGER };
    const ms = lockMsAfter(1e9, config);
    expect(Number.isFinite(ms)).toBe(true);
    expect(ms).toBe(Math.min(86_400_000 * 2 ** 40, Number.MAX_SAFE_INTEGER));
  });

  it('properties: 0 below freeFailures, never above the cap, non-decreasing, doubling until the cap', () => {
    const configs = fc
      .record({ freeFailures: fc.integer({ min: 1, max: 100 }), baseLockMs: fc.integer({ min: 1, max: 86_400_000 }), extra: fc.integer({ min: 0, max: 86_400_000 * 29 }) })
      .map(({ freeFailures, baseLockMs, extra }) => ({ freeFailures, baseLockMs, maxLockMs: baseLockMs + extra }));
    fc.assert(
      fc.property(configs, fc.integer({ min: 0, max: 10_000 }), (c, n) => {
        const ms = lockMsAfter(n, c);
        const next = lockMsAfter(n + 1, c);
        expect(ms === 0).toBe(n < c.freeFailures);
        expect(ms).toBeLessThanOrEqual(c.maxLockMs);
        expect(next).toBeGreaterThanOrEqual(ms);
        if (n === c.freeFailures) expect(ms).toBe(c.baseLockMs);
        if (ms > 0 && next < c.maxLockMs) expect(next).toBe(2 * ms);
      }),
    );
  });
});

describe('withFailure', () => {
  it('counts the failure, sets lastFailureAt and updatedAt, no lock below the limit; input untouched', () => {
    const base = fullRecord();
    const next = withFailure(base, LATER, D);
    expect(next.throttle).toEqual({ failures: 4, lockedUntil: null, lastFailureAt: LATER, suspendedAt: null });
    expect(next.updatedAt).toBe(LATER);
    expectOnlyChanged(base, next, ['throttle', 'updatedAt']);
    expect(base.throttle.failures).toBe(3);
  });

  it.each([
    [4, 30_000],
    [5, 60_000],
    [20, 900_000],
    [98, 900_000],
  ])('from %i failures, the next one locks for %i ms from now', (failures, ms) => {
    const base = fullRecord({ throttle: { failures, lockedUntil: null, lastFailureAt: null, suspendedAt: null } });
    expect(withFailure(base, LATER, D).throttle).toEqual({ failures: failures + 1, lockedUntil: LATER + ms, lastFailureAt: LATER, suspendedAt: null });
  });

  it('a later failure replaces (not adds to) an earlier lock end', () => {
    const base = fullRecord({ throttle: { failures: 5, lockedUntil: T0 + 30_000, lastFailureAt: T0, suspendedAt: null } });
    expect(withFailure(base, LATER, D).throttle.lockedUntil).toBe(LATER + 60_000);
  });

  it('the 100th consecutive failure suspends (no lock: only an unlock ends it)', () => {
    const base = fullRecord({ throttle: { failures: 99, lockedUntil: T0 + 1, lastFailureAt: T0, suspendedAt: null } });
    const next = withFailure(base, LATER, D);
    expect(next.throttle).toEqual({ failures: 100, lockedUntil: null, lastFailureAt: LATER, suspendedAt: LATER });
    expect(suspendedSince(next, D)).toBe(LATER);
    expect(throttleRefusal(next, LATER + 365 * 86_400_000, D)).toEqual({ reason: 'suspended' });
  });

  it.each([2, 6, 100, 101, 1000])('with maxConsecutiveFailures %i, exactly that failure suspends', (max) => {
    const config = { ...D, freeFailures: 1, maxConsecutiveFailures: max };
    let r = fullRecord({ throttle: { failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null } });
    for (let n = 1; n < max; n++) {
      r = withFailure(r, LATER + n, config);
      expect(r.throttle.suspendedAt).toBeNull();
    }
    r = withFailure(r, LATER + max, config);
    expect(r.throttle).toMatchObject({ failures: max, suspendedAt: LATER + max });
  });
});

describe('suspendedSince and throttleRefusal', () => {
  it.each([
    ['not suspended, not locked', { failures: 3, lockedUntil: null, lastFailureAt: T0, suspendedAt: null }, null, null],
    ['locked', { failures: 5, lockedUntil: T0 + 30_000, lastFailureAt: T0, suspendedAt: null }, null, { reason: 'locked', retryAt: T0 + 30_000 }],
    ['suspended (and an old lock)', { failures: 100, lockedUntil: T0 + 30_000, lastFailureAt: T0, suspendedAt: T0 }, T0, { reason: 'suspended' }],
    // A 0.1 record with more failures than the limit: suspended since its last failure.
    ['over the limit without a stamp', { failures: 680, lockedUntil: null, lastFailureAt: T0 - 5, suspendedAt: null }, T0 - 5, { reason: 'suspended' }],
  ] as const)('%s', (_name, throttle, since, refusal) => {
    const record = fullRecord({ throttle: { ...throttle } });
    expect(suspendedSince(record, D)).toBe(since);
    expect(throttleRefusal(record, T0, D)).toEqual(refusal);
  });

  it.each([
    [null, T0, null],
    [T0 + 1, T0, T0 + 1],
    [T0, T0, null], // the lock ends at lockedUntil exactly
    [T0 - 1, T0, null],
  ])('lockedUntil %s at %s -> %s', (until, now, expected) => {
    expect(lockedUntil(fullRecord({ throttle: { failures: 5, lockedUntil: until, lastFailureAt: null, suspendedAt: null } }), now)).toBe(expected);
  });
});

describe('withThrottleReset', () => {
  it('clears failures, lock, lastFailureAt and a suspension; input untouched', () => {
    const base = fullRecord({ throttle: { failures: 100, lockedUntil: T0 + 1, lastFailureAt: T0, suspendedAt: T0 } });
    const next = withThrottleReset(base, LATER);
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
    expectOnlyChanged(base, next, ['throttle', 'updatedAt']);
    expect(next.updatedAt).toBe(LATER);
  });

  it('returns the same object when there is nothing to reset (so the service skips the write)', () => {
    const base = fullRecord({ throttle: { failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null } });
    expect(withThrottleReset(base, LATER)).toBe(base);
  });

  it('an expired lock with 0 failures is still cleared (lockedUntil is not null)', () => {
    const base = fullRecord({ throttle: { failures: 0, lockedUntil: T0, lastFailureAt: null, suspendedAt: null } });
    expect(withThrottleReset(base, LATER).throttle.lockedUntil).toBeNull();
  });
});
