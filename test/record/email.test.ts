/**
 * The email transitions of src/record/email.ts, called directly on deep-frozen records: the
 * hour window of sends (with the clock-ahead rule), why a send is blocked, issuing a code, the
 * undo after a failed delivery, a wrong code and the right one.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import {
  emailSendBlock,
  recentEmailSends,
  withEmailChallenge,
  withEmailCodeAccepted,
  withEmailCodeFailed,
  withEmailSendUndone,
  type EmailLimits,
} from '../../src/record/email.js';
import { CLEAR_THROTTLE, type EmailChallengeRecord } from '../../src/record/schema.js';
import { withFailure, type ThrottleConfig } from '../../src/record/throttle.js';
import { HOUR_MS, T0 } from '../support/harness.js';
import { LATER, SETUP_CHALLENGE, deepFreeze, expectOnlyChanged, fullRecord, setupRecord } from '../support/records.js';

const NOW = LATER;
/** A 60 s cooldown and 5 sends an hour (the defaults, written out so the rows read on their own). */
const LIMITS: EmailLimits = { ttlMs: 600_000, maxAttempts: 5, resendCooldownMs: 60_000, maxSendsPerHour: 5 };
const THROTTLE: ThrottleConfig = { ...DEFAULTS.throttle };

/** A login code issued at `at`, none of it used, its hash `hex` repeated. */
function challenge(hex: string, at: number, overrides: Partial<EmailChallengeRecord> = {}): EmailChallengeRecord {
  return {
    purpose: 'login', address: 'ann@example.com', hash: hex.repeat(32), salt: null, digits: 6,
    issuedAt: at, expiresAt: at + LIMITS.ttlMs, attempts: 0, sessionVerified: false, ...overrides,
  };
}

describe('recentEmailSends', () => {
  it('keeps the sends of the last hour, oldest first; one exactly an hour old no longer counts', () => {
    const base = fullRecord({ emailSends: [NOW - 10, NOW - HOUR_MS, NOW - HOUR_MS + 1, NOW] });
    expect(recentEmailSends(base, NOW)).toEqual([NOW - HOUR_MS + 1, NOW - 10, NOW]);
  });

  it('keeps a send up to an hour ahead (a server whose clock runs ahead), ignores one further ahead (a broken clock)', () => {
    const base = fullRecord({ emailSends: [NOW + HOUR_MS + 1, NOW + HOUR_MS, NOW + 1] });
    expect(recentEmailSends(base, NOW)).toEqual([NOW + 1, NOW + HOUR_MS]);
  });

  it('returns a new array; the record keeps its own', () => {
    const base = fullRecord({ emailSends: [NOW - 5, NOW - 10] });
    const sends = recentEmailSends(base, NOW);
    expect(sends).not.toBe(base.emailSends);
    expect(base.emailSends).toEqual([NOW - 5, NOW - 10]);
  });
});

describe('emailSendBlock (60 s cooldown, 5 sends an hour)', () => {
  const four = [NOW - 3_000_000, NOW - 2_000_000, NOW - 1_000_000, NOW - 500_000];
  const rows: Array<[string, number[], boolean, ReturnType<typeof emailSendBlock>]> = [
    ['no send yet', [], true, null],
    ['the last send 10 s ago, its code outstanding: cooldown until 60 s after it', [NOW - 10_000], true, { reason: 'cooldown', retryAt: NOW + 50_000 }],
    ['the last send 10 s ago, its code already used: no cooldown', [NOW - 10_000], false, null],
    ['the last send exactly 60 s ago: the cooldown is over', [NOW - 60_000], true, null],
    ['the cooldown runs from the newest send, in whatever order they are stored', [NOW - 10_000, NOW - 50_000], true, { reason: 'cooldown', retryAt: NOW + 50_000 }],
    ['a send 30 min ahead (a clock running ahead) holds the cooldown from its own time', [NOW + 1_800_000], true, { reason: 'cooldown', retryAt: NOW + 1_860_000 }],
    ['a send more than an hour ahead (a broken clock) is ignored', [NOW + HOUR_MS + 1], true, null],
    ['4 sends in the hour: one more may go', four, false, null],
    ['5 sends in the hour: too many, until the oldest is an hour old', [...four, NOW - 100_000], false, { reason: 'too-many-sends', retryAt: four[0]! + HOUR_MS }],
    ['6 sends counted (the cap was lowered): until only 4 are left', [...four, NOW - 100_000, NOW - 90_000], false, { reason: 'too-many-sends', retryAt: four[1]! + HOUR_MS }],
    ['5 sends, the oldest exactly an hour ago: it no longer counts', [NOW - HOUR_MS, ...four], false, null],
    ['a send within the hour ahead counts towards the cap', [...four, NOW + 1_800_000], false, { reason: 'too-many-sends', retryAt: four[0]! + HOUR_MS }],
    ['a send more than an hour ahead does not', [...four, NOW + HOUR_MS + 1], false, null],
    ['cap reached and an outstanding code within its cooldown: the cooldown is said', [...four, NOW - 10_000], true, { reason: 'cooldown', retryAt: NOW + 50_000 }],
  ];
  it.each(rows)('%s', (_, sends, outstanding, block) => {
    const base = fullRecord({ emailSends: sends, emailChallenge: outstanding ? challenge('ab', NOW - 10_000) : null });
    expect(emailSendBlock(base, NOW, LIMITS)).toEqual(block);
  });
});

