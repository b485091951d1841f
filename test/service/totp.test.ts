/**
 * @module The TOTP flows (src/service/totp.ts): beginTotpSetup (a new set-up, a refresh with
 * the set-up token), confirmTotpSetup and verifyTotp: replay, drift, and the set-up tokens that
 * bind each pending set-up to the session that began it. (The lock and the hard limit across
 * methods: throttle.test.ts; a second method: guard.test.ts; admin provisioning: admin.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage } from '../../src/memory.js';
import { parseKeyUri, totp, verifyTotp } from '../../src/index.js';
import { DAY_MS, S0, STEP_MS, T0, begin, codeAt, emailHarness, enroll, harness, now, sendCode, stored, wrongCode } from '../support/harness.js';

/** The default lifetime of a pending set-up. */
const TTL = 15 * 60_000;

describe('beginTotpSetup and confirmTotpSetup', () => {
  it('begin, refresh (same secret), confirm, login, replay refused, next step accepted', async () => {
    const h = harness();
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    expect(begun.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(begun.formattedSecret.replaceAll(' ', '')).toBe(begun.secret);
    expect(parseKeyUri(begun.uri)).toMatchObject({ type: 'totp', issuer: 'Acme Help', account: 'ann@example.com', secret: begun.secret });
    expect(begun.setupToken).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, base64url
    expect(begun.expiresAt).toEqual(new Date(T0 + 15 * 60_000));
    expect(h.storage.raw('a')).not.toContain(begun.setupToken); // only its hash is stored
    expect((await h.tf.status('a')).totp).toMatchObject({ status: 'pending', provisionedBy: 'agent', activatedAt: null });
    expect((await h.tf.status('a')).enrolled).toEqual([]);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional' }); // pending does not count

    // A page refresh (with the session's token) hands back the same secret, token and expiry,
    // so an already-scanned QR code stays good; the expiry is not extended.
    h.clock.advance(5 * 60_000);
    const refreshed = await h.tf.beginTotpSetup('a', { account: 'ann@example.com', setupToken: begun.setupToken });
    expect(refreshed).toEqual(begun);

    // A login code before confirmation: the factor is not active yet.
    expect(await h.tf.verifyTotp('a', codeAt(begun.secret, now(h)))).toEqual({ ok: false, reason: 'not-enrolled' });

    const confirmAt = now(h);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, confirmAt), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    const status = await h.tf.status('a');
    expect(status.enrolled).toEqual(['totp']);
    expect(status.totp).toMatchObject({ status: 'active', activatedAt: new Date(confirmAt), confirmedAt: new Date(confirmAt) });
    expect(stored(h.storage, 'a')!.totp!.lastStep).toBe(confirmAt / STEP_MS);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'verify', verifyMethods: ['totp'] });
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, confirmAt), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);

    // The confirmation code's step is used: the same code at login is a replay.
    expect(await h.tf.verifyTotp('a', codeAt(begun.secret, confirmAt))).toEqual({ ok: false, reason: 'replayed' });
    h.clock.advance(STEP_MS);
    const code = codeAt(begun.secret, now(h));
    expect(await h.tf.verifyTotp('a', code)).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.verifyTotp('a', code)).toEqual({ ok: false, reason: 'replayed' });
    expect((await h.tf.status('a')).lastUsedAt).toEqual(new Date(now(h)));
    // A replay is not a guess at an unknown code: nothing counted.
    expect((await h.tf.status('a')).failures).toBe(0);
    h.clock.advance(STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(begun.secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it('begin without the token makes a new secret; each set-up confirms only with its own token and code', async () => {
    const h = harness();
    const first = await begin(h, 'a');
    const second = await begin(h, 'a');
    expect(second.secret).not.toBe(first.secret);
    expect(second.setupToken).not.toBe(first.setupToken);
    expect(stored(h.storage, 'a')!.totpSetups.map((s) => s.secret)).toEqual([first.secret, second.secret]);
    // The first set-up's code under the second's token is just a wrong code.
    expect(await h.tf.confirmTotpSetup('a', codeAt(first.secret, now(h)), { setupToken: second.setupToken })).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.confirmTotpSetup('a', codeAt(second.secret, now(h)), { setupToken: second.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp!.secret).toBe(second.secret);
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]); // the first one is discarded
  });

  it('refresh with another account name keeps the secret and updates the label', async () => {
    const h = harness();
    const first = await begin(h, 'a', { account: 'ann@example.com' });
    const second = await begin(h, 'a', { account: 'ann@new.example.com', setupToken: first.setupToken });
    expect(second.secret).toBe(first.secret);
    expect(parseKeyUri((second as { uri: string } & typeof second).uri).account).toBe('ann@new.example.com');
    expect(stored(h.storage, 'a')!.totpSetups.map((s) => s.account)).toEqual(['ann@new.example.com']);
  });

  it('a wrong confirmation code counts toward the throttle and leaves the set-up pending', async () => {
    const h = harness();
    const begun = await begin(h, 'a');
    expect(await h.tf.confirmTotpSetup('a', wrongCode(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.status('a')).toMatchObject({ failures: 1, totp: { status: 'pending' } });
  });

  it.each([
    { name: 'no pending set-up', prepare: 'none', reason: 'no-pending-setup' },
    { name: 'a token that names no set-up', prepare: 'pending', token: 'not-a-token', reason: 'no-pending-setup' },
    { name: 'malformed code', prepare: 'pending', code: '12345', reason: 'malformed' },
  ] as const)('confirmTotpSetup refuses: $name', async ({ prepare, code, token, reason }) => {
    const h = harness();
    const begun = prepare === 'pending' ? await begin(h, 'a') : undefined;
    const setupToken = token ?? begun?.setupToken ?? 'no-set-up-was-begun';
    expect(await h.tf.confirmTotpSetup('a', code ?? codeAt(begun?.secret ?? 'A'.repeat(32), now(h)), { setupToken })).toEqual({ ok: false, reason });
    expect((await h.tf.status('a')).failures).toBe(0);
  });

  it('beginTotpSetup is refused already-enrolled while TOTP is active (with a token too), method-disabled when off', async () => {
    const h = harness();
    await enroll(h, 'a');
    const before = h.storage.raw('a');
    expect(await h.tf.beginTotpSetup('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(await h.tf.beginTotpSetup('a', { account: 'x@example.com', setupToken: 'x' })).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(h.storage.raw('a')).toBe(before);

    const off = harness({ settings: { totp: false, email: true, requireAll: false }, mailer: new MemoryMailer() });
    expect(await off.tf.beginTotpSetup('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'method-disabled' });
    expect(await off.tf.admin.provisionTotp('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'method-disabled' });
    expect(off.storage.raw('a')).toBeUndefined();
  });

  it('TOTP parameters from options are used for new enrollments and kept in the record', async () => {
    const h = harness({ totp: { algorithm: 'SHA256', digits: 8, periodSeconds: 60, secretBytes: 32 } });
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    expect(parseKeyUri(begun.uri)).toMatchObject({ algorithm: 'SHA256', digits: 8, period: 60 });
    expect(begun.secret).toHaveLength(Math.ceil((32 * 8) / 5));
    const code = totp(begun.secret, { at: now(h), algorithm: 'SHA256', digits: 8, period: 60 });
    expect(await h.tf.confirmTotpSetup('a', code, { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ algorithm: 'SHA256', digits: 8, periodSeconds: 60, lastStep: Math.floor(now(h) / 60_000) });
  });
});

describe('verifyTotp: drift', () => {
  it('a device one step behind is accepted (drift -1), and later checks are centred on it', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    h.clock.set(T0 + 5 * STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h), -1))).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ driftSteps: -1, lastStep: S0 + 4 });

    // Two steps behind real time is now inside the (shifted) window ...
    h.clock.set(T0 + 10 * STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h), -2))).toEqual({ ok: true, method: 'totp' });
    // ... and the drift stays bounded by the window (-1), not -2.
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ driftSteps: -1, lastStep: S0 + 8 });

    // Three behind is outside even the shifted window.
    h.clock.set(T0 + 20 * STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h), -3))).toEqual({ ok: false, reason: 'invalid-code' });

    // The device is fixed: its code for the real step is +1 from the centre, and drift returns to 0.
    h.clock.set(T0 + 30 * STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp!.driftSteps).toBe(0);
  });

  it('without observed drift, a code two steps behind is refused', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    h.clock.set(T0 + 10 * STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h), -2))).toEqual({ ok: false, reason: 'invalid-code' });
  });

  it.each([
    { device: +1, drift: +1, later: +2 },
    { device: -1, drift: -1, later: -2 },
  ])('device $device: drift $drift stored, then a code $later steps off is accepted', async ({ device, drift, later }) => {
    const h = harness();
    const secret = await enroll(h, 'a');
    h.clock.set(T0 + 5 * STEP_MS);
    expect((await h.tf.verifyTotp('a', codeAt(secret, now(h), device))).ok).toBe(true);
    expect(stored(h.storage, 'a')!.totp!.driftSteps).toBe(drift);
    h.clock.set(T0 + 10 * STEP_MS);
    expect((await h.tf.verifyTotp('a', codeAt(secret, now(h), later))).ok).toBe(true);
    expect(stored(h.storage, 'a')!.totp!.driftSteps).toBe(drift);
  });

  it('a wider window bounds the drift at its own size', async () => {
    const h = harness({ totp: { window: { past: 3, future: 1 } } });
    const secret = await enroll(h, 'a');
    for (const [t, off, drift] of [[10, -3, -3], [20, -5, -3], [30, -6, -3]] as const) {
      h.clock.set(T0 + t * STEP_MS);
      expect(await h.tf.verifyTotp('a', codeAt(secret, now(h), off))).toEqual({ ok: true, method: 'totp' });
      expect(stored(h.storage, 'a')!.totp!.driftSteps).toBe(drift);
    }
    h.clock.set(T0 + 40 * STEP_MS);
    expect((await h.tf.verifyTotp('a', codeAt(secret, now(h), -7))).ok).toBe(false);
  });

  it('a stored drift is re-clamped to the current window: after it is narrowed from 3 to 1, an on-time device is accepted and an old code is not', async () => {
    const storage = new MemoryStorage();
    const wide = harness({ totp: { window: 3 } }, storage);
    const secret = await enroll(wide, 'a');
    // A slow device: its code is three steps behind. Accepted with window 3; drift -3 stored.
    wide.clock.advance(3 * STEP_MS); // so that the slow device's code is a step not used yet
    expect(await wide.tf.verifyTotp('a', codeAt(secret, now(wide), -3))).toEqual({ ok: true, method: 'totp' });
    expect(stored(storage, 'a')!.totp!.driftSteps).toBe(-3);

    // The operator goes back to the default window of 1, on the same storage and time.
    const narrow = harness({ totp: { window: 1 } }, storage);
    narrow.clock.set(wide.clock.now().getTime() + 2 * STEP_MS);
    const at = now(narrow);
    // A code from three steps ago is outside the window centred at -1.
    expect(await narrow.tf.verifyTotp('a', codeAt(secret, at, -3))).toMatchObject({ ok: false, reason: 'invalid-code' });
    // The on-time code is inside it (centre -1, +1 reaches 0).
    expect(await narrow.tf.verifyTotp('a', codeAt(secret, at))).toEqual({ ok: true, method: 'totp' });
    expect(stored(storage, 'a')!.totp!.driftSteps).toBe(0);
  });
});

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
