/** Recovery-code transitions, src/record/recovery.ts, on deep-frozen records. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import { recoveryLockedUntil, withRecoveryCodes, withRecoveryFailure, withRecoveryUsed } from '../../src/record/recovery.js';
import type { RecoveryRecord } from '../../src/record/schema.js';
import { T0 } from '../support/harness.js';
import { LATER, expectOnlyChanged, fullRecord } from '../support/records.js';

const SET = { digests: ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)], kdf: 'hmac' as const, pepperId: '0'.repeat(16), salt: null, scrypt: null };
const withSet = (over: Partial<RecoveryRecord> = {}) =>
  fullRecord({ recovery: { ...SET, createdAt: T0, failures: 0, lockedUntil: null, lastFailureAt: null, ...over } });
const D = { ...DEFAULTS.throttle };

describe('recovery transitions', () => {
  it('a new set replaces the old one and its counter', () => {
    const base = withSet({ failures: 7, lockedUntil: T0 + 5 });
    const next = withRecoveryCodes(base, LATER, { ...SET, digests: ['d'.repeat(64)] });
    expect(next.recovery).toEqual({ ...SET, digests: ['d'.repeat(64)], createdAt: LATER, failures: 0, lockedUntil: null, lastFailureAt: null });
    expectOnlyChanged(base, next, ['recovery', 'updatedAt']);
  });

  it('failures lock on the shared schedule (the 5th for 30 s, doubling to 15 min) and never suspend', () => {
    let r = withSet();
    const locks: number[] = [];
    for (let n = 1; n <= 200; n++) {
      r = withRecoveryFailure(r, LATER, D);
      if (n >= 5 && n <= 11) locks.push(r.recovery!.lockedUntil! - LATER);
    }
    expect(locks).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000]);
    expect(r.recovery!.failures).toBe(200);
    expect(r.throttle).toEqual(withSet().throttle); // the shared throttle is untouched
    expect(recoveryLockedUntil(r, LATER)).toBe(LATER + 900_000);
    expect(recoveryLockedUntil(r, LATER + 900_000)).toBeNull();
  });

  it('a used code is gone; both counters and a suspension are cleared; the check is recent', () => {
    const base = fullRecord({
      recovery: { ...SET, createdAt: T0, failures: 3, lockedUntil: null, lastFailureAt: T0 },
      throttle: { failures: 100, lockedUntil: null, lastFailureAt: T0, suspendedAt: T0 },
    });
    const next = withRecoveryUsed(base, LATER, 1);
    expect(next.recovery!.digests).toEqual(['a'.repeat(64), 'c'.repeat(64)]);
    expect(next.recovery!.failures).toBe(0);
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
    expect(next.lastVerifiedAt).toBe(LATER);
    expectOnlyChanged(base, next, ['recovery', 'throttle', 'lastVerifiedAt', 'updatedAt']);
  });

  it('programming errors throw', () => {
    expect(() => withRecoveryUsed(withSet(), LATER, 3)).toThrow();
    expect(() => withRecoveryFailure(fullRecord({ recovery: null }), LATER, D)).toThrow();
  });
});