describe('withEmailChallenge', () => {
  it('the new code replaces the outstanding one and its send is counted; nothing else changes', () => {
    const base = fullRecord();
    const code = challenge('cd', NOW);
    const next = withEmailChallenge(base, NOW, code);
    expect(next.emailChallenge).toEqual(code);
    expect(next.emailSends).toEqual([T0 - 100, NOW]);
    expect(next.updatedAt).toBe(NOW);
    expectOnlyChanged(base, next, ['emailChallenge', 'emailSends', 'updatedAt']);
  });

  it('drops the sends that left the window and keeps the rest in order (a stamp from a clock ahead stays after this one)', () => {
    const base = fullRecord({ emailSends: [NOW + 30_000, NOW - HOUR_MS, NOW + HOUR_MS + 1, NOW - 1000] });
    expect(withEmailChallenge(base, NOW, challenge('cd', NOW)).emailSends).toEqual([NOW - 1000, NOW, NOW + 30_000]);
  });
});

describe('withEmailSendUndone', () => {
  // `before` has a pending TOTP set-up, so the TOTP-secrets exception can be seen on both parts.
  const before = fullRecord({ totpSetups: [setupRecord('aa')] });
  const ours = challenge('cd', NOW);
  const after = deepFreeze(withEmailChallenge(before, NOW, ours));
  const UNDO_AT = NOW + 5000;

  it('nothing else written since: the record comes back exactly as `before`, its updatedAt too', () => {
    const next = withEmailSendUndone(after, UNDO_AT, { before, after });
    expect(next).toEqual(before);
    expect(next.updatedAt).toBe(T0);
  });

  it('compares by value: the same record loaded again from storage counts as nothing else written', () => {
    expect(withEmailSendUndone(deepFreeze(structuredClone(after)), UNDO_AT, { before, after })).toEqual(before);
  });

  it('a save re-sealed the TOTP secrets meanwhile: still `before`, with the stored TOTP factor and set-ups', () => {
    const stored = deepFreeze({
      ...after,
      totp: { ...after.totp!, secret: 'v1.k-a.AAAA.BBBB', secretEncrypted: true },
      totpSetups: [{ ...after.totpSetups[0]!, secret: 'v1.k-a.CCCC.DDDD', secretEncrypted: true }],
    });
    expect(withEmailSendUndone(stored, UNDO_AT, { before, after })).toEqual({ ...before, totp: stored.totp, totpSetups: stored.totpSetups });
  });

  it('something else was written since (a failure counted): only our part comes out, the rest stays', () => {
    const stored = deepFreeze(withFailure(after, NOW + 1000, THROTTLE));
    const next = withEmailSendUndone(stored, UNDO_AT, { before, after });
    expect(next.emailChallenge).toEqual(before.emailChallenge);
    expect(next.emailSends).toEqual(before.emailSends);
    expect(next.throttle).toEqual(stored.throttle);
    expect(next.throttle.failures).toBe(before.throttle.failures + 1);
    expect(next.updatedAt).toBe(UNDO_AT);
    expectOnlyChanged(stored, next, ['emailChallenge', 'emailSends', 'updatedAt']);
  });

  it('a newer code was issued since: it stays outstanding, only our send is taken out', () => {
    const newer = challenge('ef', NOW + 2000);
    const stored = deepFreeze(withEmailChallenge(after, NOW + 2000, newer));
    const next = withEmailSendUndone(stored, UNDO_AT, { before, after });
    expect(next.emailChallenge).toEqual(newer);
    expect(next.emailSends).toEqual([T0 - 100, NOW + 2000]);
    expectOnlyChanged(stored, next, ['emailSends', 'updatedAt']);
  });

  it('a code with our hash but another issue time is not ours', () => {
    const same = { ...ours, issuedAt: NOW + 3000, expiresAt: NOW + 3000 + LIMITS.ttlMs };
    const stored = deepFreeze(withEmailChallenge(after, NOW + 3000, same));
    const next = withEmailSendUndone(stored, UNDO_AT, { before, after });
    expect(next.emailChallenge).toEqual(same);
    expect(next.emailSends).toEqual([T0 - 100, NOW + 3000]);
  });

  it('our code was used meanwhile (the mail got through after all): the enrollment stays, our send no longer counts', () => {
    const stored = deepFreeze(withEmailCodeAccepted(after, NOW + 1000, false));
    const next = withEmailSendUndone(stored, UNDO_AT, { before, after });
    expect(next.emailChallenge).toBeNull();
    expect(next.email).toEqual(stored.email);
    expect(next.emailSends).toEqual([T0 - 100]);
    expectOnlyChanged(stored, next, ['emailSends', 'updatedAt']);
  });

  it('two sends stamped in the same millisecond: only one is taken out', () => {
    const stored = deepFreeze({ ...after, emailSends: [T0 - 100, NOW, NOW] });
    const next = withEmailSendUndone(stored, UNDO_AT, { before, after });
    expect(next.emailSends).toEqual([T0 - 100, NOW]);
    expect(next.emailChallenge).toEqual(before.emailChallenge);
  });

  it('neither our code nor our send is left (both aged out under a newer code): the stored record itself comes back', () => {
    const muchLater = NOW + HOUR_MS + 1;
    const stored = deepFreeze(withEmailChallenge(after, muchLater, challenge('ef', muchLater)));
    expect(stored.emailSends).toEqual([muchLater]);
    expect(withEmailSendUndone(stored, muchLater + 1, { before, after })).toBe(stored);
  });

  it('`before` had no code outstanding: taking ours out leaves none', () => {
    const none = fullRecord({ emailChallenge: null });
    const sent = deepFreeze(withEmailChallenge(none, NOW, ours));
    expect(withEmailSendUndone(sent, UNDO_AT, { before: none, after: sent })).toEqual(none);
    const stored = deepFreeze(withFailure(sent, NOW + 1000, THROTTLE));
    const next = withEmailSendUndone(stored, UNDO_AT, { before: none, after: sent });
    expect(next.emailChallenge).toBeNull();
    expect(next.emailSends).toEqual(none.emailSends);
  });

  it('throws when `after` holds no email challenge (a programming error in the caller)', () => {
    expect(() => withEmailSendUndone(after, UNDO_AT, { before, after: fullRecord({ emailChallenge: null }) })).toThrow(/no email challenge/);
  });
});

