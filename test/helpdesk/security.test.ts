/**
 * The helpdesk demo at the HTTP level, without a browser: what the browser test (test/e2e)
 * cannot easily show. CSRF refusals, cookie flags and headers, escaping, the outbox's loopback rule.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { isLoopback } from '../../examples/helpdesk/http.js';
import { admin, Agent, COOKIE, emailSetupCodeSent, useHelpdesk, app } from './_client.js';

useHelpdesk();

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
      expect((await app.helpdesk.twoFactor.status('ann')).enforced).toBe(false);
    }
    const provision = await ada.post('/admin/agents/ann/totp', {}, attacker.csrf);
    expect(provision.status).toBe(403);
    expect((await app.helpdesk.twoFactor.status('ann')).totp).toBeNull();

    await ada.get('/admin/agents/ann');
    expect((await ada.post('/admin/agents/ann/enforce', { enforce: 'on' })).status).toBe(303);
    expect((await app.helpdesk.twoFactor.status('ann')).enforced).toBe(true);
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
    await emailSetupCodeSent('bob@acme.test');

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
    const { port } = app.server.address() as AddressInfo;
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
