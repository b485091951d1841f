/**
 * @module The email flows (src/service/email.ts): sendEmailCode and verifyEmailCode on
 * MemoryStorage, a manual clock and a MemoryMailer: set-up and login by email, the exact expiry
 * boundary, attempts, cooldown and hourly cap, replaced codes, delivery failures and the undo,
 * refusals that write and send nothing, the pepper and custom templates. (Malformed codes:
 * bad-inputs.test.ts; the throttle shared with TOTP: throttle.test.ts; a second method:
 * guard.test.ts; admin removal: admin.test.ts; status().emailCode: status.test.ts.)
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { MemoryMailer, MemoryStorage, manualClock } from '../../src/memory.js';
import type { AgentRecord, EmailMessage, EmailTemplateInput, Mailer } from '../../src/index.js';
import { emptyRecord } from '../../src/record/schema.js';
import {
  ADDRESS, BOTH, COOLDOWN_MS, EMAIL_ONLY, HOUR_MS, T0, TOTP_ONLY, createTwoFactor, emailHarness, enroll, enrollEmail, now, otherCode, sendCode, stored, type EmailHarness, codeOf,
} from '../support/harness.js';

const TTL_MS = 10 * 60_000;
const PEPPER = 'a pepper of at least sixteen bytes, kept outside the database';
/** A record without its `updatedAt`, for "back as it was" comparisons. */
const content = (r: AgentRecord | undefined) => (r === undefined ? undefined : { ...r, updatedAt: 0 });

describe('set-up by email', () => {
  it('a setup code enrolls the address; the policy then asks to verify by email', async () => {
    const h = emailHarness();
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional', setupMethods: ['totp', 'email'] });

    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: true, purpose: 'setup', expiresAt: new Date(T0 + TTL_MS) });
    const [mail] = h.mailer.sent;
    expect(mail).toMatchObject({ to: ADDRESS, purpose: 'setup', agentId: 'a', expiresAt: new Date(T0 + TTL_MS) });
    expect(codeOf(mail)).toMatch(/^[0-9]{6}$/);
    expect(mail!.text).toContain(codeOf(mail));
    expect(mail!.html).toContain(codeOf(mail));
    expect(mail!.subject).not.toContain(codeOf(mail));

    // Outstanding, not yet enrolled.
    let status = await h.tf.status('a');
    expect(status.enrolled).toEqual([]);
    expect(status.email).toBeNull();
    expect(status.emailCode).toEqual({ purpose: 'setup', expiresAt: new Date(T0 + TTL_MS), attemptsLeft: 5 });
    expect(stored(h.storage, 'a')!.emailChallenge).toMatchObject({
      purpose: 'setup', address: ADDRESS, digits: 6, issuedAt: T0, expiresAt: T0 + TTL_MS, attempts: 0,
    });
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0]);

    h.clock.advance(90_000);
    expect(await h.tf.verifyEmailCode('a', codeOf(mail))).toEqual({ ok: true, method: 'email', purpose: 'setup' });
    status = await h.tf.status('a');
    expect(status.enrolled).toEqual(['email']);
    expect(status.email).toEqual({ address: ADDRESS, enrolledAt: new Date(T0 + 90_000), lastUsedAt: new Date(T0 + 90_000) });
    expect(status.emailCode).toBeNull();
    expect(status.lastUsedAt).toEqual(new Date(T0 + 90_000));
    expect(stored(h.storage, 'a')!.emailChallenge).toBeNull();
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['email'] });

    // Single use.
    expect(await h.tf.verifyEmailCode('a', codeOf(mail))).toEqual({ ok: false, reason: 'no-challenge' });
  });

  it('with Email 2FA only and "require": the policy asks for email set-up, then for email verification', async () => {
    const h = emailHarness({ settings: { ...EMAIL_ONLY, requireAll: true } });
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'setup', setupMethods: ['email'] });
    await enrollEmail(h, 'a');
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'verify', verifyMethods: ['email'] });
  });

  it('a second setup code to another address replaces the first: the newer address is enrolled', async () => {
    const h = emailHarness();
    const first = await sendCode(h, 'a', 'old@example.com');
    h.clock.advance(COOLDOWN_MS);
    const second = await sendCode(h, 'a', ADDRESS);
    expect(h.mailer.sent.map((m) => m.to)).toEqual(['old@example.com', ADDRESS]);
    if (first !== second) expect(await h.tf.verifyEmailCode('a', first)).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.verifyEmailCode('a', second)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
    expect((await h.tf.status('a')).email!.address).toBe(ADDRESS);
  });
});

