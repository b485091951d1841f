/**
 * The helpdesk demo at the HTTP level, without a browser: the app on an ephemeral port on
 * 127.0.0.1, requests by fetch (redirects not followed) with a small cookie jar per user.
 * What the browser test (test/e2e) cannot easily show: CSRF refusals, session renewal, cookie
 * flags and headers, escaping, the outbox's loopback rule, stale login decisions, lazy sessions.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { totp } from '../../src/index.js';
import { createHelpdesk, type Helpdesk } from '../../examples/helpdesk/app.js';
import { isLoopback, Sessions } from '../../examples/helpdesk/http.js';

const COOKIE = 'helpdesk_session';

let helpdesk: Helpdesk;
let server: Server;
let base: string;
/** The app's log (mails and twofold's audit events), one line each. */
let log: string[];

beforeEach(async () => {
  log = [];
  helpdesk = await createHelpdesk({ log: (line) => log.push(line) });
  server = createServer((req, res) => {
    helpdesk.handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface Reply {
  status: number;
  location: string | null;
  /** The raw Set-Cookie header, or null when the response set none. */
  setCookie: string | null;
  headers: Headers;
  body: string;
}

/** One browser: its own cookie, the CSRF token of the last page with a form. */
class Agent {
  cookie: string | undefined;
  csrf = '';

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.#send(path, { method: 'GET', headers });
  }

  /** POSTs a form; the page's CSRF token is added unless `csrf` is given (`null`: none at all). */
  async post(path: string, fields: Record<string, string>, csrf: string | null = this.csrf): Promise<Reply> {
    const form = new URLSearchParams(fields);
    if (csrf !== null) form.set('csrf', csrf);
    return this.#send(path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  }

  async #send(path: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Reply> {
    const headers = { ...init.headers, ...(this.cookie && { Cookie: `${COOKIE}=${this.cookie}` }) };
    const response = await fetch(`${base}${path}`, { ...init, headers, redirect: 'manual' });
    const setCookie = response.headers.get('set-cookie');
    const id = setCookie && new RegExp(`^${COOKIE}=([^;]*)`).exec(setCookie)?.[1];
    if (id) this.cookie = id;
    const body = await response.text();
    const token = /name="csrf" value="([^"]*)"/.exec(body)?.[1];
    if (token !== undefined) this.csrf = token;
    return { status: response.status, location: response.headers.get('location'), setCookie, headers: response.headers, body };
  }

  /** The password step: the login page, then the form. */
  async password(email: string, password = 'demo'): Promise<Reply> {
    await this.get('/login');
    return this.post('/login', { email, password });
  }

  /** Whether this cookie is signed in: the home page answers instead of sending to /login. */
  async signedIn(): Promise<boolean> {
    const home = await this.get('/');
    return home.status === 200 && home.body.includes('<h1>Tickets</h1>');
  }
}

/** The TOTP key shown on a set-up page, spaces removed. */
function shownSecret(body: string): string {
  const secret = /id="totp-secret"[^>]*>([^<]+)</.exec(body)?.[1];
  if (secret === undefined) throw new Error('no TOTP key on the page');
  return secret.replace(/\s+/g, '');
}

/** Ada (admin, no 2FA under the default settings) signed in. */
async function admin(): Promise<Agent> {
  const ada = new Agent();
  expect((await ada.password('ada@acme.test')).location).toBe('/');
  return ada;
}

/** Every agent must set up TOTP at their next login, no grace period, no email codes. */
function requireTotp(): void {
  helpdesk.store.settings = { totp: true, email: false, requireAll: true };
}

describe('CSRF', () => {
  it('a login POST without the csrf field, or with another session’s token, is refused and signs no one in', async () => {
    const ann = new Agent();
    await ann.get('/login');
    const cookie = ann.cookie;

    const without = await ann.post('/login', { email: 'ada@acme.test', password: 'demo' }, null);
    expect(without.status).toBe(403);
    expect(without.body).toContain('This form has expired');
    expect(without.setCookie).toBeNull(); // no renewal: the password step did not happen

    const other = new Agent();
    await other.get('/login');
    expect(other.csrf).not.toBe(ann.csrf);
    const foreign = await ann.post('/login', { email: 'ada@acme.test', password: 'demo' }, other.csrf);
    expect(foreign.status).toBe(403);
    expect(foreign.setCookie).toBeNull();

    expect(ann.cookie).toBe(cookie);
    expect(await ann.signedIn()).toBe(false);
    // The same form with its own token goes through: the refusals above were the token's doing.
    await ann.get('/login');
    expect((await ann.post('/login', { email: 'ada@acme.test', password: 'demo' })).location).toBe('/');
  });

  it('an admin action without a valid token changes nothing in twofold', async () => {
    const ada = await admin();
    await ada.get('/admin/agents/ann');
    const attacker = new Agent();
    await attacker.get('/login');

    for (const csrf of [null, '', attacker.csrf, `${ada.csrf.slice(0, -1)}x`]) {
      const reply = await ada.post('/admin/agents/ann/enforce', { enforce: 'on' }, csrf);
      expect(reply.status).toBe(403);
      expect((await helpdesk.twoFactor.status('ann')).enforced).toBe(false);
    }
    const provision = await ada.post('/admin/agents/ann/totp', {}, attacker.csrf);
    expect(provision.status).toBe(403);
    expect((await helpdesk.twoFactor.status('ann')).totp).toBeNull();

    await ada.get('/admin/agents/ann');
    expect((await ada.post('/admin/agents/ann/enforce', { enforce: 'on' })).status).toBe(303);
    expect((await helpdesk.twoFactor.status('ann')).enforced).toBe(true);
  });
});

describe('sessions', () => {
  it('get a new id after the password, after sign-in and after logout; the old ids stop working', async () => {
    requireTotp();
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
    expect(signIn.location).toBe('/');
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
    expect(helpdesk.sessions.size).toBe(0);

    // The sign-in page has a form: its token needs a session.
    const login = await visitor.get('/login');
    expect(login.setCookie).toMatch(new RegExp(`^${COOKIE}=`));
    expect(helpdesk.sessions.size).toBe(1);
    // Coming back with that cookie reuses the session.
    expect((await visitor.get('/login')).setCookie).toBeNull();
    expect(helpdesk.sessions.size).toBe(1);
  });

  it('keeps at most `max` sessions, dropping the one seen longest ago', () => {
    const sessions = new Sessions({ max: 3 });
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

describe('headers and escaping', () => {
  it('the session cookie is HttpOnly and SameSite=Lax; pages carry CSP, nosniff and no-store', async () => {
    const visitor = new Agent();
    const login = await visitor.get('/login');
    expect(login.setCookie).toMatch(/;\s*HttpOnly(;|$)/);
    expect(login.setCookie).toMatch(/;\s*SameSite=Lax(;|$)/);
    expect(login.setCookie).toMatch(/;\s*Path=\/(;|$)/);

    const refused = await visitor.post('/login', {}, null);
    for (const reply of [login, await visitor.get('/outbox'), await visitor.get('/no-such-page'), refused]) {
      expect(reply.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(reply.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
      expect(reply.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('a typed email with markup is echoed escaped, never as markup', async () => {
    const visitor = new Agent();
    await visitor.get('/login');
    const typed = `"><script>alert(1)</script>'`;
    const reply = await visitor.post('/login', { email: typed, password: 'wrong' });
    expect(reply.status).toBe(401);
    expect(reply.body).toContain('value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&#39;"');
    expect(reply.body).not.toContain('<script');
    expect(reply.body).not.toContain('alert(1)</script>');
  });
});

describe('the outbox', () => {
  it('answers a browser on this machine, with the mails sent', async () => {
    helpdesk.store.settings = { totp: false, email: true, requireAll: true };
    const bob = new Agent();
    expect((await bob.password('bob@acme.test')).location).toBe('/login/setup');
    await bob.get('/login/setup');
    expect((await bob.post('/login/email/send', {})).status).toBe(303);

    const outbox = await new Agent().get('/outbox');
    expect(outbox.status).toBe(200);
    expect(outbox.body).toContain('<article class="mail" data-to="bob@acme.test">');
    expect(outbox.body).toMatch(/<pre>[^<]*\b\d{6}\b/);
  });

  it('refuses a request relayed by a proxy, or sent to a name other than localhost (DNS rebinding)', async () => {
    const relayed = await new Agent().get('/outbox', { 'X-Forwarded-For': '203.0.113.9' });
    expect(relayed.status).toBe(403);
    expect(relayed.body).toContain('This machine only');
    expect(relayed.body).not.toContain('class="mail"');

    // fetch sets Host itself; node:http lets the test send the Host a rebound page would.
    const { port } = server.address() as AddressInfo;
    const rebound = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/outbox', headers: { Host: `evil.example:${port}` } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
        .on('error', reject)
        .end();
    });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('This machine only');

    const { status } = await new Agent().get('/outbox', { Host: `localhost:${port}` });
    expect(status).toBe(200);
  });

  it('isLoopback: 127.0.0.0/8, ::1 and IPv4-mapped 127.x only', () => {
    for (const address of ['127.0.0.1', '127.255.255.254', '127.0.1.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.9.8.7']) {
      expect(isLoopback(address), address).toBe(true);
    }
    for (const address of [
      undefined, '', 'localhost', '0.0.0.0', '::', '10.0.0.1', '192.168.1.20', '128.0.0.1', '1.127.0.0',
      '203.0.113.9', '::ffff:10.0.0.1', '::ffff:192.168.1.1', '::2', 'fe80::1', 'fe80::1%lo', '127.0.0.1.example', '::127.0.0.1',
    ]) {
      expect(isLoopback(address), String(address)).toBe(false);
    }
  });
});

describe('a login acts on a fresh policy decision, not the one kept since the password step', () => {
  it('set-up turned verify (an admin set TOTP up meanwhile): the confirm code does not go to set-up', async () => {
    requireTotp();
    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/setup');
    const ownSecret = shownSecret((await ann.get('/login/setup')).body);
    const afterPassword = ann.cookie;

    const provisioned = await helpdesk.twoFactor.admin.provisionTotp('ann', { account: 'ann@acme.test' });
    if (!provisioned.ok) throw new Error(`provisionTotp: ${provisioned.reason}`);
    const mark = log.length;

    const reply = await ann.post('/login/totp', { code: totp(ownSecret) });
    expect(reply.status).toBe(303);
    expect(reply.location).toBe('/login/verify');
    expect(reply.setCookie).toBeNull(); // not signed in: the session was not renewed
    expect(ann.cookie).toBe(afterPassword);
    // twofold was not asked to confirm a set-up (no "totp.failed (already-enrolled)" either).
    expect(log.slice(mark).filter((line) => line.startsWith('audit: ann '))).toEqual([]);

    const verify = await ann.get('/login/verify');
    expect(verify.status).toBe(200);
    expect(verify.body).toContain('<h1>Two-factor authentication</h1>');
    expect(verify.body).not.toContain('totp-secret'); // verification only, never set-up
    expect((await ann.get('/login/setup')).location).toBe('/login/verify');

    // The key the admin handed over signs Ann in, by verification.
    expect((await ann.post('/login/totp', { code: totp(provisioned.secret) })).location).toBe('/');
    expect(log.slice(mark)).toContain('audit: ann totp.verified');
    expect(await ann.signedIn()).toBe(true);
  });

  it('verify turned set-up (an admin removed the 2FA meanwhile): the code is not checked, the login goes to set-up', async () => {
    requireTotp();
    const provisioned = await helpdesk.twoFactor.admin.provisionTotp('ann', { account: 'ann@acme.test' });
    if (!provisioned.ok) throw new Error(`provisionTotp: ${provisioned.reason}`);
    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/verify');
    expect((await ann.get('/login/verify')).status).toBe(200); // the page, with this session's token

    await helpdesk.twoFactor.admin.remove('ann');
    const mark = log.length;
    const reply = await ann.post('/login/totp', { code: totp(provisioned.secret) });
    expect(reply.location).toBe('/login/setup');
    expect(reply.setCookie).toBeNull();
    expect(log.slice(mark).filter((line) => line.startsWith('audit: ann '))).toEqual([]);
    expect(await ann.signedIn()).toBe(false);
    expect((await ann.get('/login/setup')).body).toContain('id="totp-secret"');
  });

  it('a skip after the grace period was taken away goes to the set-up the new decision asks for', async () => {
    helpdesk.store.settings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 7 } };
    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/setup');
    expect((await ann.get('/login/setup')).body).toContain('Skip for now');

    // The admin enforces 2FA for Ann: no grace any more. Set-up all the same (same kind, same
    // methods), so twofold's own check refuses the skip.
    await helpdesk.twoFactor.admin.setEnforced('ann', true);
    expect((await ann.post('/login/skip', {})).location).toBe('/login/setup');
    expect(await ann.signedIn()).toBe(false);
    expect((await ann.get('/login/setup')).body).not.toContain('Skip for now');
  });
});
