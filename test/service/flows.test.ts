/**
 * End-to-end flows on MemoryStorage with a manual clock: set-up, refresh, confirm, login,
 * replay, drift, lockout and its expiry, admin provisioning, removal, enforcement, unlock,
 * grace periods, skipping, and settings that change between calls.
 */
import { describe, expect, it } from 'vitest';
import { parseKeyUri } from '../../src/otp/uri-parse.js';
import type { PolicySettings } from '../../src/policy/types.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import { DAY_MS, S0, STEP_MS, T0, TOTP_ONLY, begin, codeAt, enroll, harness, stored, wrongCode } from './_helpers.js';

const now = (h: { clock: { now(): Date } }) => h.clock.now().getTime();

describe('TOTP set-up', () => {
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

    const off = harness({ settings: { totp: false, email: true, requireAll: false } });
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
    const { totp } = await import('../../src/otp/totp.js');
    const code = totp(begun.secret, { at: now(h), algorithm: 'SHA256', digits: 8, period: 60 });
    expect(await h.tf.confirmTotpSetup('a', code, { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ algorithm: 'SHA256', digits: 8, periodSeconds: 60, lastStep: Math.floor(now(h) / 60_000) });
  });
});

describe('drift', () => {
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
});

describe('throttle', () => {
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

  it('admin.unlock clears the lock and count; the agent can log in at once', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect(await h.tf.admin.unlock('a')).toEqual({ ok: true, wasLocked: true, wasSuspended: false });
    expect(await h.tf.status('a')).toMatchObject({ failures: 0, lockedUntil: null });
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it('admin.unlock with failures but no lock: wasLocked false, count cleared; on a fresh agent: nothing written', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect(await h.tf.admin.unlock('a')).toEqual({ ok: true, wasLocked: false, wasSuspended: false });
    expect((await h.tf.status('a')).failures).toBe(0);

    expect(await h.tf.admin.unlock('fresh')).toEqual({ ok: true, wasLocked: false, wasSuspended: false });
    expect(h.storage.raw('fresh')).toBeUndefined();
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

describe('admin', () => {
  it('provisionTotp: active at once, confirmedAt null until the first accepted code, then fixed', async () => {
    const h = harness();
    const provisioned = await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
    if (!provisioned.ok) throw new Error('refused');
    expect(parseKeyUri(provisioned.uri)).toMatchObject({ issuer: 'Acme Help', account: 'ann@example.com', secret: provisioned.secret });
    expect(await h.tf.status('a')).toMatchObject({
      enrolled: ['totp'],
      totp: { status: 'active', provisionedBy: 'admin', activatedAt: new Date(T0), confirmedAt: null, lastUsedAt: null },
    });
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'verify' });
    // Active means the agent cannot start their own set-up over it, and the admin cannot twice.
    expect(await h.tf.beginTotpSetup('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'already-enrolled' });
    expect(await h.tf.admin.provisionTotp('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'already-enrolled' });

    h.clock.advance(60_000);
    const firstUse = now(h);
    expect(await h.tf.verifyTotp('a', codeAt(provisioned.secret, firstUse))).toEqual({ ok: true, method: 'totp' });
    expect((await h.tf.status('a')).totp).toMatchObject({ activatedAt: new Date(T0), confirmedAt: new Date(firstUse) });
    h.clock.advance(60_000);
    expect((await h.tf.verifyTotp('a', codeAt(provisioned.secret, now(h)))).ok).toBe(true);
    expect((await h.tf.status('a')).totp).toMatchObject({ confirmedAt: new Date(firstUse), lastUsedAt: new Date(now(h)) });
  });

  it('provisionTotp replaces a pending agent set-up', async () => {
    const h = harness();
    const pending = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    const provisioned = await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
    if (!pending.ok || !provisioned.ok) throw new Error('refused');
    expect(provisioned.secret).not.toBe(pending.secret);
    expect(provisioned).not.toHaveProperty('setupToken'); // active at once: nothing to confirm
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ provisionedBy: 'admin', secret: provisioned.secret });
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]); // the agent's pending set-up is void
    expect(await h.tf.confirmTotpSetup('a', codeAt(pending.secret, now(h)), { setupToken: pending.setupToken })).toEqual({ ok: false, reason: 'already-enrolled' });
  });

  it('remove (lost phone): factor, throttle and grace cleared, enforced kept; set-up works again', async () => {
    const settings: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 7 } };
    const h = harness({ settings });
    await h.tf.policy('a'); // starts the grace
    const old = await enroll(h, 'a');
    await h.tf.admin.setEnforced('a', true);
    await h.tf.verifyTotp('a', wrongCode(old, now(h)));
    h.clock.advance(DAY_MS);

    expect(await h.tf.admin.remove('a')).toEqual({ ok: true, removed: ['totp'] });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: [], totp: null, failures: 0, graceStartedAt: null, enforced: true });
    expect(await h.tf.verifyTotp('a', codeAt(old, now(h)))).toEqual({ ok: false, reason: 'not-enrolled' });
    // Enforced outranks the grace period: set-up is demanded again, with no skipping.
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'setup', reason: 'agent-enforced' });

    const again = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!again.ok) throw new Error('refused');
    expect(again.secret).not.toBe(old);
    expect(await h.tf.confirmTotpSetup('a', codeAt(again.secret, now(h)), { setupToken: again.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'verify' });
  });

  it('remove under "require": the grace starts afresh at the next login', async () => {
    const settings: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 7 } };
    const h = harness({ settings });
    await h.tf.policy('a');
    await enroll(h, 'a');
    h.clock.advance(10 * DAY_MS); // past the first grace
    await h.tf.admin.remove('a');
    const decision = await h.tf.policy('a');
    expect(decision).toMatchObject({ action: 'require', startsGrace: true, graceEndsAt: new Date(now(h) + 7 * DAY_MS) });
  });

  it('remove then the admin provisions again', async () => {
    const h = harness();
    await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
    await h.tf.admin.remove('a');
    const again = await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
    expect(again.ok).toBe(true);
    expect((await h.tf.status('a')).enrolled).toEqual(['totp']);
  });

  it('remove also clears a pending set-up; on an agent with no record it writes nothing', async () => {
    const h = harness();
    await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    expect(await h.tf.admin.remove('a')).toEqual({ ok: true, removed: ['totp'] });
    expect(stored(h.storage, 'a')!.totp).toBeNull();
    expect(await h.tf.admin.remove('nobody')).toEqual({ ok: true, removed: [] });
    expect(h.storage.raw('nobody')).toBeUndefined();
  });

  describe('remove of one method only (email enrolled by seeding the record)', () => {
    async function seeded() {
      const h = harness({ settings: { totp: true, email: true, requireAll: false } });
      const provisioned = await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
      if (!provisioned.ok) throw new Error('refused');
      const loaded = await h.storage.load('a');
      const record: AgentRecord = {
        ...loaded!.record,
        email: { address: 'ann@example.com', enrolledAt: T0, lastUsedAt: null },
        emailChallenge: {
          purpose: 'login', address: 'ann@example.com', hash: 'ab'.repeat(32), salt: null, digits: 6, issuedAt: T0, expiresAt: T0 + 600_000, attempts: 0,
          sessionVerified: false,
        },
      };
      await h.storage.save('a', record, loaded!.version);
      return h;
    }

    it.each([
      { method: 'totp', removed: ['totp'], left: ['email'], challengeKept: true },
      { method: 'email', removed: ['email'], left: ['totp'], challengeKept: false },
      { method: undefined, removed: ['totp', 'email'], left: [], challengeKept: false },
    ] as const)('remove { method: $method } leaves $left', async ({ method, removed, left, challengeKept }) => {
      const h = await seeded();
      expect(await h.tf.admin.remove('a', method === undefined ? undefined : { method })).toEqual({ ok: true, removed });
      expect((await h.tf.status('a')).enrolled).toEqual(left);
      expect(stored(h.storage, 'a')!.emailChallenge !== null).toBe(challengeKept);
      const decision = await h.tf.policy('a');
      if (left.length > 0) expect(decision).toMatchObject({ action: 'enforce', next: 'verify', verifyMethods: left });
      else expect(decision).toMatchObject({ action: 'skip', reason: 'optional' });
    });
  });

  it('setEnforced on: policy demands set-up (agent-enforced); off: optional again', async () => {
    const h = harness();
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional' });
    expect(await h.tf.admin.setEnforced('a', true)).toEqual({ ok: true, enforced: true });
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'setup', reason: 'agent-enforced', setupMethods: ['totp'] });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
    expect((await h.tf.status('a')).enforced).toBe(true);
    expect(await h.tf.admin.setEnforced('a', false)).toEqual({ ok: true, enforced: false });
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional' });
  });

  it('setEnforced(false) on an agent with no record writes nothing; repeating a value writes nothing', async () => {
    const h = harness();
    await h.tf.admin.setEnforced('a', false);
    expect(h.storage.raw('a')).toBeUndefined();
    await h.tf.admin.setEnforced('a', true);
    const after = h.storage.raw('a');
    h.clock.advance(1000);
    await h.tf.admin.setEnforced('a', true);
    expect(h.storage.raw('a')).toBe(after);
  });
});

