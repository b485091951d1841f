/**
 * The hard limit (NIST SP 800-63B §5.2.2): `throttle.maxConsecutiveFailures` consecutive
 * failures, counted across methods, suspend the agent until an admin unlocks. Tried as a
 * guesser holding only the password would: however long they keep at it, no more than the
 * limit's worth of codes is ever looked at.
 */
import { describe, expect, it } from 'vitest';
import type { TwoFactor } from '../../src/index.js';
import { DAY_MS, begin, codeAt, emailHarness, enroll, enrollEmail, harness, sendCode, stored, wrongCode, type Harness } from './_helpers.js';

const now = (h: Harness) => h.clock.now().getTime();

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
        expect(await h.tf.verifyEmailCode('a', '000000' === h.mailer.sent.at(-1)!.code ? '000001' : '000000')).toMatchObject({ ok: false });
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
    const code = h.mailer.sent.at(-1)!.code;
    const wrong = code === '000000' ? '000001' : '000000';
    expect(await h.tf.verifyEmailCode('a', wrong)).toMatchObject({ reason: 'invalid-code' });
    h.clock.advance(10);
    expect(await h.tf.verifyEmailCode('a', wrong)).toEqual({ ok: false, reason: 'suspended' });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'suspended' });
  });
});