describe('withEmailCodeFailed', () => {
  it('one attempt of the code is used and the throttle counts the failure; nothing else changes', () => {
    const base = fullRecord();
    const next = withEmailCodeFailed(base, NOW, THROTTLE);
    expect(next.emailChallenge).toEqual({ ...base.emailChallenge!, attempts: base.emailChallenge!.attempts + 1 });
    expect(next.throttle).toEqual({ failures: base.throttle.failures + 1, lockedUntil: null, lastFailureAt: NOW, suspendedAt: null });
    expect(next.updatedAt).toBe(NOW);
    expectOnlyChanged(base, next, ['emailChallenge', 'throttle', 'updatedAt']);
  });

  it.each([
    ['the freeFailures-th failure locks for baseLockMs', 4, { failures: 5, lockedUntil: NOW + 30_000, lastFailureAt: NOW, suspendedAt: null }],
    ['the maxConsecutiveFailures-th suspends', 99, { failures: 100, lockedUntil: null, lastFailureAt: NOW, suspendedAt: NOW }],
  ])('the shared throttle: %s', (_, failures, throttle) => {
    const base = fullRecord({ throttle: { failures, lockedUntil: null, lastFailureAt: T0, suspendedAt: null } });
    const next = withEmailCodeFailed(base, NOW, THROTTLE);
    expect(next.throttle).toEqual(throttle);
    expect(next.throttle).toEqual(withFailure(base, NOW, THROTTLE).throttle);
  });

  it('throws on a record without an email challenge (a programming error in the caller)', () => {
    expect(() => withEmailCodeFailed(fullRecord({ emailChallenge: null }), NOW, THROTTLE)).toThrow(/no email challenge/);
  });
});

