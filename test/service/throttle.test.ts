/**
 * @module The throttle step every method takes (src/service/throttle.ts, over the arithmetic of
 * src/record/throttle.ts), as the flows meet it: the lock after freeFailures wrong codes and how
 * it grows, one count shared by every method, and the hard limit (NIST SP 800-63B §5.2.2):
 * `throttle.maxConsecutiveFailures` consecutive failures, counted across methods, suspend the
 * agent until an admin unlocks. Tried as a guesser holding only the password would: however
 * long they keep at it, no more than the limit's worth of codes is ever looked at.
 */
import { describe, expect, it } from 'vitest';
import type { TwoFactor } from '../../src/index.js';
import { ADDRESS, DAY_MS, STEP_MS, begin, codeAt, codeOf, emailHarness, enroll, enrollEmail, harness, now, otherCode, sendCode, stored, wrongCode, type Harness } from '../support/harness.js';

describe('the lock', () => {
  it('five wrong codes lock for 30 s; while locked even the right code is refused unseen; expiry lets attempts in', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    for (let i = 1; i <= 4; i++) {
      expect(await h.tf.verifyTotp('a', wrongCode(secret, now(h)))).toEqual({ ok: false, reason: 'invalid-code' });
    }
    const lockEnd = now(h) + 30_000;
    expect(await h.tf.verifyTotp('a', wrongCode(secret, now(h)))).toEqual({ ok: false, reason: 'invalid-code', retryAt: new Date(lockEnd) });
    expect(await h.tf.status('a')).toMatchObject({ failures: 5, lockedUntil: new Date(lockEnd) });

    h.clock.set(lockEnd - 1);
    const good = codeAt(secret, now(h));
    expect(await h.tf.verifyTotp('a', good)).toEqual({ ok: false, reason: 'locked', retryAt: new Date(lockEnd) });
    expect(await h.tf.verifyTotp('a', '12')).toEqual({ ok: false, reason: 'locked', retryAt: new Date(lockEnd) });
    // Refusals while locked do not extend the lock or count.
    expect(stored(h.storage, 'a')!.throttle).toMatchObject({ failures: 5, lockedUntil: lockEnd });
    // Nor did they consume the code's step.
    expect(stored(h.storage, 'a')!.totp!.lastStep).toBeLessThan(Math.floor(now(h) / STEP_MS));

    h.clock.set(lockEnd); // the lock ends at retryAt exactly
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    // The success reset the throttle: the next wrong code is a free failure again.
    expect(await h.tf.status('a')).toMatchObject({ failures: 0, lockedUntil: null });
    expect(await h.tf.verifyTotp('a', wrongCode(secret, now(h)))).toEqual({ ok: false, reason: 'invalid-code' });
    expect((await h.tf.status('a')).failures).toBe(1);
  });

  it('further failures double the lock, 30 s to 15 min, then stay at 15 min', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 4; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    const locks: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
      if (r.ok || r.reason !== 'invalid-code' || r.retryAt === undefined) throw new Error(`unexpected ${JSON.stringify(r)}`);
      locks.push((r.retryAt.getTime() - now(h)) / 1000);
      h.clock.set(r.retryAt);
    }
    expect(locks).toEqual([30, 60, 120, 240, 480, 900, 900, 900]);
    expect((await h.tf.status('a')).failures).toBe(12);
  });

  it('custom throttle options: freeFailures 1, 1 s doubling to 4 s', async () => {
    const h = harness({ throttle: { freeFailures: 1, baseLockMs: 1000, maxLockMs: 4000 } });
    const secret = await enroll(h, 'a');
    const locks: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
      if (r.ok || r.reason !== 'invalid-code' || !r.retryAt) throw new Error('expected a lock');
      locks.push(r.retryAt.getTime() - now(h));
      h.clock.set(r.retryAt);
    }
    expect(locks).toEqual([1000, 2000, 4000, 4000]);
  });

  it('freeFailures 100 (with the hard limit moved to 1000): the 100th failure locks', async () => {
    const h = harness({ throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } });
    const secret = await enroll(h, 'a');
    const bad = wrongCode(secret, now(h));
    for (let i = 1; i < 100; i++) expect(await h.tf.verifyTotp('a', bad)).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.verifyTotp('a', bad)).toMatchObject({ ok: false, reason: 'invalid-code', retryAt: new Date(now(h) + 30_000) });
    expect(await h.tf.verifyTotp('a', bad)).toMatchObject({ ok: false, reason: 'locked' });
  });

  it('the throttle is per agent: locking one leaves another free', async () => {
    const h = harness();
    const a = await enroll(h, 'a');
    const b = await enroll(h, 'b');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(a, now(h)));
    expect((await h.tf.verifyTotp('a', codeAt(a, now(h)))).ok).toBe(false);
    expect(await h.tf.verifyTotp('b', codeAt(b, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it('after a lock expires the count is kept: the next failure locks again at once (60 s)', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    h.clock.advance(30_000);
    expect((await h.tf.status('a')).lockedUntil).toBeNull();
    expect(await h.tf.verifyTotp('a', wrongCode(secret, now(h)))).toEqual({
      ok: false, reason: 'invalid-code', retryAt: new Date(now(h) + 60_000),
    });
  });
});

describe('one count for every method', () => {
  it('wrong TOTP codes lock email sends and verifications; after the lock the email code works and resets it', async () => {
    const h = emailHarness();
    const secret = await enroll(h, 'a');
    await enrollEmail(h, 'a');
    const code = await sendCode(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    const lockEnd = new Date(now(h) + 30_000);
    expect((await h.tf.status('a')).lockedUntil).toEqual(lockEnd);

    h.clock.set(lockEnd.getTime() - 1); // the lock's last millisecond
    const before = h.storage.raw('a');
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'locked', retryAt: lockEnd });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'locked', retryAt: lockEnd });
    expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'locked', retryAt: lockEnd });
    expect(h.storage.raw('a')).toBe(before); // the code was not looked at, no attempt used
    expect(h.mailer.sent).toHaveLength(2);

    h.clock.set(lockEnd.getTime());
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'login' });
    expect(await h.tf.status('a')).toMatchObject({ failures: 0, lockedUntil: null });
  });

  it('wrong email codes lock TOTP logins', async () => {
    const h = emailHarness({ email: { maxAttempts: 10 } });
    const secret = await enroll(h, 'a');
    const code = await sendCode(h, 'a', ADDRESS, { sessionVerified: true });
    for (let i = 0; i < 4; i++) expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'invalid-code' });
    const lockEnd = new Date(now(h) + 30_000);
    expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'invalid-code', retryAt: lockEnd });
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: false, reason: 'locked', retryAt: lockEnd });
  });

  it('a success resets the throttle, including TOTP failures', async () => {
    const h = emailHarness();
    const secret = await enroll(h, 'a');
    const code = await sendCode(h, 'a', ADDRESS, { sessionVerified: true });
    await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    for (let i = 0; i < 3; i++) await h.tf.verifyEmailCode('a', otherCode(code));
    expect((await h.tf.status('a')).failures).toBe(4);
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
    expect(stored(h.storage, 'a')!.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
  });
});

