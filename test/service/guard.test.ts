/**
 * @module The second-method guard (src/service/guard.ts), as every flow meets it. Set-up of a
 * new method completes with `{ ok: true }`, which a login flow treats as "2FA passed"; so while
 * one method is active, a password alone must not be able to set up another (an attacker's own
 * address or app). The host says a session passed 2FA with `sessionVerified: true`; without it
 * the call is refused and nothing changes. A set-up begun while no method was active is voided
 * once another method is enrolled.
 *
 * A method whose service is switched off counts for the guard exactly as it counts in the
 * policy: not at all. So whenever `policy()` asks for set-up, every method it lists can be begun
 * with a password alone; and a set-up allowed only because of a switched-off method removes that
 * dormant enrollment when it is activated, so it cannot wake up when the admin switches the
 * method back on. (A non-boolean sessionVerified: bad-inputs.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { MemoryMailer } from '../../src/memory.js';
import { DEFAULTS, type PolicySettings } from '../../src/index.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import {
  ADDRESS, COOLDOWN_MS, DAY_MS, T0, begin, codeAt, emailHarness, enroll, enrollEmail, enrollEmailOnly, harness, now, sendCode, stored,
} from '../support/harness.js';
import { setupRecord } from '../support/records.js';

const ATTACKER = 'mallory@example.net';

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
    await enrollEmailOnly(h);
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
    await enrollEmailOnly(h);
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
    await enrollEmailOnly(h);
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
    await enrollEmailOnly(h);
    expect(stored(h.storage, 'a')!.totp).toBeNull();
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: false, reason: 'no-pending-setup' });
    expect(await h.tf.status('a')).toMatchObject({ enrolled: ['email'], totp: null });
  });

  it('a login code outstanding is kept when TOTP is added with the flag', async () => {
    const h = emailHarness();
    await enrollEmailOnly(h);
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
    await h.storage.save('a', { ...emptyRecord(T0), email: { ...EMAIL }, lastVerifiedAt: T0 }, null); // the agent checked in by email just now
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

describe('the recent check behind sessionVerified', () => {
  it('adding TOTP beside email needs the last check within 10 minutes: the host\'s flag alone is not enough', async () => {
    const h = emailHarness();
    await enrollEmailOnly(h); // a check now
    h.clock.advance(DEFAULTS.verifiedWindowMs); // exactly 10 minutes later
    expect(await h.tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: true })).toEqual({ ok: false, reason: 'not-verified' });
    // A fresh email check makes it recent again.
    expect(await h.tf.verifyEmailCode('a', await sendCode(h, 'a'))).toMatchObject({ ok: true, purpose: 'login' });
    expect((await h.tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: true })).ok).toBe(true);
  });

  it('adding email beside TOTP: the same', async () => {
    const h = emailHarness();
    const secret = await enroll(h, 'a');
    h.clock.advance(DEFAULTS.verifiedWindowMs + 1);
    const mails = h.mailer.sent.length;
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true })).toEqual({ ok: false, reason: 'not-verified' });
    expect(h.mailer.sent).toHaveLength(mails);
    expect(await h.tf.verifyTotp('a', codeAt(secret, h.clock.now().getTime()))).toEqual({ ok: true, method: 'totp' });
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true })).toMatchObject({ ok: true, purpose: 'setup' });
  });

  it('nothing but a successful check of the agent\'s own sets it: not an admin\'s provisioning, not a set-up begun', async () => {
    const h = emailHarness();
    await h.tf.admin.provisionTotp('a', { account: ADDRESS });
    expect((await h.tf.status('a')).lastVerifiedAt).toBeNull();
    expect(await h.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true })).toEqual({ ok: false, reason: 'not-verified' });
    expect(await h.tf.generateRecoveryCodes('a', { sessionVerified: true })).toEqual({ ok: false, reason: 'not-verified' });
  });
});
