/**
 * The policy and the service agree. A method whose service is switched off counts for the
 * second-method guard exactly as it counts in the policy: not at all. So whenever `policy()`
 * asks for set-up, every method it lists can be begun with a password alone; and a set-up
 * allowed only because of a switched-off method removes that dormant enrollment when it is
 * activated, so it cannot wake up when the admin switches the method back on.
 */
import { describe, expect, it } from 'vitest';
import { MemoryMailer } from '../../src/memory.js';
import type { PolicySettings } from '../../src/policy/types.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import { ADDRESS, DAY_MS, T0, begin, codeAt, emailHarness, harness, sendCode, stored } from './_helpers.js';
import { setupRecord } from '../record/_fixtures.js';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const FACTOR = {
  secret: SECRET, secretEncrypted: false, account: ADDRESS, algorithm: 'SHA1', digits: 6, periodSeconds: 30, provisionedBy: 'agent',
  createdAt: T0 - DAY_MS, activatedAt: T0 - DAY_MS, confirmedAt: T0 - DAY_MS, lastStep: null, driftSteps: 0, lastUsedAt: null,
} as const;
const EMAIL = { address: ADDRESS, enrolledAt: T0 - DAY_MS, lastUsedAt: null };
const SETUP_CODE = {
  purpose: 'setup', address: 'other@example.com', hash: 'ab'.repeat(32), salt: '00'.repeat(16), digits: 6,
  issuedAt: T0 - 1000, expiresAt: T0 + 60_000, attempts: 0, sessionVerified: false,
} as const;

const B = [false, true] as const;
const GRACES = [undefined, { until: new Date(T0 + DAY_MS) }, { until: new Date(T0 - DAY_MS) }, { days: 7 }] as const;
const ENROLLED = [[], ['totp'], ['email'], ['totp', 'email']] as const;
const PENDING = [[], ['totp'], ['email'], ['totp', 'email']] as const;

interface Case {
  settings: PolicySettings;
  enrolled: readonly string[];
  pending: readonly string[];
  enforced: boolean;
  graceStarted: boolean;
}
const CASES: Case[] = [];
for (const totp of B) for (const email of B) for (const requireAll of B) for (const grace of GRACES)
  for (const enrolled of ENROLLED) for (const pending of PENDING) for (const enforced of B) for (const graceStarted of B) {
    if (graceStarted && !(grace && 'days' in grace)) continue;
    CASES.push({ settings: { totp, email, requireAll, ...(grace ? { gracePeriod: grace } : {}) }, enrolled, pending, enforced, graceStarted });
  }

function recordOf(c: Case): AgentRecord {
  return {
    ...emptyRecord(T0 - DAY_MS),
    enforced: c.enforced,
    graceStartedAt: c.graceStarted ? T0 - 8 * DAY_MS : null,
    totp: c.enrolled.includes('totp') ? { ...FACTOR } : null,
    email: c.enrolled.includes('email') ? { ...EMAIL } : null,
    totpSetups: c.pending.includes('totp') ? [setupRecord('a1', { createdAt: T0 - 1000, expiresAt: T0 + 60_000 })] : [],
    emailChallenge: c.pending.includes('email') && !c.enrolled.includes('email') ? { ...SETUP_CODE } : null,
    emailSends: [],
  };
}

describe('whenever policy() asks for set-up, each listed method can be begun without sessionVerified', () => {
  it(`covers ${CASES.length} combinations of settings, enrolled and pending methods, enforcement and grace`, () => {
    expect(CASES.length).toBe(2 * 2 * 2 * 4 * 4 * 4 * 2 + 2 * 2 * 2 * 4 * 4 * 2);
  });

  it('every one of them', async () => {
    let asked = 0;
    for (const c of CASES) {
      const mailer = new MemoryMailer();
      const h = harness({ settings: c.settings, mailer });
      await h.storage.save('a', recordOf(c), null);
      const decision = await h.tf.policy('a');
      if (decision.next !== 'setup') continue;
      for (const method of decision.setupMethods) {
        asked++;
        const got = method === 'totp' ? await h.tf.beginTotpSetup('a', { account: ADDRESS }) : await h.tf.sendEmailCode('a', { to: ADDRESS });
        expect(got.ok, `${JSON.stringify(c)} ${method}: ${JSON.stringify(got)}`).toBe(true);
      }
    }
    expect(asked).toBeGreaterThan(300); // the property was really exercised
  });
});

