/**
 * The record's shape, src/record/schema.ts, and a property over every transition: none
 * mutates its (deep-frozen) input, and each result is JSON-exact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import { withRemoved } from '../../src/record/admin.js';
import { withEmailCodeAccepted, withEmailCodeFailed } from '../../src/record/email.js';
import { emptyRecord, enrolledMethods, RECORD_SCHEMA, type AgentRecord } from '../../src/record/schema.js';
import { withSetupBegun } from '../../src/record/setups.js';
import { withFailure, withThrottleReset } from '../../src/record/throttle.js';
import { withTotpAccepted, withTotpConfirmed, withTotpProvisioned } from '../../src/record/totp.js';
import { T0 } from '../support/harness.js';
import { LATER, fullRecord, setupRecord } from '../support/records.js';

describe('emptyRecord and enrolledMethods', () => {
  it('an empty record is schema 2 with nothing in it', () => {
    expect(RECORD_SCHEMA).toBe(2);
    expect(emptyRecord(T0)).toEqual({
      schema: 2, enforced: false, graceStartedAt: null, totp: null, totpSetups: [], droppedTotpSetups: [], email: null,
      emailChallenge: null, emailSends: [], throttle: { failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null },
      recovery: null, lastVerifiedAt: null, updatedAt: T0,
    });
  });

  it.each([
    [{ totp: null, email: null }, []],
    [{ totp: null, email: null, totpSetups: [setupRecord('a1')] }, []], // a pending set-up does not count
    [{ totp: fullRecord().totp, email: null }, ['totp']],
    [{ totp: null, email: fullRecord().email }, ['email']],
    [{ totp: fullRecord().totp, email: fullRecord().email }, ['totp', 'email']],
  ] as const)('%j -> %j', (parts, expected) => {
    expect(enrolledMethods(fullRecord(parts as unknown as Partial<AgentRecord>))).toEqual(expected);
  });
});

it('property: no transition mutates its (deep-frozen) input, and each result is JSON-exact', () => {
  const D = { ...DEFAULTS.throttle };
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 200 }),
      fc.option(fc.integer({ min: T0 - 1000, max: T0 + 1000 })),
      fc.constantFrom(undefined, 'totp' as const, 'email' as const),
      fc.integer({ min: -3, max: 3 }),
      fc.boolean(),
      (failures, lock, method, drift, supersede) => {
        const setup = setupRecord('a1');
        const base = fullRecord({ throttle: { failures, lockedUntil: lock, lastFailureAt: null, suspendedAt: null }, totpSetups: [setup] });
        const snapshot = JSON.stringify(base);
        const results = [
          withFailure(base, LATER, D),
          withThrottleReset(base, LATER),
          withRemoved(base, LATER, method),
          withTotpAccepted(base, LATER, 500, drift),
          withTotpProvisioned(base, LATER, { secret: 'A'.repeat(32), account: 'x', algorithm: 'SHA1', digits: 6, periodSeconds: 30 }),
          withTotpConfirmed(base, LATER, setup, { step: 500, driftSteps: drift }, supersede),
          withSetupBegun(base, LATER, setupRecord('b2')).record,
          withEmailCodeFailed(base, LATER, D),
          withEmailCodeAccepted(base, LATER, supersede),
        ];
        expect(JSON.stringify(base)).toBe(snapshot);
        for (const r of results) expect(JSON.parse(JSON.stringify(r))).toEqual(r);
      },
    ),
  );
});