/** Sends wrong TOTP codes, waiting out each lock, until a result is not `invalid-code`. */
async function guessUntilRefused(h: Harness, secret: string, limit = 1000): Promise<{ guesses: number; last: unknown }> {
  for (let guesses = 1; guesses <= limit; guesses++) {
    const r = await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    if (r.ok || r.reason !== 'invalid-code') return { guesses, last: r };
    if (r.retryAt) h.clock.set(r.retryAt);
  }
  throw new Error('never refused');
}

describe('the hard limit', () => {
  it('the 100th consecutive failure suspends: reason suspended, event throttle.suspended, status and policy say so', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    const { guesses, last } = await guessUntilRefused(h, secret);
    expect(guesses).toBe(100);
    expect(last).toEqual({ ok: false, reason: 'suspended' });
    expect(h.events.filter((e) => e.type === 'throttle.suspended')).toEqual([
      { type: 'throttle.suspended', agentId: 'a', method: 'totp', outcome: 'failure', reason: 'too-many-failures', at: new Date(now(h)) },
    ]);
    expect(await h.tf.status('a')).toMatchObject({ suspendedAt: new Date(now(h)), failures: 100, lockedUntil: null });
    expect(await h.tf.policy('a')).toMatchObject({ next: 'verify', verifyMethods: ['totp'], suspended: true });
  });

  it('a guesser who never stops gets at most 100 codes looked at, over a simulated year', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    const start = now(h);
    let looked = 0;
    while (now(h) < start + 365 * DAY_MS) {
      const r = await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
      if (r.ok) throw new Error('guessed');
      if (r.reason === 'invalid-code' || (r.reason === 'suspended' && looked === 99)) looked++;
      h.clock.set(r.reason === 'invalid-code' && r.retryAt ? r.retryAt.getTime() : now(h) + 15 * 60_000);
    }
    expect(looked).toBe(100);
    expect((await h.tf.status('a')).failures).toBe(100);
  });

  it('failures count across methods: TOTP and email guesses together reach the limit', async () => {
    const h = emailHarness({ throttle: { freeFailures: 3, baseLockMs: 1, maxLockMs: 1, maxConsecutiveFailures: 10 } });
    const secret = await enroll(h, 'a');
    await enrollEmail(h, 'a');
    for (let i = 0; i < 9; i++) {
      if (i % 2 === 0) expect(await h.tf.verifyTotp('a', wrongCode(secret, now(h)))).toMatchObject({ reason: 'invalid-code' });
      else {
        await h.tf.sendEmailCode('a', {});
        expect(await h.tf.verifyEmailCode('a', '000000' === codeOf(h.mailer.sent.at(-1)) ? '000001' : '000000')).toMatchObject({ ok: false });
      }
      h.clock.advance(60_000);
    }
    expect(await h.tf.verifyTotp('a', wrongCode(secret, now(h)))).toEqual({ ok: false, reason: 'suspended' });
  });

  it('a success before the limit resets the count', async () => {
    const h = harness({ throttle: { freeFailures: 2, baseLockMs: 1, maxLockMs: 1, maxConsecutiveFailures: 4 } });
    const secret = await enroll(h, 'a');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 3; i++) {
        await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
        h.clock.advance(1);
      }
      h.clock.advance(30_000);
      expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    }
    expect((await h.tf.status('a')).suspendedAt).toBeNull();
  });
});