describe('login by email', () => {
  it('a login code to the enrolled address signs in; enrolledAt stays, lastUsedAt moves', async () => {
    const h = emailHarness();
    await enrollEmail(h, 'a');
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: true, purpose: 'login', expiresAt: new Date(now(h) + TTL_MS) });
    const mail = h.mailer.sent.at(-1)!;
    expect(mail).toMatchObject({ to: ADDRESS, purpose: 'login' });
    h.clock.advance(5_000);
    expect(await h.tf.verifyEmailCode('a', codeOf(mail))).toEqual({ ok: true, method: 'email', purpose: 'login' });
    expect((await h.tf.status('a')).email).toEqual({ address: ADDRESS, enrolledAt: new Date(T0), lastUsedAt: new Date(now(h)) });
    expect(await h.tf.verifyEmailCode('a', codeOf(mail))).toEqual({ ok: false, reason: 'no-challenge' });
  });

  it('the address is compared ignoring ASCII case, and the mail goes to the enrolled spelling', async () => {
    const h = emailHarness();
    await enrollEmail(h, 'a');
    expect(await h.tf.sendEmailCode('a', { to: 'ANN@Example.COM' })).toMatchObject({ ok: true, purpose: 'login' });
    expect(h.mailer.sent.at(-1)!.to).toBe(ADDRESS);
    expect(stored(h.storage, 'a')!.emailChallenge!.address).toBe(ADDRESS);
  });

  it('another address: address-mismatch, no mail, nothing written', async () => {
    const h = emailHarness();
    await enrollEmail(h, 'a');
    const before = h.storage.raw('a');
    const mails = h.mailer.sent.length;
    for (const to of ['bob@example.com', 'ann@example.org', 'ann+x@example.com']) {
      expect(await h.tf.sendEmailCode('a', { to })).toEqual({ ok: false, reason: 'address-mismatch' });
    }
    expect(h.mailer.sent).toHaveLength(mails);
    expect(h.storage.raw('a')).toBe(before);
  });
});

describe('expiry at the exact boundary', () => {
  it.each([
    { name: 'default ttl (10 min)', ttlMs: undefined, ttl: TTL_MS },
    { name: 'ttlMs 5000', ttlMs: 5_000, ttl: 5_000 },
  ])('$name: accepted 1 ms before expiresAt, expired at expiresAt', async ({ ttlMs, ttl }) => {
    const h = emailHarness(ttlMs === undefined ? {} : { email: { ttlMs } });
    const code = await sendCode(h, 'a');
    const expiresAt = stored(h.storage, 'a')!.emailChallenge!.expiresAt;
    expect(expiresAt).toBe(T0 + ttl);

    h.clock.set(expiresAt - 1);
    expect((await h.tf.status('a')).emailCode).not.toBeNull();
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'setup' });

    h.clock.set(T0 + ttl + COOLDOWN_MS); // a fresh code, then wait exactly its ttl
    const second = await sendCode(h, 'a');
    h.clock.advance(ttl);
    expect((await h.tf.status('a')).emailCode).toBeNull();
    const before = h.storage.raw('a');
    expect(await h.tf.verifyEmailCode('a', second)).toEqual({ ok: false, reason: 'expired' });
    expect(await h.tf.verifyEmailCode('a', otherCode(second))).toEqual({ ok: false, reason: 'expired' });
    // Nothing checked, nothing counted, nothing written.
    expect(h.storage.raw('a')).toBe(before);
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(0);
  });
});

