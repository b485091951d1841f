/**
 * Recovery codes, src/service/recovery.ts: generated once after a recent check, each used once,
 * their own failure counter (locks, never suspends), a way back from a suspension, peppers that
 * rotate. Tried as an attacker holding only the password would: no codes can be generated, and
 * guessing one is throttled on its own counter.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/index.js';
import { codeAt, enroll, enrollEmail, emailHarness, harness, now, stored, wrongCode, DAY_MS, type Harness } from '../support/harness.js';

const PEPPER = 'p'.repeat(32);
const NEW_PEPPER = 'q'.repeat(32);
const fast = (more: Parameters<typeof harness>[0] = {}) => harness({ email: { pepper: PEPPER }, ...more });

async function withCodes(h: Harness, agentId = 'a'): Promise<{ secret: string; codes: string[] }> {
  const secret = await enroll(h, agentId);
  const made = await h.tf.generateRecoveryCodes(agentId, { sessionVerified: true });
  if (!made.ok) throw new Error(made.reason);
  return { secret, codes: made.codes };
}

describe('generateRecoveryCodes', () => {
  it('10 distinct codes shaped XXXXX-XXXXX (50 bits each), only digests at rest, status and policy say so', async () => {
    const h = fast();
    const { codes } = await withCodes(h);
    expect(codes).toHaveLength(DEFAULTS.recovery.count);
    expect(new Set(codes).size).toBe(10);
    for (const code of codes) {
      expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
      expect(h.storage.raw('a')).not.toContain(code.replace('-', ''));
      expect(h.storage.raw('a')).not.toContain(code);
    }
    expect(stored(h.storage, 'a')!.recovery).toMatchObject({ kdf: 'hmac', salt: null, scrypt: null, failures: 0 });
    expect((await h.tf.status('a')).recoveryCodes).toEqual({ remaining: 10, createdAt: new Date(now(h)), usable: true });
    expect(await h.tf.policy('a')).toMatchObject({ next: 'verify', verifyMethods: ['totp'], recoveryCode: true });
    expect(h.events.filter((e) => e.method === 'recovery').map((e) => [e.type, e.remaining])).toEqual([['recovery.generated', 10]]);
    expect(JSON.stringify(h.events)).not.toContain(codes[0]!.slice(0, 5));
  });

  it('generating again replaces every earlier code', async () => {
    const h = fast();
    const { codes: old } = await withCodes(h);
    const again = await h.tf.generateRecoveryCodes('a', { sessionVerified: true });
    if (!again.ok) throw new Error(again.reason);
    expect(again.codes.some((c) => old.includes(c))).toBe(false);
    expect(await h.tf.verifyRecoveryCode('a', old[0]!)).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.verifyRecoveryCode('a', again.codes[0]!)).toEqual({ ok: true, method: 'recovery', remaining: 9 });
  });

  it.each([
    ['no enrolled method', async (h: Harness) => {}, { sessionVerified: true }, 'not-enrolled'],
    ['a method whose service is off', async (h: Harness) => {
      await enroll(h, 'a');
    }, { sessionVerified: true }, 'not-enrolled', { totp: false, email: false, requireAll: false }],
    ['sessionVerified false', async (h: Harness) => {
      await enroll(h, 'a');
    }, { sessionVerified: false }, 'not-verified'],
    ['the last check 10 minutes ago (the host\'s flag alone is not enough)', async (h: Harness) => {
      await enroll(h, 'a');
      h.clock.advance(DEFAULTS.verifiedWindowMs - 30_000);
    }, { sessionVerified: true }, 'not-verified'],
  ] as const)('refused: %s -> %s, nothing stored', async (_name, prepare, opts, reason, later?) => {
    let settings = { totp: true, email: false, requireAll: false };
    const h = fast({ settings: () => settings });
    await prepare(h);
    if (later) settings = later;
    const before = h.storage.raw('a');
    expect(await h.tf.generateRecoveryCodes('a', opts)).toEqual({ ok: false, reason });
    expect(h.storage.raw('a')).toBe(before);
  });

  it('as an attacker with only the password: a session that never passed 2FA cannot make codes, whatever the host says', async () => {
    const h = fast();
    await enroll(h, 'a');
    h.clock.advance(DAY_MS); // the agent's own check was yesterday
    expect(await h.tf.generateRecoveryCodes('a', { sessionVerified: true })).toEqual({ ok: false, reason: 'not-verified' });
    expect(stored(h.storage, 'a')!.recovery).toBeNull();
  });

  it('sessionVerified must be a boolean (TypeError, no storage call)', async () => {
    const h = fast();
    await expect(h.tf.generateRecoveryCodes('a', { sessionVerified: 'yes' as never })).rejects.toThrow(TypeError);
    expect(h.storage.raw('a')).toBeUndefined();
  });
});

describe('verifyRecoveryCode', () => {
  it('each code works once, in any case and spacing; remaining counts down; the check is recent', async () => {
    const h = fast();
    const { codes } = await withCodes(h);
    h.clock.advance(DAY_MS);
    const typed = [codes[0]!, codes[1]!.toLowerCase(), codes[2]!.replace('-', ' '), ` ${codes[3]!.replace('-', '')} `];
    let remaining = 10;
    for (const code of typed) {
      expect(await h.tf.verifyRecoveryCode('a', code)).toEqual({ ok: true, method: 'recovery', remaining: --remaining });
      expect(await h.tf.verifyRecoveryCode('a', code)).toEqual({ ok: false, reason: 'invalid-code' });
    }
    expect(stored(h.storage, 'a')!.lastVerifiedAt).toBe(now(h));
    expect(h.events.filter((e) => e.type === 'recovery.used').map((e) => e.remaining)).toEqual([9, 8, 7, 6]);
  });

  it.each(['', 'ABCDE-FGHI', 'ABCDE-FGHIJK', 'ABCDE-FGH1J', 'ABCD0-FGHIJ', 'ABCDÉ-FGHIJ', 'ＡＢＣＤＥ-ＦＧＨＩＪ', 'a'.repeat(10_000), 42])('malformed %j: not counted', async (input) => {
    const h = fast();
    await withCodes(h);
    expect(await h.tf.verifyRecoveryCode('a', input as string)).toEqual({ ok: false, reason: 'malformed' });
    expect(stored(h.storage, 'a')!.recovery!.failures).toBe(0);
  });

  it('no codes: no-codes, nothing counted', async () => {
    const h = fast();
    await enroll(h, 'a');
    expect(await h.tf.verifyRecoveryCode('a', 'ABCDE-FGHIJ')).toEqual({ ok: false, reason: 'no-codes' });
    expect(await h.tf.verifyRecoveryCode('nobody', 'ABCDE-FGHIJ')).toEqual({ ok: false, reason: 'no-codes' });
  });

  it('wrong codes count on their own counter: the 5th locks (doubling), a right code is refused unseen while locked', async () => {
    const h = fast();
    const { codes, secret } = await withCodes(h);
    const wrong = 'AAAAA-AAAAA';
    for (let i = 1; i <= 4; i++) expect(await h.tf.verifyRecoveryCode('a', wrong)).toEqual({ ok: false, reason: 'invalid-code' });
    const lockEnd = now(h) + DEFAULTS.throttle.baseLockMs;
    expect(await h.tf.verifyRecoveryCode('a', wrong)).toEqual({ ok: false, reason: 'invalid-code', retryAt: new Date(lockEnd) });
    expect(await h.tf.verifyRecoveryCode('a', codes[0]!)).toEqual({ ok: false, reason: 'locked', retryAt: new Date(lockEnd) });
    // The shared throttle is untouched: TOTP still works.
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    h.clock.set(lockEnd);
    expect(await h.tf.verifyRecoveryCode('a', codes[0]!)).toEqual({ ok: true, method: 'recovery', remaining: 9 });
    expect(stored(h.storage, 'a')!.recovery!.failures).toBe(0);
  });

  it('TOTP failures never lock recovery codes, and recovery failures never suspend', async () => {
    const h = fast({ throttle: { freeFailures: 1, baseLockMs: 1, maxLockMs: 1, maxConsecutiveFailures: 3 } });
    const { codes, secret } = await withCodes(h);
    for (let i = 0; i < 3; i++) {
      await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
      h.clock.advance(10);
    }
    expect((await h.tf.status('a')).suspendedAt).not.toBeNull();
    for (let i = 0; i < 20; i++) {
      expect(await h.tf.verifyRecoveryCode('a', 'AAAAA-AAAAA')).toMatchObject({ ok: false, reason: 'invalid-code' });
      h.clock.advance(10);
    }
    // A right code lifts the suspension and clears both counters.
    expect(await h.tf.verifyRecoveryCode('a', codes[5]!)).toEqual({ ok: true, method: 'recovery', remaining: 9 });
    expect(await h.tf.status('a')).toMatchObject({ suspendedAt: null, failures: 0 });
    expect(stored(h.storage, 'a')!.recovery!.failures).toBe(0);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it('the same code from 20 calls at once is accepted once (a used code is a wrong code to the others)', async () => {
    const h = fast();
    const { codes } = await withCodes(h);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.tf.verifyRecoveryCode('a', codes[0]!)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).every((r) => !r.ok && (r.reason === 'invalid-code' || r.reason === 'locked'))).toBe(true);
    expect((await h.tf.status('a')).recoveryCodes!.remaining).toBe(9);
  });
});

describe('at rest', () => {
  it('without a pepper: scrypt with one salt per set and the parameters stored; checks work', async () => {
    const h = harness();
    const { codes } = await withCodes(h);
    expect(stored(h.storage, 'a')!.recovery).toMatchObject({ kdf: 'scrypt', pepperId: null, salt: expect.stringMatching(/^[0-9a-f]{32}$/), scrypt: DEFAULTS.recovery.scrypt });
    expect(await h.tf.verifyRecoveryCode('a', codes[9]!)).toEqual({ ok: true, method: 'recovery', remaining: 9 });
    expect(await h.tf.verifyRecoveryCode('a', 'AAAAA-AAAAA')).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it('a rotated pepper: { current, previous } keeps codes made under the previous one usable', async () => {
    const first = fast();
    const { codes } = await withCodes(first);
    const rotated = harness({ email: { pepper: { current: NEW_PEPPER, previous: PEPPER } } }, first.storage);
    rotated.clock.set(now(first));
    expect((await rotated.tf.status('a')).recoveryCodes).toMatchObject({ remaining: 10, usable: true });
    expect(await rotated.tf.verifyRecoveryCode('a', codes[0]!)).toEqual({ ok: true, method: 'recovery', remaining: 9 });
  });

  it('a pepper no longer configured: usable false, no-codes, and the policy does not offer them', async () => {
    const first = fast();
    await withCodes(first);
    const other = harness({ email: { pepper: NEW_PEPPER } }, first.storage);
    expect((await other.tf.status('a')).recoveryCodes).toMatchObject({ remaining: 10, usable: false });
    expect(await other.tf.verifyRecoveryCode('a', 'AAAAA-AAAAA')).toEqual({ ok: false, reason: 'no-codes' });
    expect(await other.tf.policy('a')).toMatchObject({ recoveryCode: false });
  });
});

describe('removing methods', () => {
  it('removing the last method deletes the codes; removing one of two keeps them', async () => {
    const h = emailHarness({ email: { pepper: PEPPER } });
    await withCodes(h);
    await enrollEmail(h, 'a');
    await h.tf.admin.remove('a', { method: 'email' });
    expect(stored(h.storage, 'a')!.recovery).not.toBeNull();
    await h.tf.admin.remove('a', { method: 'totp' });
    expect(stored(h.storage, 'a')!.recovery).toBeNull();
    expect((await h.tf.status('a')).recoveryCodes).toBeNull();
  });
});

describe('no hashing for a refused set', () => {
  it('a refused generateRecoveryCodes draws no codes and derives nothing (scrypt is about a second a set)', async () => {
    let draws = 0;
    const h = harness({ random: (bytes) => { draws++; globalThis.crypto.getRandomValues(bytes); } });
    await enroll(h, 'a');
    h.clock.advance(DAY_MS);
    const before = draws;
    expect(await h.tf.generateRecoveryCodes('a', { sessionVerified: true })).toEqual({ ok: false, reason: 'not-verified' });
    expect(draws).toBe(before); // no codes drawn, no salt: nothing was hashed either
    expect(h.events.filter((e) => e.type === 'recovery.failed')).toHaveLength(1); // refused once, not twice
  });
});