describe('a dormant enrollment is superseded, never woken', () => {
  it('email enrolled, Email switched off, TOTP on with require: TOTP set-up works and removes the email factor', async () => {
    let settings: PolicySettings = { totp: true, email: true, requireAll: true };
    const h = emailHarness({ settings: () => settings });
    expect(await h.tf.verifyEmailCode('a', await sendCode(h, 'a'))).toMatchObject({ ok: true, purpose: 'setup' });
    settings = { totp: true, email: false, requireAll: true };
    expect(await h.tf.policy('a')).toMatchObject({ next: 'setup', setupMethods: ['totp'] });
    const begun = await begin(h, 'a'); // no sessionVerified: the policy asked for it
    h.events.length = 0;
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, h.clock.now().getTime()), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(h.events.map((e) => [e.type, e.method, e.reason])).toEqual([
      ['totp.setup.confirmed', 'totp', undefined],
      ['method.superseded', 'email', 'totp'],
    ]);
    expect(stored(h.storage, 'a')!.email).toBeNull();
    // The admin switches Email back on: the old address is no way in.
    settings = { totp: true, email: true, requireAll: true };
    expect(await h.tf.policy('a')).toMatchObject({ next: 'verify', verifyMethods: ['totp'] });
  });

  it('the mirror: TOTP enrolled, TOTP switched off, Email on: the email set-up code works and removes the TOTP factor', async () => {
    let settings: PolicySettings = { totp: true, email: true, requireAll: true };
    const h = emailHarness({ settings: () => settings });
    const begun = await begin(h, 'a');
    await h.tf.confirmTotpSetup('a', codeAt(begun.secret, h.clock.now().getTime()), { setupToken: begun.setupToken });
    settings = { totp: false, email: true, requireAll: true };
    expect(await h.tf.policy('a')).toMatchObject({ next: 'setup', setupMethods: ['email'] });
    const code = await sendCode(h, 'a');
    h.events.length = 0;
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true, purpose: 'setup' });
    expect(h.events.map((e) => [e.type, e.method])).toEqual([['email.setup.confirmed', 'email'], ['method.superseded', 'totp']]);
    settings = { totp: true, email: true, requireAll: true };
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['email'], totp: null });
  });

  it('switched back on before the set-up completes: the set-up is refused (other-method-active), nothing is added', async () => {
    let settings: PolicySettings = { totp: true, email: false, requireAll: true };
    const h = emailHarness({ settings: () => settings });
    await h.storage.save('a', { ...emptyRecord(T0), email: { ...EMAIL } }, null);
    const begun = await begin(h, 'a'); // allowed: email is off
    settings = { totp: true, email: true, requireAll: true };
    const before = h.storage.raw('a');
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, h.clock.now().getTime()), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'other-method-active' });
    expect(h.storage.raw('a')).toBe(before);
    // A set-up begun from a verified session is confirmed, and both stay.
    const verified = await begin(h, 'a', { sessionVerified: true });
    expect(await h.tf.confirmTotpSetup('a', codeAt(verified.secret, h.clock.now().getTime()), { setupToken: verified.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect((await h.tf.status('a')).enrolled).toEqual(['totp', 'email']);
  });

  it('the mirror: an email set-up code asked for while TOTP was off is refused once TOTP is back on', async () => {
    let settings: PolicySettings = { totp: false, email: true, requireAll: true };
    const h = emailHarness({ settings: () => settings });
    await h.storage.save('a', { ...emptyRecord(T0), totp: { ...FACTOR } }, null);
    const code = await sendCode(h, 'a', 'mallory@example.net');
    settings = { totp: true, email: true, requireAll: true };
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'other-method-active' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['totp'], email: null, failures: 0 });
  });
});