describe('attempts exhausted', () => {
  it('5 wrong codes: the 5th is too-many-attempts, the right code is then refused, a new send works', async () => {
    // A high freeFailures keeps the throttle out of the way: only the per-code limit acts.
    const h = emailHarness({ throttle: { freeFailures: 50 } });
    const code = await sendCode(h, 'a');
    const bad = otherCode(code);
    for (let i = 1; i <= 4; i++) {
      expect(await h.tf.verifyEmailCode('a', bad)).toEqual({ ok: false, reason: 'invalid-code' });
      expect((await h.tf.status('a')).emailCode!.attemptsLeft).toBe(5 - i);
    }
    expect(await h.tf.verifyEmailCode('a', bad)).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect((await h.tf.status('a')).emailCode!.attemptsLeft).toBe(0);
    const burned = h.storage.raw('a');
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect(await h.tf.verifyEmailCode('a', bad)).toEqual({ ok: false, reason: 'too-many-attempts' });
    // A burned code is not checked any more: no attempt, no throttle failure, no write.
    expect(h.storage.raw('a')).toBe(burned);
    expect(stored(h.storage, 'a')!.emailChallenge!.attempts).toBe(5);
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(5);

    h.clock.advance(COOLDOWN_MS);
    const fresh = await sendCode(h, 'a');
    expect(await h.tf.verifyEmailCode('a', fresh)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(0);
  });

  it('with the default throttle the 5th wrong code also locks (retryAt); after the lock the code is still burned', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a');
    for (let i = 0; i < 4; i++) expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'too-many-attempts', retryAt: new Date(T0 + 30_000) });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'locked', retryAt: new Date(T0 + 30_000) });
    h.clock.advance(30_000);
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'too-many-attempts' });
    h.clock.advance(COOLDOWN_MS - 30_000);
    const fresh = await sendCode(h, 'a');
    expect(await h.tf.verifyEmailCode('a', fresh)).toMatchObject({ ok: true });
  });

  it('maxAttempts: 1 burns the code at the first wrong entry', async () => {
    const h = emailHarness({ email: { maxAttempts: 1 } });
    const code = await sendCode(h, 'a');
    expect(await h.tf.status('a')).toMatchObject({ emailCode: { attemptsLeft: 1 } });
    expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'too-many-attempts' });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'too-many-attempts' });
  });
});

describe('cooldown and hourly cap', () => {
  it('a second send within 60 s: cooldown with retryAt = first + 60 s; at exactly +60 s it goes out', async () => {
    const h = emailHarness();
    await sendCode(h, 'a');
    const before = h.storage.raw('a');
    for (const wait of [0, 1, 30_000, COOLDOWN_MS - 1]) {
      h.clock.set(T0 + wait);
      expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'cooldown', retryAt: new Date(T0 + COOLDOWN_MS) });
    }
    expect(h.mailer.sent).toHaveLength(1);
    expect(h.storage.raw('a')).toBe(before); // a refused send is not counted
    h.clock.set(T0 + COOLDOWN_MS);
    await sendCode(h, 'a');
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0, T0 + COOLDOWN_MS]);
  });

  it('5 sends in a rolling hour: the 6th is too-many-sends with retryAt = oldest + 1 h', async () => {
    const h = emailHarness();
    const GAP = 2 * 60_000; // past the cooldown, so only the cap refuses
    for (let k = 0; k < 5; k++) {
      h.clock.set(T0 + k * GAP);
      await sendCode(h, 'a');
    }
    h.clock.set(T0 + 5 * GAP);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'too-many-sends', retryAt: new Date(T0 + HOUR_MS) });
    h.clock.set(T0 + HOUR_MS - 1);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'too-many-sends', retryAt: new Date(T0 + HOUR_MS) });
    expect(h.mailer.sent).toHaveLength(5);

    // The oldest send leaves the window at exactly +1 h.
    h.clock.set(T0 + HOUR_MS);
    await sendCode(h, 'a');
    expect(stored(h.storage, 'a')!.emailSends).toEqual([1, 2, 3, 4].map((k) => T0 + k * GAP).concat(T0 + HOUR_MS));
    // Rolling: the next slot opens when the then-oldest send (T0 + 2 min) is an hour old.
    h.clock.set(T0 + HOUR_MS + COOLDOWN_MS);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'too-many-sends', retryAt: new Date(T0 + GAP + HOUR_MS) });
    h.clock.set(T0 + GAP + HOUR_MS);
    await sendCode(h, 'a');
  });

  it('custom limits: resendCooldownMs 0 and maxSendsPerHour 2', async () => {
    const h = emailHarness({ email: { resendCooldownMs: 0, maxSendsPerHour: 2 } });
    await sendCode(h, 'a');
    await sendCode(h, 'a');
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'too-many-sends', retryAt: new Date(T0 + HOUR_MS) });
  });

  it('servers with skewed clocks on one storage: a send stamped ahead still holds back the lagging server', async () => {
    const storage = new MemoryStorage();
    const ahead = emailHarness({}, storage);
    const behind = emailHarness({}, storage);
    ahead.clock.set(T0 + 30_000);
    await sendCode(ahead, 'a');
    // The lagging server sees a send 30 s in its future: the cooldown runs from that stamp.
    expect(await behind.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'cooldown', retryAt: new Date(T0 + 30_000 + COOLDOWN_MS) });
    behind.clock.set(T0 + 30_000 + COOLDOWN_MS);
    expect(await behind.tf.sendEmailCode('a', { to: ADDRESS })).toMatchObject({ ok: true });
    expect(stored(storage, 'a')!.emailSends).toEqual([T0 + 30_000, T0 + 30_000 + COOLDOWN_MS]);
  });

  it('the hourly cap counts sends stamped up to an hour ahead, and ignores a stamp further ahead', async () => {
    const h = emailHarness({ email: { resendCooldownMs: 0, maxSendsPerHour: 2 } });
    await h.storage.save('a', { ...emptyRecord(T0), emailSends: [T0 + 1_000, T0 + HOUR_MS] }, null);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'too-many-sends', retryAt: new Date(T0 + 1_000 + HOUR_MS) });
    await h.storage.save('a', { ...emptyRecord(T0), emailSends: [T0 + 1_000, T0 + HOUR_MS + 1] }, (await h.storage.load('a'))!.version);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toMatchObject({ ok: true });
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0, T0 + 1_000]);
  });
});

