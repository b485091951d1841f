/**
 * Adding a second method. Set-up of a new method completes with `{ ok: true }`, which a login
 * flow treats as "2FA passed"; so while one method is active, a password alone must not be able
 * to set up another (an attacker's own address or app). The host says a session passed 2FA
 * with `sessionVerified: true`; without it the call is refused and nothing changes. A set-up
 * begun while no method was active is voided once another method is enrolled.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import type { TwoFactor } from '../../src/index.js';
import {
  ADDRESS,
  COOLDOWN_MS,
  CountingStorage,
  codeAt,
  emailHarness,
  enroll,
  enrollEmail,
  sendCode,
  stored,
  type EmailHarness,
} from './_helpers.js';

const ATTACKER = 'mallory@example.net';
const now = (h: EmailHarness) => h.clock.now().getTime();

/** Email enrolled by a set-up code, on an agent with no other method. */
async function emailOnly(h: EmailHarness): Promise<void> {
  const code = await sendCode(h, 'a');
  expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true, purpose: 'setup' });
  h.clock.advance(COOLDOWN_MS);
}

describe('TOTP active: an email set-up code', () => {
  it('without sessionVerified: refused, no mail, the record byte for byte as it was, a refusal event', async () => {
    const h = emailHarness();
    await enroll(h, 'a');
    const before = h.storage.raw('a');
    h.events.length = 0;
    expect(await h.tf.sendEmailCode('a', { to: ATTACKER })).toEqual({ ok: false, reason: 'other-method-active' });
    expect(await h.tf.sendEmailCode('a', { to: ATTACKER, sessionVerified: false })).toEqual({ ok: false, reason: 'other-method-active' });
    expect(h.mailer.sent).toEqual([]);
    expect(h.storage.raw('a')).toBe(before);
    expect(h.events.map((e) => [e.type, e.reason])).toEqual([
      ['email.code.refused', 'other-method-active'],
      ['email.code.refused', 'other-method-active'],
    ]);
    expect(JSON.stringify(h.events)).not.toContain(ATTACKER);
    // Nothing to verify, so no `{ ok: true }` can come out of the email side.
    expect(await h.tf.verifyEmailCode('a', '000000')).toEqual({ ok: false, reason: 'no-challenge' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['totp'], email: null, emailCode: null });
  });

  it('is refused before the address is looked at (no hint about what the host would accept)', async () => {
    const h = emailHarness();
    await enroll(h, 'a');
    expect(await h.tf.sendEmailCode('a', {})).toEqual({ ok: false, reason: 'other-method-active' });
    expect(await h.tf.sendEmailCode('a', { to: 'not an address' })).toEqual({ ok: false, reason: 'other-method-active' });
  });

  it('with sessionVerified: sent, and its code enrolls the address next to TOTP', async () => {
    const h = emailHarness();
    await enroll(h, 'a');
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true })).toMatchObject({ ok: true, purpose: 'setup' });
    expect(await h.tf.verifyEmailCode('a', h.mailer.lastCode(ADDRESS)!)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
    expect(await h.tf.policy('a')).toMatchObject({ verifyMethods: ['totp', 'email'] });
  });

  it('a pending (unconfirmed) TOTP set-up is not a method: the email set-up needs no flag', async () => {
    const h = emailHarness();
    expect((await h.tf.beginTotpSetup('a', { account: ADDRESS })).ok).toBe(true);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toMatchObject({ ok: true, purpose: 'setup' });
  });

  it('login codes are not affected: the flag changes nothing once email is enrolled', async () => {
    const h = emailHarness();
    await enroll(h, 'a');
    await enrollEmail(h, 'a');
    expect(await h.tf.sendEmailCode('a', {})).toMatchObject({ ok: true, purpose: 'login' });
    h.clock.advance(COOLDOWN_MS);
    expect(await h.tf.sendEmailCode('a', { sessionVerified: true })).toMatchObject({ ok: true, purpose: 'login' });
  });
});

