/** The admin's removal, src/record/admin.ts. */
import { describe, expect, it } from 'vitest';
import { withRemoved } from '../../src/record/admin.js';
import { T0 } from '../support/harness.js';
import { LATER, expectOnlyChanged, fullRecord, setupRecord } from '../support/records.js';

describe('withRemoved', () => {
  it.each([
    { method: undefined, totp: false, email: false, challenge: false },
    { method: 'totp', totp: false, email: true, challenge: true },
    { method: 'email', totp: true, email: false, challenge: false },
  ] as const)('method $method: totp kept $totp, email kept $email, challenge kept $challenge', ({ method, totp, email, challenge }) => {
    const base = fullRecord({
      throttle: { failures: 100, lockedUntil: T0 + 5, lastFailureAt: T0, suspendedAt: T0 },
      totpSetups: [setupRecord('a1')],
      droppedTotpSetups: [{ tokenHash: 'b2'.repeat(32), expiresAt: T0 }],
    });
    const next = withRemoved(base, LATER, method);
    expect(next.totp).toEqual(totp ? base.totp : null);
    expect(next.totpSetups).toEqual(totp ? base.totpSetups : []);
    expect(next.droppedTotpSetups).toEqual(totp ? base.droppedTotpSetups : []);
    expect(next.email).toEqual(email ? base.email : null);
    expect(next.emailChallenge).toEqual(challenge ? base.emailChallenge : null);
    expect(next.graceStartedAt).toBeNull();
    expect(next.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
    expect(next.updatedAt).toBe(LATER);
    // The admin's enforce flag survives a removal; the send history goes with the email factor
    // (set-up to a new address starts afresh).
    expect(next.enforced).toBe(true);
    expect(next.emailSends).toEqual(method === 'totp' ? base.emailSends : []);
    expectOnlyChanged(base, next, ['totp', 'totpSetups', 'droppedTotpSetups', 'email', 'emailChallenge', 'emailSends', 'graceStartedAt', 'throttle', 'updatedAt']);
  });
});