describe('policy and grace', () => {
  const days: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } };

  it('{ days }: the first call stores graceStartedAt, later calls keep it, graceEndsAt is fixed, then enforce', async () => {
    const h = harness({ settings: days });
    expect(h.storage.raw('a')).toBeUndefined();
    const first = await h.tf.policy('a');
    const end = new Date(T0 + 14 * DAY_MS);
    expect(first).toMatchObject({ action: 'require', reason: 'grace-period', startsGrace: true, graceEndsAt: end });
    expect(stored(h.storage, 'a')!.graceStartedAt).toBe(T0);
    expect((await h.tf.status('a')).graceStartedAt).toEqual(new Date(T0));

    h.clock.advance(3 * DAY_MS);
    const written = h.storage.raw('a');
    expect(await h.tf.policy('a')).toMatchObject({ action: 'require', startsGrace: false, graceEndsAt: end });
    expect(h.storage.raw('a')).toBe(written); // nothing new to store
    expect(await h.tf.skipSetup('a')).toEqual({ ok: true, until: end });

    h.clock.set(end.getTime() - 1);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'require' });
    h.clock.set(end);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'setup', reason: 'grace-period-over' });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
    expect(stored(h.storage, 'a')!.graceStartedAt).toBe(T0);
  });

  it('{ days }: skipSetup as the first call also starts the grace', async () => {
    const h = harness({ settings: days });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: true, until: new Date(T0 + 14 * DAY_MS) });
    expect(stored(h.storage, 'a')!.graceStartedAt).toBe(T0);
  });

  it('{ days }: each agent has their own grace start', async () => {
    const h = harness({ settings: days });
    await h.tf.policy('a');
    h.clock.advance(5 * DAY_MS);
    expect(await h.tf.policy('b')).toMatchObject({ graceEndsAt: new Date(T0 + 19 * DAY_MS) });
    expect(await h.tf.policy('a')).toMatchObject({ graceEndsAt: new Date(T0 + 14 * DAY_MS) });
  });

  it('{ until }: skippable until the date, nothing stored', async () => {
    const until = new Date(T0 + 2 * DAY_MS);
    const h = harness({ settings: { totp: true, email: false, requireAll: true, gracePeriod: { until } } });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: true, until });
    expect(h.storage.raw('a')).toBeUndefined();
    h.clock.set(until);
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
  });

  it.each([
    { name: 'optional (require off)', settings: TOTP_ONLY, enroll: false },
    { name: 'required with no grace period', settings: { totp: true, email: false, requireAll: true }, enroll: false },
    { name: 'no method switched on', settings: { totp: false, email: false, requireAll: false }, enroll: false },
    { name: 'enrolled (must verify)', settings: { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } }, enroll: true },
  ])('skipSetup is not-skippable when $name', async ({ settings, enroll: doEnroll }) => {
    const h = harness({ settings });
    if (doEnroll) await enroll(h, 'a');
    expect((await h.tf.policy('a')).action).not.toBe('require');
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
  });
});

