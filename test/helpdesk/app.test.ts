/**
 * The helpdesk's login at the HTTP level: each step acts on a fresh policy decision; a method
 * switched off does not stand in the way of setting up the other one; a refusal never loops;
 * a suspended agent is told so, and signs in again once an admin unlocks.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/index.js';
import { Agent, app, codeFromOutbox, emailSetupCodeSent, flashOf, requireOnly, shownSecret, useHelpdesk } from './_client.js';

useHelpdesk();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('a login acts on a fresh policy decision, not the one kept since the password step', () => {
  it('set-up turned verify (an admin set TOTP up meanwhile): the confirm code does not go to set-up', async () => {
    await requireOnly('totp');
    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/setup');
    const ownSecret = shownSecret((await ann.get('/login/setup')).body);
    const afterPassword = ann.cookie;

    const provisioned = await app.helpdesk.twoFactor.admin.provisionTotp('ann', { account: 'ann@acme.test' });
    if (!provisioned.ok) throw new Error(`provisionTotp: ${provisioned.reason}`);
    const mark = app.log.length;

    const reply = await ann.post('/login/totp', { code: totp(ownSecret) });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe('/login/verify');
    expect(reply.setCookie).toBeNull(); // not signed in: the session was not renewed
    expect(ann.cookie).toBe(afterPassword);
    // twofold was not asked to confirm a set-up (no "totp.failed (already-enrolled)" either).
    expect(app.log.slice(mark).filter((line) => line.startsWith('audit: ann '))).toEqual([]);

    const verify = await ann.get('/login/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toContain('<h1>Two-factor authentication</h1>');
    expect(verify.body).not.toContain('totp-secret'); // verification only, never set-up
    expect((await ann.get('/login/setup')).location).toBe('/login/verify');

    // The key the admin handed over signs Ann in, by verification.
    expect((await ann.post('/login/totp', { code: totp(provisioned.secret) })).location).toBe('/');
    expect(app.log.slice(mark)).toContain('audit: ann totp.verified');
    expect(await ann.signedIn()).toBe(true);
  });

  it('verify turned set-up (an admin removed the 2FA meanwhile): the code is not checked, the login goes to set-up', async () => {
    await requireOnly('totp');
    const provisioned = await app.helpdesk.twoFactor.admin.provisionTotp('ann', { account: 'ann@acme.test' });
    if (!provisioned.ok) throw new Error(`provisionTotp: ${provisioned.reason}`);
    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/verify');
    expect((await ann.get('/login/verify')).status).toBe(200); // the page, with this session's token

    await app.helpdesk.twoFactor.admin.remove('ann');
    const mark = app.log.length;
    const reply = await ann.post('/login/totp', { code: totp(provisioned.secret) });
    expect(reply.location).toBe('/login/setup');
    expect(reply.setCookie).toBeNull();
    expect(app.log.slice(mark).filter((line) => line.startsWith('audit: ann '))).toEqual([]);
    expect(await ann.signedIn()).toBe(false);
    expect((await ann.get('/login/setup')).body).toContain('id="totp-secret"');
  });

  it('a skip after the grace period was taken away goes to the set-up the new decision asks for', async () => {
    await app.helpdesk.store.saveSettings({ totp: true, email: false, requireAll: true, gracePeriod: { days: 7 } });
    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/setup');
    expect((await ann.get('/login/setup')).body).toContain('Skip for now');

    // The admin enforces 2FA for Ann: no grace any more. Set-up all the same (same kind, same
    // methods), so twofold's own check refuses the skip.
    await app.helpdesk.twoFactor.admin.setEnforced('ann', true);
    expect((await ann.post('/login/skip', {})).location).toBe('/login/setup');
    expect(await ann.signedIn()).toBe(false);
    expect((await ann.get('/login/setup')).body).not.toContain('Skip for now');
  });
});

describe('a method switched off does not block setting up the other one', () => {
  it('email enrolled, then Email off and TOTP on with "require": the login shows TOTP set-up, no redirect loop, and confirming works', async () => {
    const bob = await emailSetupCodeSent('bob@acme.test');
    // The first method set up: recovery codes, shown once, before the tickets.
    expect((await bob.post('/login/email', { code: await codeFromOutbox('bob@acme.test') })).location).toBe('/recovery-codes');
    expect((await app.helpdesk.twoFactor.status('bob')).enrolled).toEqual(['email']);
    await bob.get('/'); // a page with this session's token, for the Log out form
    expect((await bob.post('/logout', {})).location).toBe('/login');

    await requireOnly('totp');
    const page = await bob.follow(await bob.password('bob@acme.test'));
    expect(page.hops).toBe(1); // straight to the set-up page
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>Set up two-factor authentication</h1>');
    const secret = shownSecret(page.body);
    // A second method: Bob's recovery codes still work, so no new ones come between.
    expect((await bob.post('/login/totp', { code: totp(secret) })).location).toBe('/');
    expect(await bob.signedIn()).toBe(true);
    expect((await app.helpdesk.twoFactor.status('bob')).enrolled).toContain('totp');
  });

  it('TOTP enrolled, then TOTP off and Email on with "require": the email set-up code is sent, and confirming works', async () => {
    await requireOnly('totp');
    const ann = new Agent();
    await ann.password('ann@acme.test');
    const secret = shownSecret((await ann.get('/login/setup')).body);
    expect((await ann.post('/login/totp', { code: totp(secret) })).location).toBe('/recovery-codes');
    await ann.get('/');
    expect((await ann.post('/logout', {})).location).toBe('/login');

    await requireOnly('email');
    const page = await ann.follow(await ann.password('ann@acme.test'));
    expect(page.body).toContain('<h1>Set up two-factor authentication</h1>');
    const sent = await ann.follow(await ann.post('/login/email/send', {}));
    expect(sent.hops).toBe(1);
    expect(flashOf(sent.body)).toMatch(/^We sent a code to ann@acme\.test\./);
    expect((await ann.post('/login/email', { code: await codeFromOutbox('ann@acme.test') })).location).toBe('/');
    expect((await app.helpdesk.twoFactor.status('ann')).enrolled).toContain('email');
  });
});

describe('a refusal the policy does not explain is shown, never followed round in a loop', () => {
  it('beginTotpSetup refused while the policy still asks for TOTP set-up: the set-up page says why', async () => {
    await requireOnly('totp');
    vi.spyOn(app.helpdesk.twoFactor, 'beginTotpSetup').mockResolvedValue({ ok: false, reason: 'other-method-active' });
    const ann = new Agent();
    const page = await ann.follow(await ann.password('ann@acme.test'));
    expect(page.hops).toBe(1);
    expect(page.status).toBe(200);
    expect(flashOf(page.body)).toBe('Your account already has another two-factor method. Sign in with it, then add this one under Security.');
    expect(page.body).not.toContain('id="totp-secret"');
  });

  it('sendEmailCode refused while the policy still asks for email set-up: one redirect, then the message', async () => {
    await requireOnly('email');
    vi.spyOn(app.helpdesk.twoFactor, 'sendEmailCode').mockResolvedValue({ ok: false, reason: 'other-method-active' });
    const ann = new Agent();
    await ann.follow(await ann.password('ann@acme.test'));
    const page = await ann.follow(await ann.post('/login/email/send', {}));
    expect(page.hops).toBe(1);
    expect(flashOf(page.body)).toBe('Your account already has another two-factor method. Sign in with it, then add this one under Security.');
  });
});
