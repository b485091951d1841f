/**
 * The demo's sessions: renewed at each privilege change, stored only once needed, bounded per
 * pool so that anonymous visitors cannot push out agents who passed the password.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/index.js';
import { Sessions } from '../../examples/helpdesk/http.js';
import { Agent, app, COOKIE, requireOnly, shownSecret, useHelpdesk } from './_client.js';

/** A small anonymous pool, so that a flood bigger than it takes a moment, not 10,000 requests. */
const MAX_ANONYMOUS = 20;
useHelpdesk({ sessions: { maxAnonymous: MAX_ANONYMOUS } });

describe('sessions', () => {
  it('get a new id after the password, after sign-in and after logout; the old ids stop working', async () => {
    await requireOnly('totp');
    const ann = new Agent();
    await ann.get('/login');
    const anonymous = ann.cookie!;

    const afterPassword = await ann.post('/login', { email: 'ann@acme.test', password: 'demo' });
    expect(afterPassword.location).toBe('/login/setup');
    const pending = ann.cookie!;
    expect(pending).not.toBe(anonymous);

    const setup = await ann.get('/login/setup');
    expect(setup.status).toBe(200);
    const secret = shownSecret(setup.body);
    // The anonymous cookie did not come along to the second step.
    const before = new Agent();
    before.cookie = anonymous;
    expect((await before.get('/login/setup')).location).toBe('/login');

    const signIn = await ann.post('/login/totp', { code: totp(secret) });
    expect(signIn.location).toBe('/recovery-codes'); // signed in; the new recovery codes first
    const signedIn = ann.cookie!;
    expect(signedIn).not.toBe(pending);
    expect(await ann.signedIn()).toBe(true);
    const stale = new Agent();
    stale.cookie = pending;
    expect((await stale.get('/login/setup')).location).toBe('/login');
    expect(await stale.signedIn()).toBe(false);

    const logout = await ann.post('/logout', {});
    expect(logout.location).toBe('/login');
    expect(ann.cookie).not.toBe(signedIn);
    expect(await ann.signedIn()).toBe(false);
    const old = new Agent();
    old.cookie = signedIn;
    expect(await old.signedIn()).toBe(false);
    expect((await old.get('/preferences/security')).location).toBe('/login');
  });

  it('an anonymous GET of a page without a form stores no session and sets no cookie', async () => {
    const visitor = new Agent();
    for (const path of ['/outbox', '/', '/preferences/security', '/no-such-page', '/style.css']) {
      const reply = await visitor.get(path);
      expect(reply.setCookie, path).toBeNull();
    }
    // A POST without a session fails its CSRF check, and stores nothing either.
    expect((await visitor.post('/logout', {}, 'forged')).status).toBe(403);
    expect(visitor.cookie).toBeUndefined();
    expect(app.helpdesk.sessions.size).toBe(0);

    // The sign-in page has a form: its token needs a session.
    const login = await visitor.get('/login');
    expect(login.setCookie).toMatch(new RegExp(`^${COOKIE}=`));
    expect(app.helpdesk.sessions.size).toBe(1);
    // Coming back with that cookie reuses the session.
    expect((await visitor.get('/login')).setCookie).toBeNull();
    expect(app.helpdesk.sessions.size).toBe(1);
  });

  it('keeps at most `maxAnonymous` anonymous sessions, dropping the one seen longest ago', () => {
    const sessions = new Sessions({ maxAnonymous: 3 });
    const res = { setHeader: () => {} } as unknown as ServerResponse;
    const req = (id?: string) => ({ headers: id === undefined ? {} : { cookie: `${COOKIE}=${id}` } }) as IncomingMessage;
    const [a, b, c, d] = [1, 2, 3, 4].map(() => sessions.for(req()));
    for (const s of [a!, b!, c!]) sessions.keep(s, res);
    expect(sessions.size).toBe(3);
    expect(sessions.for(req(a!.id))).toBe(a); // a visit: now b is the one seen longest ago
    sessions.keep(d!, res);
    expect(sessions.size).toBe(3);
    expect(sessions.for(req(b!.id))).not.toBe(b);
    for (const s of [a!, c!, d!]) expect(sessions.for(req(s.id))).toBe(s);
  });

  it('forgets a session idle for more than 8 hours', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const sessions = new Sessions();
      const res = { setHeader: () => {} } as unknown as ServerResponse;
      const req = (id: string) => ({ headers: { cookie: `${COOKIE}=${id}` } }) as IncomingMessage;
      const idle = sessions.for({ headers: {} } as IncomingMessage);
      sessions.keep(idle, res);
      vi.advanceTimersByTime(8 * 60 * 60_000 + 1);
      expect(sessions.for(req(idle.id))).not.toBe(idle);
      expect(sessions.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('anonymous visitors cannot evict agents who passed the password', () => {
  it('a flood of cookieless GET /login, more than the anonymous cap, leaves signed-in agents and logins in progress alone', async () => {
    await app.helpdesk.store.saveSettings({ totp: true, email: false, requireAll: false });
    await app.helpdesk.twoFactor.admin.setEnforced('bob', true);
    const ada = new Agent();
    expect((await ada.password('ada@acme.test')).location).toBe('/'); // signed in
    const bob = new Agent();
    expect((await bob.password('bob@acme.test')).location).toBe('/login/setup'); // a login in progress
    const secret = shownSecret((await bob.get('/login/setup')).body);
    const early = new Agent();
    await early.get('/login'); // an anonymous visitor who came before the flood

    for (let i = 0; i < 3 * MAX_ANONYMOUS; i++) {
      expect((await new Agent().get('/login')).setCookie).toMatch(new RegExp(`^${COOKIE}=`));
    }
    expect(await ada.signedIn()).toBe(true);
    expect((await ada.get('/admin/agents')).status).toBe(200);
    expect(app.helpdesk.sessions.sizeOf('anonymous')).toBe(MAX_ANONYMOUS); // memory stays bounded
    // Bob's login goes on, with the same set-up (its token is in his session), and finishes.
    const setup = await bob.get('/login/setup');
    expect(setup.status).toBe(200);
    expect(shownSecret(setup.body)).toBe(secret);
    expect((await bob.post('/login/totp', { code: totp(secret) })).location).toBe('/recovery-codes');
    expect(await bob.signedIn()).toBe(true);
    // The flood pushed out anonymous sessions only: the early visitor's form has expired.
    expect((await early.post('/login', { email: 'cho@acme.test', password: 'demo' })).status).toBe(403);
  });

  it('each pool drops only its own oldest session', () => {
    const sessions = new Sessions({ maxAnonymous: 2, maxAuthenticated: 2 });
    const res = { setHeader: () => {} } as unknown as ServerResponse;
    const req = (id?: string) => ({ headers: id === undefined ? {} : { cookie: `${COOKIE}=${id}` } }) as IncomingMessage;
    const [x, y] = [1, 2].map(() => sessions.renew(sessions.for(req()), res, 'authenticated'));
    for (let i = 0; i < 10; i++) sessions.keep(sessions.for(req()), res);
    expect(sessions.sizeOf('anonymous')).toBe(2);
    for (const s of [x!, y!]) expect(sessions.for(req(s.id))).toBe(s);

    // A third login past the password pushes out the authenticated session seen longest ago (x).
    const z = sessions.renew(sessions.for(req()), res, 'authenticated');
    expect(sessions.sizeOf('authenticated')).toBe(2);
    expect(sessions.for(req(x!.id))).not.toBe(x);
    for (const s of [y!, z]) expect(sessions.for(req(s.id))).toBe(s);
    // Signing out moves a session to the anonymous pool under a new id.
    const out = sessions.renew(z, res, 'anonymous');
    expect(sessions.sizeOf('authenticated')).toBe(1);
    expect(sessions.for(req(out.id))).toBe(out);
    expect(sessions.for(req(z.id))).not.toBe(z);
  });
});
