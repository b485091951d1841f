/**
 * The TOTP factor transitions of src/record/totp.ts, called directly on deep-frozen records.
 * The activation rule of src/record/activate.ts: test/record/activate.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { emptyRecord } from '../../src/record/schema.js';
import { withTotpAccepted, withTotpConfirmed, withTotpProvisioned } from '../../src/record/totp.js';
import { T0 } from '../support/harness.js';
import { LATER, SETUP_CHALLENGE, deepFreeze, expectOnlyChanged, fullRecord, setupRecord } from '../support/records.js';

const KEY = { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', account: 'ann@example.com', algorithm: 'SHA256', digits: 8, periodSeconds: 60 } as const;

describe('withTotpProvisioned', () => {
  it('an active admin factor, at once; pending set-ups and an email set-up code are void', () => {
    const base = fullRecord({ totp: null, email: null, emailChallenge: SETUP_CHALLENGE, totpSetups: [setupRecord('aa')], droppedTotpSetups: [{ tokenHash: 'bb'.repeat(32), expiresAt: T0 }] });
    const next = withTotpProvisioned(base, LATER, KEY);
    expect(next.totp).toEqual({
      ...KEY, secretEncrypted: false, provisionedBy: 'admin', createdAt: LATER, activatedAt: LATER, confirmedAt: null, lastStep: null, driftSteps: 0, lastUsedAt: null,
    });
    expect([next.totpSetups, next.droppedTotpSetups, next.emailChallenge]).toEqual([[], [], null]);
    expectOnlyChanged(base, next, ['totp', 'totpSetups', 'droppedTotpSetups', 'emailChallenge', 'updatedAt']);
  });

  it('keeps an email factor and a login code (an admin acts deliberately)', () => {
    const base = fullRecord({ totp: null });
    const next = withTotpProvisioned(base, LATER, KEY);
    expect([next.email, next.emailChallenge]).toEqual([base.email, base.emailChallenge]);
  });
});

describe('withTotpConfirmed', () => {
  const setup = setupRecord('aa', { createdAt: T0 - 10 });
  const other = setupRecord('cc');

  it('the set-up becomes the factor with its key; every set-up is void; the throttle is reset', () => {
    const base = fullRecord({ totp: null, totpSetups: [other, setup], throttle: { failures: 4, lockedUntil: null, lastFailureAt: T0, suspendedAt: null } });
    const next = withTotpConfirmed(base, LATER, setup, { step: 12345, driftSteps: -1 }, false);
    expect(next.totp).toEqual({
      ...KEY, secretEncrypted: false, provisionedBy: 'agent', createdAt: T0 - 10, activatedAt: LATER, confirmedAt: LATER, lastStep: 12345, driftSteps: -1, lastUsedAt: LATER,
    });
    expect(next.totpSetups).toEqual([]);
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
    expect(next.email).toEqual(base.email); // email switched on: kept
    expectOnlyChanged(base, next, ['totp', 'totpSetups', 'throttle', 'lastVerifiedAt', 'updatedAt']);
    expect(next.lastVerifiedAt).toBe(LATER); // a confirmation is a check of the agent's own
  });

  it('with supersedeEmail, the email factor and its code go in the same change', () => {
    const base = fullRecord({ totp: null, totpSetups: [setup] });
    const next = withTotpConfirmed(base, LATER, setup, { step: 1, driftSteps: 0 }, true);
    expect([next.email, next.emailChallenge]).toEqual([null, null]);
    expect(next.totp).not.toBeNull();
  });
});

describe('withTotpAccepted', () => {
  it('stores step, drift, last use; resets the throttle', () => {
    const base = fullRecord({ throttle: { failures: 4, lockedUntil: null, lastFailureAt: T0, suspendedAt: null } });
    const next = withTotpAccepted(base, LATER, 12345, -1);
    expect(next.totp).toMatchObject({ activatedAt: base.totp!.activatedAt, confirmedAt: base.totp!.confirmedAt, lastStep: 12345, driftSteps: -1, lastUsedAt: LATER });
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
    expectOnlyChanged(base, next, ['totp', 'throttle', 'lastVerifiedAt', 'updatedAt']);
    expect(next.lastVerifiedAt).toBe(LATER);
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