describe('a new code replaces the previous one', () => {
  it('after a resend the old code is a wrong code (one attempt used) and the new one works', async () => {
    const h = emailHarness();
    await enrollEmail(h, 'a');
    const old = await sendCode(h, 'a');
    h.clock.advance(COOLDOWN_MS);
    const fresh = await sendCode(h, 'a');
    expect(fresh).not.toBe(old); // 1 in 10^6 to collide
    expect(await h.tf.verifyEmailCode('a', old)).toEqual({ ok: false, reason: 'invalid-code' });
    expect((await h.tf.status('a')).emailCode!.attemptsLeft).toBe(4);
    expect(await h.tf.verifyEmailCode('a', fresh)).toEqual({ ok: true, method: 'email', purpose: 'login' });
    expect(await h.tf.verifyEmailCode('a', old)).toEqual({ ok: false, reason: 'no-challenge' });
  });
});

/** An enrolled agent with an outstanding login code (one attempt used), two minutes later. */
async function withOutstandingCode(h: EmailHarness): Promise<string> {
  await enrollEmail(h, 'a');
  const code = await sendCode(h, 'a');
  expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'invalid-code' });
  h.clock.advance(2 * 60_000);
  return code;
}

describe('delivery failure', () => {
  it('leaves the stored record byte-identical', async () => {
    // The issue: "put the record back as it was". Any write the undo makes must restore every
    // byte, updatedAt included, or a delivery failure is visible as a change at rest.
    const h = emailHarness();
    await withOutstandingCode(h);
    const before = h.storage.raw('a');
    h.mailer.failNext();
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
    expect(h.storage.raw('a')).toBe(before);
  });

  it('puts the previous code back, uses up no cooldown or hourly send, and allows an immediate resend', async () => {
    const h = emailHarness();
    const previous = await withOutstandingCode(h);
    const before = stored(h.storage, 'a');
    const mails = h.mailer.sent.length;
    h.mailer.failNext();
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
    expect(h.mailer.sent).toHaveLength(mails);
    expect(h.deliveryErrors).toHaveLength(1);
    expect((h.deliveryErrors[0] as Error).message).toBe('MemoryMailer: simulated delivery failure');
    expect(content(stored(h.storage, 'a'))).toEqual(content(before));
    expect((await h.tf.status('a')).emailCode).toMatchObject({ purpose: 'login', attemptsLeft: 4 });

    // The previous code is still the outstanding one ...
    expect(await h.tf.verifyEmailCode('a', previous)).toEqual({ ok: true, method: 'email', purpose: 'login' });
    // ... and a resend goes out at once: no cooldown was consumed.
    const fresh = await sendCode(h, 'a');
    expect(stored(h.storage, 'a')!.emailSends).toEqual([...before!.emailSends, now(h)]);
    expect(await h.tf.verifyEmailCode('a', fresh)).toEqual({ ok: true, method: 'email', purpose: 'login' });
  });

  it('the code whose mail failed does not verify', async () => {
    const captured: EmailMessage[] = [];
    const mailer: Mailer = {
      send: async (m) => {
        captured.push(m);
        throw new Error('smtp down');
      },
    };
    const h = emailHarness({ mailer });
    await enroll(h, 'a'); // an existing record with a TOTP factor
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true })).toEqual({ ok: false, reason: 'delivery-failed' });
    expect(captured).toHaveLength(1);
    expect(await h.tf.verifyEmailCode('a', codeOf(captured[0]))).toEqual({ ok: false, reason: 'no-challenge' });
    expect((await h.tf.status('a')).email).toBeNull();
  });

  it('a fresh agent: no challenge and no counted send remain (an empty record does: the port cannot delete)', async () => {
    const h = emailHarness();
    h.mailer.failNext();
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
    expect(stored(h.storage, 'a')).toEqual(emptyRecord(T0));
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional' });
    await sendCode(h, 'a');
  });

  it('three failures in a row consume nothing; the fourth send goes out', async () => {
    const h = emailHarness();
    h.mailer.failNext(3);
    for (let i = 0; i < 3; i++) expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
    const code = await sendCode(h, 'a');
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0]);
    expect(h.deliveryErrors).toHaveLength(3);
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
  });

  it('onDeliveryError gets the mailer error and the agent id; one that throws changes nothing', async () => {
    const error = new Error('quota exceeded');
    const seen: Array<[unknown, unknown]> = [];
    const h = emailHarness({
      onDeliveryError: (e, ctx) => {
        seen.push([e, ctx]);
        throw new Error('reporter broken');
      },
    });
    h.mailer.failNext(1, error);
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
    expect(seen).toEqual([[error, { agentId: 'a', kind: 'code' }]]);
    expect(stored(h.storage, 'a')!.emailChallenge).toBeNull();
  });
});