describe('settings read at every call', () => {
  it('an async settings function: turning TOTP off applies to the next call, and on again', async () => {
    let current: PolicySettings = { totp: true, email: true, requireAll: false };
    let reads = 0;
    const h = harness({
      settings: async () => {
        reads++;
        return current;
      },
    });
    const secret = await enroll(h, 'a');
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', verifyMethods: ['totp'] });

    current = { totp: false, email: true, requireAll: false };
    const readsBefore = reads;
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: false, reason: 'method-disabled' });
    expect(reads).toBe(readsBefore + 1);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional', setupMethods: ['email'] });
    expect(await h.tf.beginTotpSetup('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'method-disabled' });
    // The factor is not deleted, only unused; the code's step was not consumed.
    expect((await h.tf.status('a')).enrolled).toEqual(['totp']);

    current = { totp: false, email: false, requireAll: true };
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'no-method-enabled' });

    current = { totp: true, email: false, requireAll: false };
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it('a sync settings function works the same way', async () => {
    let totpOn = true;
    const h = harness({ settings: () => ({ totp: totpOn, email: false, requireAll: false }) });
    await enroll(h, 'a');
    totpOn = false;
    expect(await h.tf.verifyTotp('a', '123456')).toEqual({ ok: false, reason: 'method-disabled' });
    expect(await h.tf.confirmTotpSetup('a', '123456', { setupToken: 'any' })).toEqual({ ok: false, reason: 'method-disabled' });
  });
});

