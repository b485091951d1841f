/**
 * Set-ups belong to the session that began it. Tried as an attacker who holds only the
 * agent's password would: begin a set-up early, wait for the agent to begin theirs, and hope
 * the agent confirms the attacker's secret. Every pending set-up has its own secret and its
 * own token, kept in the session that began it; without the token its secret is never shown
 * again and it cannot be confirmed.
 */
import { describe, expect, it } from 'vitest';
import { verifyTotp } from '../../src/otp/totp.js';
import { DAY_MS, STEP_MS, T0, begin, codeAt, emailHarness, harness, sendCode, stored, wrongCode } from './_helpers.js';

const now = (h: { clock: { now(): Date } }) => h.clock.now().getTime();
const TTL = 15 * 60_000;

describe('the planted set-up (issue: a password alone could plant the TOTP secret an agent later confirms)', () => {
  it("an attacker's early set-up never becomes the agent's factor, and the attacker never sees the agent's secret", async () => {
    const h = harness();
    // Day 0: the attacker, with the password only, begins a set-up and keeps its secret.
    const planted = await begin(h, 'a');
    // Day 60: the agent begins their own set-up from their own session (no token yet).
    h.clock.advance(60 * DAY_MS);
    const agents = await begin(h, 'a');
    expect(agents.secret).not.toBe(planted.secret);
    // The attacker tries to see the agent's pending secret: without its token every call gets
    // a set-up of its own, with another fresh secret (two tries: a third would push the
    // agent's set-up out, which the agent is told of; see below).
    const forged = agents.setupToken.slice(0, -1) + (agents.setupToken.endsWith('A') ? 'B' : 'A');
    const peeks = [await begin(h, 'a', { setupToken: planted.setupToken }), await begin(h, 'a', { setupToken: forged })];
    for (const peek of peeks) expect([agents.secret, planted.secret]).not.toContain(peek.secret);
    // The agent (a refresh from their session) still sees their own secret, and confirms it.
    const refreshed = await begin(h, 'a', { setupToken: agents.setupToken });
    expect(refreshed.secret).toBe(agents.secret);
    expect(await h.tf.confirmTotpSetup('a', codeAt(agents.secret, now(h)), { setupToken: agents.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp!.secret).toBe(agents.secret);
    // The attacker's copies produce nothing: not at login, not as a confirmation.
    h.clock.advance(STEP_MS);
    for (const secret of [planted.secret, ...peeks.map((p) => p.secret)]) {
      const code = codeAt(secret, now(h));
      if (verifyTotp(agents.secret, code, { at: now(h), window: 1 }).valid) continue; // a chance collision with the agent's code
      expect(await h.tf.verifyTotp('a', code)).toMatchObject({ ok: false, reason: 'invalid-code' });
    }
    expect(await h.tf.confirmTotpSetup('a', codeAt(planted.secret, now(h)), { setupToken: planted.setupToken })).toEqual({ ok: false, reason: 'already-enrolled' });
  });

  it('the planted set-up expired long before: confirming it is refused without looking at the code', async () => {
    const h = harness();
    const planted = await begin(h, 'a');
    h.clock.advance(60 * DAY_MS);
    expect(await h.tf.confirmTotpSetup('a', codeAt(planted.secret, now(h)), { setupToken: planted.setupToken })).toEqual({ ok: false, reason: 'setup-expired' });
    expect((await h.tf.status('a')).enrolled).toEqual([]);
  });

  it('no set-up token is kept at rest, only its hash', async () => {
    const h = harness();
    const begun = await begin(h, 'a');
    const raw = h.storage.raw('a')!;
    expect(raw).not.toContain(begun.setupToken);
    expect(stored(h.storage, 'a')!.totpSetups[0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('a pending set-up', () => {
  it('a refresh with its token: the same secret, token and expiresAt, never extended', async () => {
    const h = harness();
    const begun = await begin(h, 'a');
    expect(begun.expiresAt).toEqual(new Date(T0 + TTL));
    for (const step of [1, 5 * 60_000, TTL - 1]) {
      h.clock.set(T0 + step);
      expect(await begin(h, 'a', { setupToken: begun.setupToken })).toMatchObject({ secret: begun.secret, setupToken: begun.setupToken, expiresAt: begun.expiresAt });
    }
    // At expiry, the same token starts a fresh set-up instead.
    h.clock.set(T0 + TTL);
    const after = await begin(h, 'a', { setupToken: begun.setupToken });
    expect(after.secret).not.toBe(begun.secret);
    expect(after.setupToken).not.toBe(begun.setupToken);
  });

  it.each([
    ['one ms before expiry: accepted', TTL - 1, { ok: true, method: 'totp' }],
    ['at expiry: setup-expired, the code not looked at, nothing counted', TTL, { ok: false, reason: 'setup-expired' }],
  ] as const)('%s', async (_name, age, expected) => {
    const h = harness();
    const begun = await begin(h, 'a');
    h.clock.set(T0 + age);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual(expected);
    expect((await h.tf.status('a')).failures).toBe(0);
  });

  it('totp.setupTtlMs sets the expiry', async () => {
    const h = harness({ totp: { setupTtlMs: 60_000 } });
    const begun = await begin(h, 'a');
    expect(begun.expiresAt).toEqual(new Date(T0 + 60_000));
    h.clock.set(T0 + 60_000);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'setup-expired' });
  });

  it('up to 3 are kept, each confirmable only with its own token; a 4th drops the oldest (setup-replaced)', async () => {
    const h = harness();
    const setups = [await begin(h, 'a'), await begin(h, 'a'), await begin(h, 'a')];
    expect((await h.tf.status('a')).totpSetups).toHaveLength(3);
    // Each set-up's code under another's token is a wrong code (counted: it is a guess).
    expect(await h.tf.confirmTotpSetup('a', codeAt(setups[1]!.secret, now(h)), { setupToken: setups[2]!.setupToken })).toMatchObject({ reason: 'invalid-code' });
    h.events.length = 0;
    const fourth = await begin(h, 'a');
    expect(h.events.map((e) => [e.type, e.reason])).toEqual([['totp.setup.started', 'oldest-dropped']]);
    expect(stored(h.storage, 'a')!.totpSetups.map((s) => s.secret)).toEqual([setups[1]!.secret, setups[2]!.secret, fourth.secret]);
    const failures = (await h.tf.status('a')).failures;
    h.events.length = 0;
    expect(await h.tf.confirmTotpSetup('a', codeAt(setups[0]!.secret, now(h)), { setupToken: setups[0]!.setupToken })).toEqual({ ok: false, reason: 'setup-replaced' });
    expect(h.events.map((e) => [e.type, e.outcome, e.reason])).toEqual([['totp.setup.replaced', 'failure', 'setup-replaced']]);
    expect((await h.tf.status('a')).failures).toBe(failures); // not counted
    // A dropped set-up cannot be shown again either.
    expect((await begin(h, 'a', { setupToken: setups[0]!.setupToken })).secret).not.toBe(setups[0]!.secret);
  });

  it('confirming one discards all the others', async () => {
    const h = harness();
    const [a, b] = [await begin(h, 'a'), await begin(h, 'a')];
    expect(await h.tf.confirmTotpSetup('a', codeAt(b.secret, now(h)), { setupToken: b.setupToken })).toEqual({ ok: true, method: 'totp' });
    const record = stored(h.storage, 'a')!;
    expect([record.totpSetups, record.droppedTotpSetups]).toEqual([[], []]);
    expect(JSON.stringify(record)).not.toContain(a.secret);
  });

  it('activating email discards them all: their tokens name nothing any more', async () => {
    const h = emailHarness();
    const begun = await begin(h, 'a');
    expect(await h.tf.verifyEmailCode('a', await sendCode(h, 'a'))).toMatchObject({ ok: true, purpose: 'setup' });
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'no-pending-setup' });
  });

  it('a password holder can keep voiding the agent\'s set-ups (documented; the remedy is a password reset), but never silently', async () => {
    const h = harness();
    const agents = await begin(h, 'a');
    for (let i = 0; i < 3; i++) await begin(h, 'a'); // the attacker's
    expect(await h.tf.confirmTotpSetup('a', codeAt(agents.secret, now(h)), { setupToken: agents.setupToken })).toEqual({ ok: false, reason: 'setup-replaced' });
  });

  it('a wrong code for a live set-up is a counted guess that leaves it pending', async () => {
    const h = harness();
    const begun = await begin(h, 'a');
    expect(await h.tf.confirmTotpSetup('a', wrongCode(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
  });
});