describe('refusals send nothing and write nothing', () => {
  it.each([
    'not-an-address',
    'ann@localhost',
    ' ann@example.com',
    'ann@example.com ',
    'ann@example.com\r\nBcc: eve@example.com',
    'ann@example.com, eve@example.com',
    'a b@example.com',
    'ann@@example.com',
    'ann@[192.0.2.1]',
    'ann@bücher.example',
    '',
  ])('invalid-address: %j', async (to) => {
    const h = emailHarness();
    expect(await h.tf.sendEmailCode('a', { to })).toEqual({ ok: false, reason: 'invalid-address' });
    expect(h.mailer.sent).toEqual([]);
    expect(h.storage.raw('a')).toBeUndefined();
  });

  it('invalid-address for an enrolled agent too (checked before the address match)', async () => {
    const h = emailHarness();
    await enrollEmail(h, 'a');
    const before = h.storage.raw('a');
    expect(await h.tf.sendEmailCode('a', { to: 'ann@localhost' })).toEqual({ ok: false, reason: 'invalid-address' });
    expect(h.storage.raw('a')).toBe(before);
    expect(h.mailer.sent).toHaveLength(1);
  });

  it('method-disabled: Email 2FA off refuses sends and verifications', async () => {
    const h = emailHarness({ settings: TOTP_ONLY });
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'method-disabled' });
    expect(await h.tf.verifyEmailCode('a', '123456')).toEqual({ ok: false, reason: 'method-disabled' });
    expect(h.mailer.sent).toEqual([]);
    expect(h.storage.raw('a')).toBeUndefined();
  });

  it('method-disabled when Email 2FA is switched off with a code outstanding; it works again when switched on', async () => {
    let settings = BOTH;
    const h = emailHarness({ settings: () => settings });
    const code = await sendCode(h, 'a');
    const before = h.storage.raw('a');
    settings = TOTP_ONLY;
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'method-disabled' });
    expect(h.storage.raw('a')).toBe(before);
    settings = BOTH;
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
  });

  it('verifyEmailCode without any code sent: no-challenge, nothing written', async () => {
    const h = emailHarness();
    expect(await h.tf.verifyEmailCode('a', '123456')).toEqual({ ok: false, reason: 'no-challenge' });
    expect(h.storage.raw('a')).toBeUndefined();
  });
});

