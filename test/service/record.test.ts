/**
 * The pure transitions of src/record.ts, called directly: tables for the throttle arithmetic,
 * properties for its shape, and deep-frozen inputs to prove nothing is mutated.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import {
  emptyRecord,
  enrolledMethods,
  lockMsAfter,
  lockedUntil,
  withFailure,
  withNewTotp,
  withRemoved,
  withThrottleReset,
  withTotpAccepted,
  type AgentRecord,
  type ThrottleConfig,
} from '../../src/record.js';
import { T0, deepFreeze } from './_helpers.js';

const D: ThrottleConfig = { ...DEFAULTS.throttle };
const LATER = T0 + 60_000;

/** A record with every part filled, deep-frozen so any mutation throws. */
function fullRecord(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return deepFreeze({
    ...emptyRecord(T0),
    enforced: true,
    graceStartedAt: T0 - 1000,
    totp: {
      status: 'active',
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      secretEncrypted: false,
      account: 'ann@example.com',
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
      provisionedBy: 'agent',
      createdAt: T0 - 5000,
      activatedAt: T0 - 4000,
      confirmedAt: T0 - 4000,
      lastStep: 100,
      driftSteps: 1,
      lastUsedAt: T0 - 3000,
    },
    email: { address: 'ann@example.com', enrolledAt: T0 - 2000, lastUsedAt: null },
    emailChallenge: {
      purpose: 'login', address: 'ann@example.com', hash: 'ab'.repeat(32), salt: null, digits: 6,
      issuedAt: T0 - 100, expiresAt: T0 + 600_000, attempts: 1,
    },
    emailSends: [T0 - 100],
    throttle: { failures: 3, lockedUntil: null, lastFailureAt: T0 - 50 },
    ...overrides,
  } as AgentRecord);
}

/** Asserts `next` equals `base` except in the listed top-level keys (and is a new object). */
function expectOnlyChanged(base: AgentRecord, next: AgentRecord, keys: Array<keyof AgentRecord>): void {
  expect(next).not.toBe(base);
  for (const k of Object.keys(base) as Array<keyof AgentRecord>) {
    if (!keys.includes(k)) expect(next[k], String(k)).toEqual(base[k]);
  }
  expect(Object.keys(next).sort()).toEqual(Object.keys(base).sort());
}

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
    expect(next.throttle).toEqual({ failures: 4, lockedUntil: null, lastFailureAt: LATER });
    expect(next.updatedAt).toBe(LATER);
    expectOnlyChanged(base, next, ['throttle', 'updatedAt']);
    expect(base.throttle.failures).toBe(3);
  });

  it.each([
    [4, 30_000],
    [5, 60_000],
    [20, 900_000],
  ])('from %i failures, the next one locks for %i ms from now', (failures, ms) => {
    const base = fullRecord({ throttle: { failures, lockedUntil: null, lastFailureAt: null } });
    expect(withFailure(base, LATER, D).throttle).toEqual({ failures: failures + 1, lockedUntil: LATER + ms, lastFailureAt: LATER });
  });

  it('a later failure replaces (not adds to) an earlier lock end', () => {
    const base = fullRecord({ throttle: { failures: 5, lockedUntil: T0 + 30_000, lastFailureAt: T0 } });
    expect(withFailure(base, LATER, D).throttle.lockedUntil).toBe(LATER + 60_000);
  });
});

describe('withThrottleReset', () => {
  it('clears failures, lock and lastFailureAt; input untouched', () => {
    const base = fullRecord({ throttle: { failures: 7, lockedUntil: T0 + 1, lastFailureAt: T0 } });
    const next = withThrottleReset(base, LATER);
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null });
    expectOnlyChanged(base, next, ['throttle', 'updatedAt']);
    expect(next.updatedAt).toBe(LATER);
  });

  it('returns the same object when there is nothing to reset (so the service skips the write)', () => {
    const base = fullRecord({ throttle: { failures: 0, lockedUntil: null, lastFailureAt: null } });
    expect(withThrottleReset(base, LATER)).toBe(base);
  });

  it('an expired lock with 0 failures is still cleared (lockedUntil is not null)', () => {
    const base = fullRecord({ throttle: { failures: 0, lockedUntil: T0, lastFailureAt: null } });
    expect(withThrottleReset(base, LATER).throttle.lockedUntil).toBeNull();
  });
});

describe('withRemoved', () => {
  it.each([
    { method: undefined, totp: false, email: false, challenge: false },
    { method: 'totp', totp: false, email: true, challenge: true },
    { method: 'email', totp: true, email: false, challenge: false },
  ] as const)('method $method: totp kept $totp, email kept $email, challenge kept $challenge', ({ method, totp, email, challenge }) => {
    const base = fullRecord({ throttle: { failures: 9, lockedUntil: T0 + 5, lastFailureAt: T0 } });
    const next = withRemoved(base, LATER, method);
    expect(next.totp).toEqual(totp ? base.totp : null);
    expect(next.email).toEqual(email ? base.email : null);
    expect(next.emailChallenge).toEqual(challenge ? base.emailChallenge : null);
    expect(next.graceStartedAt).toBeNull();
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null });
    expect(next.updatedAt).toBe(LATER);
    // The admin's enforce flag survives a removal; the send history goes with the email factor
    // (set-up to a new address starts afresh).
    expect(next.enforced).toBe(true);
    expect(next.emailSends).toEqual(method === 'totp' ? base.emailSends : []);
    expectOnlyChanged(base, next, ['totp', 'email', 'emailChallenge', 'emailSends', 'graceStartedAt', 'throttle', 'updatedAt']);
  });
});

