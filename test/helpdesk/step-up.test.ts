/**
 * Preferences → Security and twofold's recent check: the recovery codes section, new codes
 * straight away within 10 minutes of the last code, and a fresh code asked for first (by
 * TOTP or by email) when it is older; the same step-up before adding an authenticator app
 * while email is on.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/index.js';
import { STEP_UP, TOTP_CODE_FAILED } from '../../examples/helpdesk/messages.js';
import { Agent, app, codeFromOutbox, emailSetupCodeSent, flashOf, recoveryCodesOf, shownSecret, totpWithRecoveryCodes, useHelpdesk, wrongCode } from './_client.js';

useHelpdesk();

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
});
afterEach(() => {
  vi.useRealTimers();
});

const ELEVEN_MINUTES = 11 * 60_000;

describe('Preferences → Security: recovery codes', () => {
  it('says how many are left and since when; new codes within 10 minutes of the last code need no step-up', async () => {
    const { agent, codes } = await totpWithRecoveryCodes('ann@acme.test');
    await app.helpdesk.twoFactor.verifyRecoveryCode('ann', codes[0]!);
    const security = await agent.get('/preferences/security');
    expect(security.body).toMatch(/<p>Recovery codes: 9 left, created <time datetime="[^"]+">[^<]+UTC<\/time>\.<\/p>/);
    expect(security.body).toContain('action="/preferences/security/recovery"');

    expect((await agent.post('/preferences/security/recovery', {})).location).toBe('/recovery-codes');
    const page = await agent.get('/recovery-codes');
    expect(flashOf(page.body)).toBe('New recovery codes: the earlier ones no longer work.');
    expect(page.body).toContain('<a class="button" href="/preferences/security">Continue</a>');
    const fresh = recoveryCodesOf(page.body);
    expect(fresh).toHaveLength(10);
    expect(fresh.some((c) => codes.includes(c))).toBe(false);
    expect((await app.helpdesk.twoFactor.verifyRecoveryCode('ann', codes[1]!)).ok).toBe(false);
  });

  it('an agent without 2FA is told to set it up first, and offered no button', async () => {
    const cho = new Agent();
    expect((await cho.password('cho@acme.test')).location).toBe('/');
    const security = await cho.get('/preferences/security');
    expect(security.body).toContain('Set up an authenticator app or email codes first');
    expect(security.body).not.toContain('action="/preferences/security/recovery"');
  });
});

describe('the step-up: a fresh code when the last one is older than 10 minutes', () => {
  it('by TOTP: new codes only after a right code; a wrong one is refused and asks again', async () => {
    const { agent, secret, codes } = await totpWithRecoveryCodes('ann@acme.test');
    vi.setSystemTime(Date.now() + ELEVEN_MINUTES);

    const ask = await agent.post('/preferences/security/recovery', {});
    expect(ask.location).toBe('/preferences/security/confirm');
    const page = await agent.get(ask.location!);
    expect(page.body).toContain('<h1>Confirm it’s you</h1>');
    expect(flashOf(page.body)).toBe(STEP_UP);
    expect(page.body).toContain('To make new recovery codes, enter a fresh two-factor code.');
    expect(page.body).toContain('action="/preferences/security/confirm/totp"');
    expect((await app.helpdesk.twoFactor.status('ann')).recoveryCodes?.remaining).toBe(10); // nothing replaced yet

    const wrong = await agent.follow(await agent.post('/preferences/security/confirm/totp', { code: wrongCode(secret) }));
    expect(flashOf(wrong.body)).toBe(TOTP_CODE_FAILED);
    expect(wrong.body).toContain('<h1>Confirm it’s you</h1>');
    expect((await app.helpdesk.twoFactor.verifyRecoveryCode('ann', codes[0]!)).ok).toBe(true); // the old codes still work

    const right = await agent.post('/preferences/security/confirm/totp', { code: totp(secret) });
    expect(right.location).toBe('/recovery-codes');
    const fresh = recoveryCodesOf((await agent.get('/recovery-codes')).body);
    expect(fresh).toHaveLength(10);
    expect((await app.helpdesk.twoFactor.verifyRecoveryCode('ann', codes[1]!)).ok).toBe(false);
  });

  it('by email: a code sent to the enrolled address, then new codes', async () => {
    const bob = await emailSetupCodeSent('bob@acme.test');
    expect((await bob.post('/login/email', { code: await codeFromOutbox('bob@acme.test') })).location).toBe('/recovery-codes');
    await bob.get('/recovery-codes'); // the page, with the signed-in session's form token
    vi.setSystemTime(Date.now() + ELEVEN_MINUTES);

    expect((await bob.post('/preferences/security/recovery', {})).location).toBe('/preferences/security/confirm');
    const page = await bob.get('/preferences/security/confirm');
    expect(page.body).toContain('action="/preferences/security/confirm/email/send"');
    expect(page.body).not.toContain('name="code"'); // no code sent yet
    const sent = await bob.follow(await bob.post('/preferences/security/confirm/email/send', {}));
    expect(flashOf(sent.body)).toMatch(/^We sent a code to bob@acme\.test\./);
    expect(sent.body).toContain('action="/preferences/security/confirm/email"');
    const done = await bob.post('/preferences/security/confirm/email', { code: await codeFromOutbox('bob@acme.test') });
    expect(done.location).toBe('/recovery-codes');
    expect(recoveryCodesOf((await bob.get('/recovery-codes')).body)).toHaveLength(10);
  });

  it('before adding an authenticator app while email is on: a fresh email code, then the app set-up, then no new codes', async () => {
    const bob = await emailSetupCodeSent('bob@acme.test');
    await bob.post('/login/email', { code: await codeFromOutbox('bob@acme.test') });
    await app.helpdesk.store.saveSettings({ totp: true, email: true, requireAll: false });
    vi.setSystemTime(Date.now() + ELEVEN_MINUTES);

    const begin = await bob.get('/preferences/security/totp');
    expect(begin.location).toBe('/preferences/security/confirm');
    const page = await bob.get(begin.location!);
    expect(page.body).toContain('To add an authenticator app, enter a fresh two-factor code.');
    expect(page.body).not.toContain('id="totp-secret"');
    await bob.post('/preferences/security/confirm/email/send', {});
    const confirmed = await bob.post('/preferences/security/confirm/email', { code: await codeFromOutbox('bob@acme.test') });
    expect(confirmed.location).toBe('/preferences/security/totp');
    const setup = await bob.get('/preferences/security/totp');
    const secret = shownSecret(setup.body);
    // Bob's recovery codes still work: adding a second method keeps them.
    expect((await bob.post('/preferences/security/totp', { code: totp(secret) })).location).toBe('/preferences/security');
    expect((await app.helpdesk.twoFactor.status('bob')).enrolled).toEqual(expect.arrayContaining(['email', 'totp']));
  });

  it('the step-up page without a change waiting for it goes back to Security', async () => {
    const { agent } = await totpWithRecoveryCodes('ann@acme.test');
    expect((await agent.get('/preferences/security/confirm')).location).toBe('/preferences/security');
  });
});