describe('the pepper', () => {
  it('with a pepper the stored salt is null and hash = HMAC-SHA-256(pepper, code); without, SHA-256(salt || code)', async () => {
    const peppered = emailHarness({ email: { pepper: PEPPER } });
    const plain = emailHarness();
    const code = await sendCode(peppered, 'a');
    await sendCode(plain, 'a');
    const p = stored(peppered.storage, 'a')!.emailChallenge!;
    const s = stored(plain.storage, 'a')!.emailChallenge!;
    expect(p.salt).toBeNull();
    expect(p.hash).toBe(createHmac('sha256', PEPPER).update(code).digest('hex'));
    expect(s.salt).toMatch(/^[0-9a-f]{32}$/);
    const plainCode = codeOf(plain.mailer.sent[0]);
    expect(s.hash).toBe(createHash('sha256').update(Buffer.from(s.salt!, 'hex')).update(plainCode).digest('hex'));
    // The same code hashed without the pepper gives another digest.
    expect(createHash('sha256').update(Buffer.from(s.salt!, 'hex')).update(code).digest('hex')).not.toBe(p.hash);
    expect(createHash('sha256').update(code).digest('hex')).not.toBe(p.hash);
    expect(await peppered.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
  });

  it('a code hashed under a pepper, checked by a service without it: expired, not counted; a new code works', async () => {
    const h = emailHarness({ email: { pepper: PEPPER } });
    const code = await sendCode(h, 'a');
    const without = emailHarness({}, h.storage);
    const before = h.storage.raw('a');
    expect(await without.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'expired' });
    expect(await without.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'expired' });
    expect(h.storage.raw('a')).toBe(before);
    expect((await without.tf.status('a')).emailCode).toBeNull(); // status agrees: no usable code
    expect((await h.tf.status('a')).emailCode).toMatchObject({ purpose: 'setup', attemptsLeft: 5 });
    without.clock.advance(COOLDOWN_MS);
    const fresh = await sendCode(without, 'a');
    expect(stored(h.storage, 'a')!.emailChallenge!.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(await without.tf.verifyEmailCode('a', fresh)).toMatchObject({ ok: true });
  });

  it('a salted code still verifies after a pepper is configured (the stored form wins)', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a');
    const peppered = emailHarness({ email: { pepper: PEPPER } }, h.storage);
    expect(await peppered.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
  });

  it('a changed pepper makes the outstanding code a wrong code', async () => {
    const h = emailHarness({ email: { pepper: PEPPER } });
    const code = await sendCode(h, 'a');
    const changed = emailHarness({ email: { pepper: `${PEPPER}, rotated` } }, h.storage);
    expect(await changed.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'invalid-code' });
  });
});

describe('renderEmail', () => {
  it('a custom template is used, with the documented input', async () => {
    const inputs: EmailTemplateInput[] = [];
    const h = emailHarness({
      email: {
        ttlMs: 5 * 60_000,
        renderEmail: (input) => {
          inputs.push(input);
          return { subject: 'Your code', text: `code=${input.code}`, html: `<b>${input.code}</b>` };
        },
      },
    });
    await sendCode(h, 'a');
    const mail = h.mailer.sent[0]!;
    expect(inputs).toEqual([
      { code: codeOf(mail), expiresAt: new Date(T0 + 5 * 60_000), validForMs: 5 * 60_000, purpose: 'setup', issuer: 'Acme Help', to: ADDRESS, agentId: 'a' },
    ]);
    expect(mail).toMatchObject({ subject: 'Your code', text: `code=${codeOf(mail)}`, html: `<b>${codeOf(mail)}</b>`, to: ADDRESS });
  });

  it('a template that throws: the send rejects with its error, no mail, the record is back as it was', async () => {
    const failure = new Error('template bug');
    let broken = false;
    const h = emailHarness({
      email: {
        renderEmail: (input) => {
          if (broken) throw failure;
          return { subject: 's', text: input.code, html: input.code };
        },
      },
    });
    await withOutstandingCode(h);
    const before = stored(h.storage, 'a');
    const mails = h.mailer.sent.length;
    broken = true;
    await expect(h.tf.sendEmailCode('a', { to: ADDRESS })).rejects.toBe(failure);
    expect(h.mailer.sent).toHaveLength(mails);
    // updatedAt is left out: the byte-identical test above covers it.
    expect(content(stored(h.storage, 'a'))).toEqual(content(before));
    broken = false;
    await sendCode(h, 'a'); // no cooldown consumed
  });

  it('a template returning a subject with a line break: TypeError, no mail, nothing used up', async () => {
    const h = emailHarness({ email: { renderEmail: (i) => ({ subject: 'a\r\nBcc: eve@example.com', text: i.code, html: i.code }) } });
    await expect(h.tf.sendEmailCode('a', { to: ADDRESS })).rejects.toThrow(TypeError);
    expect(h.mailer.sent).toEqual([]);
    expect(stored(h.storage, 'a')).toMatchObject({ emailChallenge: null, emailSends: [] });
  });
});