describe('withNewTotp', () => {
  const params = { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', account: 'ann@example.com', algorithm: 'SHA256', digits: 8, periodSeconds: 60 } as const;

  it.each([
    { provisionedBy: 'agent', status: 'pending', activatedAt: null },
    { provisionedBy: 'admin', status: 'active', activatedAt: LATER },
  ] as const)('provisioned by $provisionedBy: $status', ({ provisionedBy, status, activatedAt }) => {
    const base = fullRecord();
    const next = withNewTotp(base, LATER, { ...params, provisionedBy });
    expect(next.totp).toEqual({
      ...params, secretEncrypted: false, provisionedBy, status, createdAt: LATER, activatedAt, confirmedAt: null, lastStep: null, driftSteps: 0, lastUsedAt: null,
    });
    expectOnlyChanged(base, next, ['totp', 'updatedAt']);
  });

  it('the new record is JSON-exact: no undefined, no Date', () => {
    const next = withNewTotp(emptyRecord(T0), LATER, { ...params, provisionedBy: 'agent' });
    expect(JSON.parse(JSON.stringify(next))).toEqual(next);
  });
});

describe('withTotpAccepted', () => {
  it('activates a pending factor, confirms it, stores step, drift, last use; resets the throttle', () => {
    const base = fullRecord({
      totp: { ...fullRecord().totp!, status: 'pending', activatedAt: null, confirmedAt: null, lastStep: null, driftSteps: 0, lastUsedAt: null },
      throttle: { failures: 4, lockedUntil: null, lastFailureAt: T0 },
    });
    const next = withTotpAccepted(base, LATER, 12345, -1);
    expect(next.totp).toMatchObject({ status: 'active', activatedAt: LATER, confirmedAt: LATER, lastStep: 12345, driftSteps: -1, lastUsedAt: LATER });
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null });
    expectOnlyChanged(base, next, ['totp', 'throttle', 'updatedAt']);
    expect(base.totp!.status).toBe('pending');
  });

  it('an admin-provisioned factor keeps activatedAt and gets confirmedAt at first use', () => {
    const base = fullRecord({ totp: { ...fullRecord().totp!, provisionedBy: 'admin', confirmedAt: null } });
    const next = withTotpAccepted(base, LATER, 200, 0);
    expect(next.totp).toMatchObject({ activatedAt: base.totp!.activatedAt, confirmedAt: LATER });
  });

  it('a confirmed factor keeps its confirmedAt; the secret and parameters are untouched', () => {
    const base = fullRecord();
    const next = withTotpAccepted(base, LATER, 200, 0);
    const { lastStep, driftSteps, lastUsedAt, ...rest } = next.totp!;
    const { lastStep: _l, driftSteps: _d, lastUsedAt: _u, ...before } = base.totp!;
    expect(rest).toEqual(before);
    expect([lastStep, driftSteps, lastUsedAt]).toEqual([200, 0, LATER]);
  });

  it('throws on a record without a TOTP factor (a programming error in the caller)', () => {
    expect(() => withTotpAccepted(deepFreeze(emptyRecord(T0)), LATER, 1, 0)).toThrow(/no TOTP factor/);
  });
});

describe('enrolledMethods and lockedUntil', () => {
  it.each([
    [{ totp: null, email: null }, []],
    [{ totp: { ...fullRecord().totp!, status: 'pending' }, email: null }, []],
    [{ totp: fullRecord().totp, email: null }, ['totp']],
    [{ totp: null, email: fullRecord().email }, ['email']],
    [{ totp: fullRecord().totp, email: fullRecord().email }, ['totp', 'email']],
  ] as const)('%j -> %j', (parts, expected) => {
    expect(enrolledMethods(fullRecord(parts as Partial<AgentRecord>))).toEqual(expected);
  });

  it.each([
    [null, T0, null],
    [T0 + 1, T0, T0 + 1],
    [T0, T0, null], // the lock ends at lockedUntil exactly
    [T0 - 1, T0, null],
  ])('lockedUntil %s at %s -> %s', (until, now, expected) => {
    expect(lockedUntil(fullRecord({ throttle: { failures: 5, lockedUntil: until, lastFailureAt: null } }), now)).toBe(expected);
  });
});

it('property: no transition mutates its (deep-frozen) input, and each result is JSON-exact', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200 }),
      fc.option(fc.integer({ min: T0 - 1000, max: T0 + 1000 })),
      fc.constantFrom(undefined, 'totp' as const, 'email' as const),
      fc.integer({ min: -3, max: 3 }),
      (failures, lock, method, drift) => {
        const base = fullRecord({ throttle: { failures, lockedUntil: lock, lastFailureAt: null } });
        const snapshot = JSON.stringify(base);
        const results = [
          withFailure(base, LATER, D),
          withThrottleReset(base, LATER),
          withRemoved(base, LATER, method),
          withTotpAccepted(base, LATER, 500, drift),
          withNewTotp(base, LATER, { secret: 'A'.repeat(32), account: 'x', algorithm: 'SHA1', digits: 6, periodSeconds: 30, provisionedBy: 'admin' }),
        ];
        expect(JSON.stringify(base)).toBe(snapshot);
        for (const r of results) expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      },
    ),
  );
});
