/**
 * A suspended agent at the HTTP level, with the demo's test-only fast throttle (suspension
 * after 6 wrong codes in a row instead of 100): the login says so and asks for no code, the
 * right code does not help, the admin's profile shows it, and the admin's unlock ends it; or
 * the agent's own recovery code does.
 */
import { describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { FAST_THROTTLE } from '../../examples/helpdesk/twofactor.js';
import { admin, Agent, app, flashOf, recoveryCodesOf, shownSecret, useHelpdesk, wrongCode } from './_client.js';

useHelpdesk({ throttle: FAST_THROTTLE });

const SUSPENDED = 'Too many wrong codes: this account is suspended. Ask an admin to unlock it.';

describe('a suspended agent', () => {
  it('is told so and asked for no code; the right code does not help; an admin sees it and unlocks; then the agent signs in', async () => {
    const provisioned = await app.helpdesk.twoFactor.admin.provisionTotp('dev', { account: 'dev@acme.test' });
    if (!provisioned.ok) throw new Error(`provisionTotp: ${provisioned.reason}`);
    const { secret } = provisioned;
    const dev = new Agent();
    const verify = await dev.follow(await dev.password('dev@acme.test'));
    expect(verify.body).toContain('name="code"');

    // Wrong codes until the page says suspended (a lock of 1 ms may refuse one unread, so no exact count).
    const messages: (string | undefined)[] = [];
    while (messages.at(-1) !== SUSPENDED && messages.length < 20) {
      const page = await dev.follow(await dev.post('/login/totp', { code: wrongCode(secret) }));
      messages.push(flashOf(page.body));
    }
    expect(messages.at(-1)).toBe(SUSPENDED);
    expect(messages.length).toBeGreaterThanOrEqual(FAST_THROTTLE.maxConsecutiveFailures);
    expect(messages.slice(0, -1).every((m) => m?.startsWith("That code didn't work.") || m?.startsWith('Too many attempts.'))).toBe(true);
    expect((await app.helpdesk.twoFactor.status('dev')).suspendedAt).toBeInstanceOf(Date);

    const page = await dev.get('/login/verify');
    expect(flashOf(page.body)).toBe(SUSPENDED);
    expect(page.body).not.toContain('name="code"');
    // The page's form is gone, but a POST with the session's token is still checked: refused.
    const right = await dev.follow(await dev.post('/login/totp', { code: totp(secret) }));
    expect(flashOf(right.body)).toBe(SUSPENDED);
    expect(await dev.signedIn()).toBe(false);

    const ada = await admin();
    const profile = await ada.get('/admin/agents/dev');
    expect(profile.body).toMatch(/<dd id="agent-lock">Suspended since <time datetime="[^"]+">[^<]+UTC<\/time>/);
    expect(profile.body).toContain('action="/admin/agents/dev/unlock"');
    expect((await ada.get('/admin/agents')).body).toMatch(/Dev Agent<\/a>[^]*?· suspended/);
    const unlocked = await ada.follow(await ada.post('/admin/agents/dev/unlock', {}));
    expect(flashOf(unlocked.body)).toBe('Unlocked: the suspension is lifted, and the agent can sign in with a code again.');
    expect(unlocked.body).toContain('<dd id="agent-lock">Not locked</dd>');
    expect((await app.helpdesk.twoFactor.status('dev')).suspendedAt).toBeNull();

    const again = await dev.get('/login/verify');
    expect(again.body).toContain('name="code"');
    expect((await dev.post('/login/totp', { code: totp(secret) })).location).toBe('/');
    expect(await dev.signedIn()).toBe(true);
  });

  it('by wrong set-up codes in Preferences: told so on the Security page, and a new set-up is refused there too', async () => {
    const cho = new Agent();
    expect((await cho.password('cho@acme.test')).location).toBe('/'); // 2FA optional: straight in
    const secret = shownSecret((await cho.get('/preferences/security/totp')).body);
    // Wrong codes until twofold says suspended; the page after that very code says it too.
    let last = { body: '' };
    for (let i = 0; i < 20 && (await app.helpdesk.twoFactor.status('cho')).suspendedAt === null; i++) {
      last = await cho.follow(await cho.post('/preferences/security/totp', { code: wrongCode(secret) }));
    }
    expect(flashOf(last.body)).toBe(SUSPENDED);
    expect(last.body).toContain('<h1>Security</h1>');
    expect(last.body).toMatch(/<p class="problem" id="suspended">Suspended since <time/);

    const begin = await cho.follow(await cho.get('/preferences/security/totp'));
    expect(begin.hops).toBe(1);
    expect(begin.body).toContain('<h1>Security</h1>');
    expect(flashOf(begin.body)).toBe(SUSPENDED);
    expect(begin.body).not.toContain('id="totp-secret"');
  });

  it('a recovery code signs a suspended agent in and lifts the suspension', async () => {
    const cho = new Agent();
    expect((await cho.password('cho@acme.test')).location).toBe('/'); // 2FA optional: straight in
    const secret = shownSecret((await cho.get('/preferences/security/totp')).body);
    expect((await cho.post('/preferences/security/totp', { code: totp(secret) })).location).toBe('/recovery-codes');
    const codes = recoveryCodesOf((await cho.get('/recovery-codes')).body);
    expect(codes).toHaveLength(10);
    await cho.post('/logout', {});

    await cho.follow(await cho.password('cho@acme.test'));
    for (let i = 0; i < 20 && (await app.helpdesk.twoFactor.status('cho')).suspendedAt === null; i++) {
      await cho.post('/login/totp', { code: wrongCode(secret) });
    }
    const page = await cho.get('/login/verify');
    expect(flashOf(page.body)).toBe(SUSPENDED);
    expect(page.body).not.toContain('name="code"');
    expect(page.body).toContain('<a href="/login/recovery">Use a recovery code</a>');

    await cho.get('/login/recovery');
    expect((await cho.post('/login/recovery', { code: codes[0]! })).location).toBe('/');
    expect(flashOf((await cho.get('/')).body)).toBe('Signed in with a recovery code. 9 recovery codes left.');
    const status = await app.helpdesk.twoFactor.status('cho');
    expect(status.suspendedAt).toBeNull();
    expect(status.failures).toBe(0);
  });
});