describe('docs/email-codes.md, "Testing with MemoryMailer"', () => {
  it('the example runs as written; the default onDeliveryError logs the mailer error', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const settings = BOTH;
      const mailer = new MemoryMailer();
      const clock = manualClock(new Date('2026-01-01T09:00:00Z'));
      const twoFactor = createTwoFactor({ storage: new MemoryStorage(), issuer: 'Acme Help', settings, mailer, clock });

      await twoFactor.sendEmailCode('agent-1', { to: 'ann@acme.test' });
      const code = mailer.lastCode('ann@acme.test')!;
      expect(await twoFactor.verifyEmailCode('agent-1', code)).toEqual({ ok: true, method: 'email', purpose: 'setup' });

      mailer.failNext(2);
      clock.advance(60_000);
      expect(await twoFactor.sendEmailCode('agent-1', { to: 'ann@acme.test' })).toEqual({ ok: false, reason: 'delivery-failed' });
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls[0]![0]).toMatch(/^twofold: mailer\.send failed/);
      expect((logged.mock.calls[0]![1] as Error).message).toBe('MemoryMailer: simulated delivery failure');
    } finally {
      logged.mockRestore();
    }
  });
});

describe('after a code is used, and login codes without `to`', () => {
  it('a used code does not hold the next send back (the cooldown guards an outstanding code); the hourly cap still counts it', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a');
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true, purpose: 'setup' });
    h.clock.advance(1000); // logged out and back in within the cooldown
    const login = await h.tf.sendEmailCode('a', { to: ADDRESS });
    expect(login).toMatchObject({ ok: true, purpose: 'login' });
    // An outstanding, unused code does hold the next send back.
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toMatchObject({ ok: false, reason: 'cooldown' });
    expect(stored(h.storage, 'a')!.emailSends).toHaveLength(2);
  });

  it('a login code may leave `to` out: it goes to the enrolled address', async () => {
    const h = emailHarness();
    await enrollEmail(h, 'a');
    expect(await h.tf.sendEmailCode('a', {})).toMatchObject({ ok: true, purpose: 'login' });
    expect(h.mailer.sent.at(-1)!.to).toBe(ADDRESS);
  });

  it('a set-up code needs `to`: without it, invalid-address and no mail', async () => {
    const h = emailHarness();
    expect(await h.tf.sendEmailCode('a', {})).toEqual({ ok: false, reason: 'invalid-address' });
    expect(h.mailer.sent).toEqual([]);
    expect(h.storage.raw('a')).toBeUndefined();
  });
});

describe('the typed code (malformed codes: bad-inputs.test.ts)', () => {
  it('spaces inside and whitespace around a right code are accepted', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a');
    expect(await h.tf.verifyEmailCode('a', `  ${code.slice(0, 3)} ${code.slice(3)}\n`)).toMatchObject({ ok: true });
  });

  it('digits: 8 issues 8-digit codes; a 6-digit input is then malformed', async () => {
    const h = emailHarness({ email: { digits: 8 } });
    const code = await sendCode(h, 'a');
    expect(code).toMatch(/^[0-9]{8}$/);
    expect(await h.tf.verifyEmailCode('a', code.slice(0, 6))).toEqual({ ok: false, reason: 'malformed' });
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
  });
});
