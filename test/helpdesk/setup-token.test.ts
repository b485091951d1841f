/**
 * The TOTP set-up token in the demo: kept in the server-side session, never sent to the
 * browser; a refresh shows the same secret; an expired, replaced or missing set-up is said in
 * words and followed by a new code to scan.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { totp, type BeginTotpSetupResult } from '../../src/index.js';
import { Agent, app, flashOf, requireOnly, shownSecret, useHelpdesk, type Reply } from './_client.js';

useHelpdesk();

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** The set-up tokens twofold hands the app, as they are handed (the test's view, not the browser's). */
function watchSetupTokens(): string[] {
  const tokens: string[] = [];
  const twoFactor = app.helpdesk.twoFactor;
  const begin = twoFactor.beginTotpSetup.bind(twoFactor);
  vi.spyOn(twoFactor, 'beginTotpSetup').mockImplementation(async (...args) => {
    const result: BeginTotpSetupResult = await begin(...args);
    if (result.ok) tokens.push(result.setupToken);
    return result;
  });
  return tokens;
}

/** Everything a browser received: bodies, locations and cookies. */
function seenByBrowser(replies: Reply[]): string {
  return replies.map((r) => [r.body, r.location ?? '', r.setCookie ?? '', [...r.headers].join('\n')].join('\n')).join('\n');
}

describe('the set-up token stays on the server', () => {
  it('at login: a refresh shows the same secret; the token is in no page, URL or cookie; the confirmation uses it', async () => {
    await requireOnly('totp');
    const tokens = watchSetupTokens();
    const ann = new Agent();
    const replies = [await ann.password('ann@acme.test')];
    replies.push(await ann.get('/login/setup'), await ann.get('/login/setup'));
    const [first, refresh] = [replies[1]!, replies[2]!];
    expect(shownSecret(refresh.body)).toBe(shownSecret(first.body));
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]); // the refresh passed the session's token back
    // The set-up form sends the code and the CSRF token, nothing else.
    const hidden = [...first.body.matchAll(/<input type="hidden" name="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(hidden)).toEqual(new Set(['csrf']));

    replies.push(await ann.post('/login/totp', { code: totp(shownSecret(first.body)) }));
    expect(replies.at(-1)!.location).toBe('/recovery-codes');
    replies.push(await ann.get('/recovery-codes'), await ann.get('/'));
    expect(seenByBrowser(replies)).not.toContain(tokens[0]!);
    expect(app.log.join('\n')).not.toContain(tokens[0]!);
    expect((await app.helpdesk.twoFactor.status('ann')).enrolled).toEqual(['totp']);
  });

  it('in Preferences: a refresh shows the same secret, and the set-up is confirmed with it', async () => {
    const cho = new Agent();
    expect((await cho.password('cho@acme.test')).location).toBe('/'); // 2FA optional: straight in
    const first = shownSecret((await cho.get('/preferences/security/totp')).body);
    expect(shownSecret((await cho.get('/preferences/security/totp')).body)).toBe(first);
    const done = await cho.post('/preferences/security/totp', { code: totp(first) });
    expect(done.location).toBe('/recovery-codes'); // then Continue goes to Security
    expect(flashOf((await cho.get('/recovery-codes')).body)).toContain('Your authenticator app is on');
  });

  it('another session of the same agent gets its own secret', async () => {
    await requireOnly('totp');
    const [one, two] = [new Agent(), new Agent()];
    for (const a of [one, two]) await a.password('ann@acme.test');
    const secrets = [shownSecret((await one.get('/login/setup')).body), shownSecret((await two.get('/login/setup')).body)];
    expect(secrets[1]).not.toBe(secrets[0]);
    expect(shownSecret((await one.get('/login/setup')).body)).toBe(secrets[0]);
  });
});

describe('a set-up that can no longer be confirmed is said in words, and a new code follows', () => {
  it('expired (older than 15 minutes): the message, then a new secret that works', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    const cho = new Agent();
    await cho.password('cho@acme.test');
    const old = shownSecret((await cho.get('/preferences/security/totp')).body);
    vi.setSystemTime(Date.now() + 16 * 60_000);

    const reply = await cho.post('/preferences/security/totp', { code: totp(old) });
    expect(reply.location).toBe('/preferences/security/totp');
    const page = await cho.get(reply.location!);
    expect(flashOf(page.body)).toBe('This set-up expired: scan the new code below with your app.');
    const fresh = shownSecret(page.body);
    expect(fresh).not.toBe(old);
    expect((await cho.post('/preferences/security/totp', { code: totp(fresh) })).location).toBe('/recovery-codes');
    expect((await app.helpdesk.twoFactor.status('cho')).enrolled).toEqual(['totp']);
  });

  it('replaced (three newer set-ups began elsewhere): the message, then a new secret that works', async () => {
    await requireOnly('totp');
    const first = new Agent();
    await first.password('ann@acme.test');
    const secret = shownSecret((await first.get('/login/setup')).body);
    for (let i = 0; i < 3; i++) {
      const other = new Agent();
      await other.password('ann@acme.test');
      await other.get('/login/setup');
    }
    const reply = await first.post('/login/totp', { code: totp(secret) });
    expect(reply.location).toBe('/login/setup?method=totp');
    const page = await first.get(reply.location!);
    expect(flashOf(page.body)).toMatch(/^A newer set-up was started for your account .* Scan the new code below\.$/);
    const fresh = shownSecret(page.body);
    expect(fresh).not.toBe(secret);
    expect((await first.post('/login/totp', { code: totp(fresh) })).location).toBe('/recovery-codes');
  });

  it('a confirmation from a session that never showed a set-up page: a message, not a server error', async () => {
    await app.helpdesk.store.saveSettings({ totp: true, email: true, requireAll: true });
    const ann = new Agent();
    await ann.password('ann@acme.test');
    await ann.get('/login/setup?method=email'); // a form (this session's CSRF token), but no TOTP set-up began
    const reply = await ann.post('/login/totp', { code: '123456' });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe('/login/setup?method=totp');
    const page = await ann.get(reply.location!);
    expect(flashOf(page.body)).toBe('This set-up is no longer waiting for a code. Scan the new code below.');
    expect(page.body).toContain('id="totp-secret"');
  });
});