describe('status', () => {
  it('a fresh agent: nothing enrolled, nothing written', async () => {
    const h = harness();
    expect(await h.tf.status('a')).toEqual({
      enrolled: [], totp: null, totpSetups: [], email: null, emailCode: null, enforced: false, lockedUntil: null, suspendedAt: null, failures: 0, graceStartedAt: null, lastUsedAt: null,
    });
    expect(h.storage.raw('a')).toBeUndefined();
  });

  it('never contains the secret: pending, active, locked, provisioned', async () => {
    const h = harness();
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    const snapshots = [await h.tf.status('a')];
    await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken });
    snapshots.push(await h.tf.status('a'));
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(begun.secret, now(h)));
    snapshots.push(await h.tf.status('a'));
    const provisioned = await h.tf.admin.provisionTotp('b', { account: 'bob@example.com' });
    if (!provisioned.ok) throw new Error('refused');
    snapshots.push(await h.tf.status('b'));

    expect(snapshots[2]!.lockedUntil).not.toBeNull(); // the snapshots did cover the locked state
    const text = JSON.stringify(snapshots);
    for (const secret of [begun.secret, provisioned.secret]) {
      expect(stored(h.storage, secret === begun.secret ? 'a' : 'b')!.totp!.secret).toBe(secret); // it is at rest ...
      expect(text).not.toContain(secret); // ... but not in status
      expect(text).not.toContain(secret.slice(0, 8));
    }
  });
});

it('a stored record from an older write stays readable (JSON fidelity through the service)', async () => {
  const h = harness();
  await h.storage.save('a', { ...emptyRecord(T0), enforced: true }, null);
  expect(await h.tf.status('a')).toMatchObject({ enforced: true });
  expect(await h.tf.policy('a')).toMatchObject({ reason: 'agent-enforced' });
});