describe('while suspended', () => {
  async function suspended() {
    const h = emailHarness({ throttle: { freeFailures: 1, baseLockMs: 1, maxLockMs: 1, maxConsecutiveFailures: 3 } });
    const secret = await enroll(h, 'a');
    await enrollEmail(h, 'a');
    for (let i = 0; i < 3; i++) {
      await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
      h.clock.advance(10);
    }
    expect((await h.tf.status('a')).suspendedAt).not.toBeNull();
    h.clock.advance(DAY_MS);
    return { h, secret };
  }

  const CALLS: Array<[string, (tf: TwoFactor, secret: string, at: number) => Promise<unknown>]> = [
    ['verifyTotp with the right code', (tf, secret, at) => tf.verifyTotp('a', codeAt(secret, at))],
    ['verifyTotp with a malformed code', (tf) => tf.verifyTotp('a', 'x')],
    ['verifyEmailCode', (tf) => tf.verifyEmailCode('a', '123456')],
    ['sendEmailCode', (tf) => tf.sendEmailCode('a', {})],
    ['confirmTotpSetup', (tf) => tf.confirmTotpSetup('a', '123456', { setupToken: 'x' })],
    ['beginTotpSetup', (tf) => tf.beginTotpSetup('a', { account: 'a@example.com', sessionVerified: true })],
  ];

  it.each(CALLS)('%s: suspended, before its input is looked at; nothing counted, no lock, no mail', async (_name, call) => {
    const { h, secret } = await suspended();
    const before = h.storage.raw('a');
    const mails = h.mailer.sent.length;
    expect(await call(h.tf, secret, now(h))).toEqual({ ok: false, reason: 'suspended' });
    expect(h.storage.raw('a')).toBe(before);
    expect(h.mailer.sent).toHaveLength(mails);
    expect(h.events.at(-1)).toMatchObject({ outcome: 'failure', reason: 'suspended' });
  });

  it('admin.unlock ends it: wasSuspended, event, and the right code works at once', async () => {
    const { h, secret } = await suspended();
    h.events.length = 0;
    expect(await h.tf.admin.unlock('a')).toEqual({ ok: true, wasLocked: false, wasSuspended: true });
    expect(h.events.map((e) => [e.type, e.reason])).toEqual([['admin.unlocked', 'suspended']]);
    expect(await h.tf.status('a')).toMatchObject({ suspendedAt: null, failures: 0 });
    expect(await h.tf.policy('a')).toMatchObject({ suspended: false });
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.admin.unlock('a')).toEqual({ ok: true, wasLocked: false, wasSuspended: false });
  });

  it('admin.remove also ends it (set-up starts afresh)', async () => {
    const { h } = await suspended();
    await h.tf.admin.remove('a');
    expect(stored(h.storage, 'a')!.throttle).toEqual({ failures: 0, lockedUntil: null, lastFailureAt: null, suspendedAt: null });
    expect((await begin(h, 'a')).secret).toMatch(/^[A-Z2-7]+$/);
  });

  it('an email set-up guesser is suspended too (no method yet: sends and codes refused)', async () => {
    const h = emailHarness({ throttle: { freeFailures: 1, baseLockMs: 1, maxLockMs: 1, maxConsecutiveFailures: 2 } });
    await sendCode(h, 'a');
    const code = codeOf(h.mailer.sent.at(-1));
    const wrong = code === '000000' ? '000001' : '000000';
    expect(await h.tf.verifyEmailCode('a', wrong)).toMatchObject({ reason: 'invalid-code' });
    h.clock.advance(10);
    expect(await h.tf.verifyEmailCode('a', wrong)).toEqual({ ok: false, reason: 'suspended' });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'suspended' });
  });
});