describe('email enrolled: a TOTP set-up', () => {
  it('without sessionVerified: refused, no secret, the record as it was, a refusal event', async () => {
    const h = emailHarness();
    await emailOnly(h);
    const before = h.storage.raw('a');
    h.events.length = 0;
    const refused = await h.tf.beginTotpSetup('a', { account: ADDRESS });
    expect(refused).toEqual({ ok: false, reason: 'other-method-active' });
    expect(await h.tf.beginTotpSetup('a', { account: ADDRESS, setupToken: 'guessed' })).toEqual({ ok: false, reason: 'other-method-active' });
    expect(h.storage.raw('a')).toBe(before);
    expect(h.events.map((e) => [e.type, e.method, e.outcome, e.reason])).toEqual([
      ['totp.setup.refused', 'totp', 'failure', 'other-method-active'],
      ['totp.setup.refused', 'totp', 'failure', 'other-method-active'],
    ]);
    expect(await h.tf.confirmTotpSetup('a', '123456', { setupToken: 'guessed' })).toEqual({ ok: false, reason: 'no-pending-setup' });
  });

  it('a refresh of a set-up begun with the flag needs the flag again (no secret for a password alone)', async () => {
    const h = emailHarness();
    await emailOnly(h);
    const begun = await h.tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: true });
    if (!begun.ok) throw new Error(begun.reason);
    expect(await h.tf.beginTotpSetup('a', { account: ADDRESS, setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'other-method-active' });
    expect(await h.tf.beginTotpSetup('a', { account: ADDRESS, setupToken: begun.setupToken, sessionVerified: true })).toEqual(begun);
    // Confirming it (the same session) works and keeps email.
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['totp', 'email'] });
  });

  it('admin.provisionTotp is the admin\'s call and needs no flag', async () => {
    const h = emailHarness();
    await emailOnly(h);
    expect((await h.tf.admin.provisionTotp('a', { account: ADDRESS })).ok).toBe(true);
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['totp', 'email'] });
  });
});

describe('a set-up begun while no method was active is voided when another is enrolled', () => {
  it('TOTP confirmed: the outstanding email set-up code no longer enrolls anything', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a', ATTACKER);
    const begun = await h.tf.beginTotpSetup('a', { account: ADDRESS });
    if (!begun.ok) throw new Error(begun.reason);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.emailChallenge).toBeNull();
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'no-challenge' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['totp'], email: null });
  });

  it('TOTP provisioned by an admin: the same', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a', ATTACKER);
    expect((await h.tf.admin.provisionTotp('a', { account: ADDRESS })).ok).toBe(true);
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'no-challenge' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['totp'], email: null });
  });

  it('email enrolled: the pending TOTP set-up is gone, its secret cannot be confirmed', async () => {
    const h = emailHarness();
    const begun = await h.tf.beginTotpSetup('a', { account: ADDRESS });
    if (!begun.ok) throw new Error(begun.reason);
    await emailOnly(h);
    expect(stored(h.storage, 'a')!.totp).toBeNull();
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'no-pending-setup' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['email'], totp: null });
  });

  it('a login code outstanding is kept when TOTP is added with the flag', async () => {
    const h = emailHarness();
    await emailOnly(h);
    const begun = await h.tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: true });
    if (!begun.ok) throw new Error(begun.reason);
    const login = await sendCode(h, 'a');
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.verifyEmailCode('a', login)).toEqual({ ok: true, method: 'email', purpose: 'login' });
  });

  it('a TOTP login leaves an outstanding email login code alone', async () => {
    const h = emailHarness();
    const secret = await enroll(h, 'a');
    await enrollEmail(h, 'a');
    const login = await sendCode(h, 'a');
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.verifyEmailCode('a', login)).toMatchObject({ ok: true, purpose: 'login' });
  });
});

describe('sessionVerified must be a boolean', () => {
  const CALLS: Array<[string, (tf: TwoFactor) => Promise<unknown>]> = [
    ['sendEmailCode, "true"', (tf) => tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: 'true' as never })],
    ['sendEmailCode, 1', (tf) => tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: 1 as never })],
    ['sendEmailCode, null', (tf) => tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: null as never })],
    ['beginTotpSetup, "yes"', (tf) => tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: 'yes' as never })],
    ['beginTotpSetup, {}', (tf) => tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: {} as never })],
  ];
  it.each(CALLS)('%s: a rejected TypeError naming the option, no storage call, no mail', async (_name, call) => {
    const counting = new CountingStorage(new MemoryStorage());
    const h = emailHarness({ storage: counting });
    const error = await call(h.tf).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toContain('"sessionVerified" expected a boolean');
    expect(counting.calls).toEqual([]);
    expect(h.mailer.sent).toEqual([]);
  });
});