describe('withEmailCodeAccepted', () => {
  it('a login code: used up, the last use stamped, the throttle cleared; TOTP and its set-ups untouched', () => {
    const base = fullRecord({ totpSetups: [setupRecord('aa')] });
    const next = withEmailCodeAccepted(base, NOW, false);
    expect(next.emailChallenge).toBeNull();
    expect(next.email).toEqual({ ...base.email!, lastUsedAt: NOW });
    expect(next.throttle).toEqual(CLEAR_THROTTLE);
    expect(next.updatedAt).toBe(NOW);
    expectOnlyChanged(base, next, ['email', 'emailChallenge', 'throttle', 'lastVerifiedAt', 'updatedAt']);
    expect(next.lastVerifiedAt).toBe(LATER);
  });

  it('a login code with supersedeTotp: no activation, so the TOTP factor stays', () => {
    const base = fullRecord();
    expect(withEmailCodeAccepted(base, NOW, true).totp).toEqual(base.totp);
  });

  it('a setup code enrolls its address: an activation, so pending TOTP set-ups are void; the TOTP factor stays', () => {
    const base = fullRecord({
      email: null, emailChallenge: { ...SETUP_CHALLENGE, address: 'ann.lee@example.com' },
      totpSetups: [setupRecord('aa')], droppedTotpSetups: [{ tokenHash: 'bb'.repeat(32), expiresAt: T0 }],
    });
    const next = withEmailCodeAccepted(base, NOW, false);
    expect(next.email).toEqual({ address: 'ann.lee@example.com', enrolledAt: NOW, lastUsedAt: NOW });
    expect([next.emailChallenge, next.totpSetups, next.droppedTotpSetups]).toEqual([null, [], []]);
    expect(next.totp).toEqual(base.totp);
    expect(next.throttle).toEqual(CLEAR_THROTTLE);
    expectOnlyChanged(base, next, ['email', 'emailChallenge', 'totpSetups', 'droppedTotpSetups', 'throttle', 'lastVerifiedAt', 'updatedAt']);
  });

  it('a setup code with supersedeTotp: the TOTP factor is removed in the same change', () => {
    const base = fullRecord({ email: null, emailChallenge: SETUP_CHALLENGE });
    const next = withEmailCodeAccepted(base, NOW, true);
    expect(next.totp).toBeNull();
    expect(next.email).toEqual({ address: SETUP_CHALLENGE.address, enrolledAt: NOW, lastUsedAt: NOW });
    expectOnlyChanged(base, next, ['totp', 'email', 'emailChallenge', 'throttle', 'lastVerifiedAt', 'updatedAt']);
  });

  it('a setup code while an address is enrolled: the code\'s address replaces it, enrolled now', () => {
    const base = fullRecord({ emailChallenge: { ...SETUP_CHALLENGE, address: 'new@example.com' } });
    expect(withEmailCodeAccepted(base, NOW, false).email).toEqual({ address: 'new@example.com', enrolledAt: NOW, lastUsedAt: NOW });
  });

  it('a login code on a record with no email factor enrolls the code\'s address', () => {
    const base = fullRecord({ email: null, emailChallenge: challenge('cd', NOW - 1000, { address: 'ann.lee@example.com' }) });
    expect(withEmailCodeAccepted(base, NOW, false).email).toEqual({ address: 'ann.lee@example.com', enrolledAt: NOW, lastUsedAt: NOW });
  });

  it('throws on a record without an email challenge (a programming error in the caller)', () => {
    expect(() => withEmailCodeAccepted(fullRecord({ emailChallenge: null }), NOW, false)).toThrow(/no email challenge/);
  });
});
