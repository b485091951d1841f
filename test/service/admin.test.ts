/**
 * @module The admin calls (src/service/admin.ts): provisionTotp (active at once), remove (one
 * method or all, with pending set-ups, outstanding codes, throttle and grace), setEnforced and
 * unlock. (Unlocking a suspended agent: throttle.test.ts; provisioning beside another method:
 * guard.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { parseKeyUri, type AgentRecord, type PolicySettings } from '../../src/index.js';
import { MemoryMailer } from '../../src/memory.js';
import { COOLDOWN_MS, DAY_MS, T0, codeAt, emailHarness, enroll, enrollEmail, harness, now, sendCode, stored, wrongCode } from '../support/harness.js';

describe('provisionTotp, remove and setEnforced', () => {
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
      const h = harness({ settings: { totp: true, email: true, requireAll: false }, mailer: new MemoryMailer() });
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

describe('unlock', () => {
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
});

describe('admin.remove and email', () => {
  /** TOTP and email enrolled, and a login code outstanding. */
  async function bothWithLoginCode() {
    const h = emailHarness();
    await enroll(h, 'a');
    await enrollEmail(h, 'a');
    return { h, code: await sendCode(h, 'a') };
  }

  it('{ method: email } clears the factor and the outstanding code, keeps TOTP; set-up can start again', async () => {
    const { h, code } = await bothWithLoginCode();
    expect(await h.tf.admin.remove('a', { method: 'email' })).toEqual({ ok: true, removed: ['email'] });
    const status = await h.tf.status('a');
    expect(status).toMatchObject({ enrolled: ['totp'], email: null, emailCode: null });
    expect(stored(h.storage, 'a')!.emailChallenge).toBeNull();
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'no-challenge' });
    expect(await h.tf.policy('a')).toMatchObject({ verifyMethods: ['totp'] });

    h.clock.advance(COOLDOWN_MS);
    expect(await h.tf.sendEmailCode('a', { to: 'new@example.com' })).toEqual({ ok: false, reason: 'other-method-active' });
    expect(await h.tf.sendEmailCode('a', { to: 'new@example.com', sessionVerified: true })).toMatchObject({ ok: true, purpose: 'setup' });
    expect(await h.tf.verifyEmailCode('a', h.mailer.lastCode('new@example.com')!)).toMatchObject({ ok: true, purpose: 'setup' });
    expect((await h.tf.status('a')).email!.address).toBe('new@example.com');
  });

  it('{ method: email } with only a pending setup code: nothing enrolled is removed, the code is void', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a');
    expect(await h.tf.admin.remove('a', { method: 'email' })).toEqual({ ok: true, removed: [] });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'no-challenge' });
  });

  it('{ method: totp } keeps the email factor and its outstanding code', async () => {
    const { h, code } = await bothWithLoginCode();
    expect(await h.tf.admin.remove('a', { method: 'totp' })).toEqual({ ok: true, removed: ['totp'] });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'login' });
  });

  it('remove() of everything clears both factors and the code', async () => {
    const { h } = await bothWithLoginCode();
    expect(await h.tf.admin.remove('a')).toEqual({ ok: true, removed: ['totp', 'email'] });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: [], totp: null, email: null, emailCode: null });
  });
});

describe('admin.remove with nothing of that method to remove changes nothing', () => {
  it('a locked agent with TOTP only: remove({ method: "email" }) keeps the lock, writes nothing, emits nothing', async () => {
    const h = harness({ settings: { totp: true, email: true, requireAll: false }, mailer: new MemoryMailer() });
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect((await h.tf.status('a')).lockedUntil).not.toBeNull();
    const before = h.storage.raw('a');
    h.events.length = 0;

    expect(await h.tf.admin.remove('a', { method: 'email' })).toEqual({ ok: true, removed: [] });
    expect(h.storage.raw('a')).toBe(before);
    expect(h.events).toEqual([]);
    expect((await h.tf.status('a')).lockedUntil).not.toBeNull();
  });

  it('removing TOTP from the same agent does clear the lock', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect(await h.tf.admin.remove('a', { method: 'totp' })).toEqual({ ok: true, removed: ['totp'] });
    expect((await h.tf.status('a')).lockedUntil).toBeNull();
  });
});

