/**
 * How the service reads settings, src/service/settings.ts: a settings function gets the agent
 * id (one service for many orgs); Email switched on without a mailer is refused at creation
 * for fixed settings and, for a settings function, counts as off in every decision and guard,
 * with `status().problems` and the service's own `validateSettings` saying why. Never an
 * exception inside a login.
 */
import { describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage } from '../../src/memory.js';
import type { PolicySettings } from '../../src/index.js';
import { emptyRecord } from '../../src/record/schema.js';
import { ADDRESS, BOTH, T0, TOTP_ONLY, createTwoFactor, enroll, harness } from '../support/harness.js';
import { BAD_VALUES } from '../_bad-inputs.js';

const EMAIL_ONLY_REQUIRED: PolicySettings = { totp: false, email: true, requireAll: true };

describe('a settings function receives the agent id', () => {
  it('each call reads the settings of that agent\'s org', async () => {
    const orgOf: Record<string, PolicySettings> = { ann: TOTP_ONLY, bob: EMAIL_ONLY_REQUIRED };
    const asked: string[] = [];
    const h = harness({
      settings: (agentId) => {
        asked.push(agentId);
        return orgOf[agentId]!;
      },
      mailer: new MemoryMailer(),
    });
    expect(await h.tf.policy('ann')).toMatchObject({ action: 'skip', reason: 'optional', setupMethods: ['totp'] });
    expect(await h.tf.policy('bob')).toMatchObject({ action: 'enforce', next: 'setup', setupMethods: ['email'] });
    expect(await h.tf.beginTotpSetup('bob', { account: 'bob' })).toEqual({ ok: false, reason: 'method-disabled' });
    await h.tf.status('ann');
    expect(asked).toEqual(['ann', 'bob', 'bob', 'ann']);
  });
});

describe('Email switched on without a mailer', () => {
  it('fixed settings: createTwoFactor throws a TypeError that says what to do', () => {
    expect(() => createTwoFactor({ storage: new MemoryStorage(), issuer: 'Acme', settings: BOTH })).toThrow(/no "mailer"/);
    expect(() => createTwoFactor({ storage: new MemoryStorage(), issuer: 'Acme', settings: BOTH })).toThrow(TypeError);
    expect(() => createTwoFactor({ storage: new MemoryStorage(), issuer: 'Acme', settings: TOTP_ONLY })).not.toThrow();
  });

  describe('a settings function: Email counts as off, and status says why', () => {
    const setup = async () => {
      const h = harness({ settings: () => EMAIL_ONLY_REQUIRED });
      await h.storage.save('enrolled', { ...emptyRecord(T0), email: { address: ADDRESS, enrolledAt: T0, lastUsedAt: null } }, null);
      return h;
    };

    it('the policy: no method on, so nothing is asked (rule 1), even of an agent with email enrolled', async () => {
      const h = await setup();
      for (const id of ['new', 'enrolled']) expect(await h.tf.policy(id)).toEqual({ action: 'skip', next: 'none', reason: 'no-method-enabled' });
    });

    it('sending and checking codes answer method-disabled: a login never meets an exception', async () => {
      const h = await setup();
      for (const id of ['new', 'enrolled']) {
        expect(await h.tf.sendEmailCode(id, { to: ADDRESS })).toEqual({ ok: false, reason: 'method-disabled' });
        expect(await h.tf.verifyEmailCode(id, '123456')).toEqual({ ok: false, reason: 'method-disabled' });
      }
    });

    it('the guard: email does not count as active, as in the policy', async () => {
      const settings: PolicySettings = { totp: true, email: true, requireAll: true };
      const h = harness({ settings: () => settings });
      await h.storage.save('enrolled', { ...emptyRecord(T0), email: { address: ADDRESS, enrolledAt: T0, lastUsedAt: null } }, null);
      expect(await h.tf.policy('enrolled')).toMatchObject({ next: 'setup', setupMethods: ['totp'] });
      expect((await h.tf.beginTotpSetup('enrolled', { account: ADDRESS })).ok).toBe(true);
    });

    it('status().problems names it; with a mailer it is empty', async () => {
      const h = await setup();
      expect((await h.tf.status('enrolled')).problems).toEqual([{ code: 'email-without-mailer', field: 'email', message: expect.stringContaining('no mailer') }]);
      const withMailer = harness({ settings: () => EMAIL_ONLY_REQUIRED, mailer: new MemoryMailer() });
      expect((await withMailer.tf.status('enrolled')).problems).toEqual([]);
      const emailOff = harness({ settings: () => TOTP_ONLY });
      await enroll(emailOff, 'a');
      expect((await emailOff.tf.status('a')).problems).toEqual([]);
    });
  });
});

describe('twoFactor.validateSettings: the service\'s own check for the admin screen', () => {
  const noMailer = harness({ settings: () => TOTP_ONLY });
  const withMailer = harness({ settings: () => TOTP_ONLY, mailer: new MemoryMailer() });

  it('adds email-without-mailer to what validateSettings reports', () => {
    expect(noMailer.tf.validateSettings(BOTH).map((p) => p.code)).toEqual(['email-without-mailer']);
    expect(withMailer.tf.validateSettings(BOTH)).toEqual([]);
    expect(noMailer.tf.validateSettings(TOTP_ONLY)).toEqual([]);
    expect(noMailer.tf.validateSettings({ totp: 'yes', email: true, requireAll: false }).map((p) => p.code)).toEqual(['invalid-flag', 'email-without-mailer']);
  });

  it.each(BAD_VALUES)('never throws: $name', ({ value }) => {
    expect(Array.isArray(noMailer.tf.validateSettings(value))).toBe(true);
    expect(noMailer.tf.validateSettings(value).length).toBeGreaterThan(0);
  });
});