describe('the acting admin: { by?, reason? } on every admin call', () => {
  const ACTOR = { by: 'admin-7', reason: 'ticket 4211: lost phone' };
  const calls = [
    ['provisionTotp', (h: ReturnType<typeof harness>) => h.tf.admin.provisionTotp('a', { account: 'a@example.com', ...ACTOR }), 'admin.totp.provisioned', undefined],
    ['setEnforced', (h: ReturnType<typeof harness>) => h.tf.admin.setEnforced('a', true, ACTOR), 'admin.enforced.changed', 'enforced'],
    ['remove', async (h: ReturnType<typeof harness>) => {
      await enroll(h, 'a');
      h.events.length = 0;
      return h.tf.admin.remove('a', { method: 'totp', ...ACTOR });
    }, 'admin.removed', 'totp'],
    ['unlock', async (h: ReturnType<typeof harness>) => {
      const secret = await enroll(h, 'a');
      for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
      h.events.length = 0;
      return h.tf.admin.unlock('a', ACTOR);
    }, 'admin.unlocked', undefined],
  ] as const;

  it.each(calls)('%s: its event carries actor and actorReason; reason keeps its meaning', async (_name, call, type, reason) => {
    const h = harness();
    await call(h);
    const event = h.events.find((e) => e.type === type)!;
    expect(event).toMatchObject({ type, actor: 'admin-7', actorReason: 'ticket 4211: lost phone' });
    expect(event.reason).toBe(reason);
  });

  it('without them, events have no actor fields at all', async () => {
    const h = harness();
    await h.tf.admin.setEnforced('a', true);
    expect(Object.keys(h.events[0]!)).not.toContain('actor');
    expect(Object.keys(h.events[0]!)).not.toContain('actorReason');
  });

  it('only by, or only reason', async () => {
    const h = harness();
    await h.tf.admin.setEnforced('a', true, { by: 'admin-7' });
    await h.tf.admin.setEnforced('a', false, { reason: 'audit' });
    expect(h.events.map((e) => [e.actor, e.actorReason])).toEqual([['admin-7', undefined], [undefined, 'audit']]);
  });

  it.each([
    ['by too long', { by: 'x'.repeat(201) }, RangeError],
    ['by empty', { by: '' }, RangeError],
    ['by with a newline (a forged audit line)', { by: 'admin\nadmin.removed by root' }, RangeError],
    ['reason with a NUL', { reason: 'a\u0000b' }, RangeError],
    ['reason with DEL', { reason: 'a\u007f' }, RangeError],
    ['reason with a C1 control', { reason: 'a\u0085' }, RangeError],
    ['by a lone surrogate', { by: '\ud800' }, RangeError],
    ['by a number', { by: 7 }, TypeError],
    ['reason an object', { reason: {} }, TypeError],
  ])('%s: refused before any storage call, without echoing it', async (_name, actor, error) => {
    const h = harness();
    const calls = [
      () => h.tf.admin.setEnforced('a', true, actor as never),
      () => h.tf.admin.unlock('a', actor as never),
      () => h.tf.admin.remove('a', actor as never),
      () => h.tf.admin.provisionTotp('a', { account: 'a', ...(actor as object) }),
    ];
    for (const call of calls) {
      const caught = await call().then(() => null, (e: unknown) => e);
      expect(caught).toBeInstanceOf(error);
      for (const value of Object.values(actor)) if (typeof value === 'string' && value.length > 3) expect((caught as Error).message).not.toContain(value);
    }
    expect(h.storage.raw('a')).toBeUndefined();
    expect(h.events).toEqual([]);
  });

  it('200 characters with non-ASCII text is accepted', async () => {
    const h = harness();
    const by = 'é'.repeat(200);
    await h.tf.admin.setEnforced('a', true, { by });
    expect(h.events[0]!.actor).toBe(by);
  });
});
