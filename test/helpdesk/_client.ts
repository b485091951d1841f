/**
 * What the helpdesk's HTTP-level tests share: a fresh app before each test, on an ephemeral
 * port on 127.0.0.1, and `Agent`, one browser: requests by fetch (redirects not followed) with
 * its own cookie and the CSRF token of the last page with a form.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect } from 'vitest';
import { totp } from '../../src/index.js';
import { createHelpdesk, type Helpdesk, type HelpdeskOptions } from '../../examples/helpdesk/app.js';

export const COOKIE = 'helpdesk_session';

/** The app of the running test; its fields are replaced before each test. */
export const app = {} as {
  helpdesk: Helpdesk;
  server: Server;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** The app's log (mails and twofold's audit events), one line each. */
  log: string[];
};

/** Registers the hooks that give each test of the file its own helpdesk, made with `options`. */
export function useHelpdesk(options: Omit<HelpdeskOptions, 'log'> = {}): void {
  beforeEach(() => startHelpdesk(options));
  afterEach(async () => {
    await new Promise((resolve) => app.server.close(resolve));
  });
}

/** Makes a helpdesk with `options` on a new port and makes it the app of the test. */
async function startHelpdesk(options: Omit<HelpdeskOptions, 'log'>): Promise<void> {
  const log: string[] = [];
  const helpdesk = await createHelpdesk({ ...options, log: (line) => log.push(line) });
  const server = createServer((req, res) => {
    helpdesk.handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(app, { helpdesk, server, log, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/**
 * A restart: the running app stops (its sessions and outbox go with it) and a new one starts
 * with `options`, say on the same database. Agents keep their cookies, as a browser would.
 */
export async function restartHelpdesk(options: Omit<HelpdeskOptions, 'log'>): Promise<void> {
  await new Promise((resolve) => app.server.close(resolve));
  await startHelpdesk(options);
}

export interface Reply {
  status: number;
  location: string | null;
  /** The raw Set-Cookie header, or null when the response set none. */
  setCookie: string | null;
  headers: Headers;
  body: string;
}

/** One browser: its own cookie, the CSRF token of the last page with a form. */
export class Agent {
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
    const response = await fetch(`${app.base}${path}`, { ...init, headers, redirect: 'manual' });
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

  /** Follows redirects (GET) from `reply` as a browser would, at most `max`; the page it ends on. */
  async follow(reply: Reply, max = 5): Promise<Reply & { hops: number }> {
    let hops = 0;
    while (reply.location !== null) {
      if (++hops > max) throw new Error(`more than ${max} redirects, the last to ${reply.location}`);
      reply = await this.get(reply.location);
    }
    return { ...reply, hops };
  }
}

/** The TOTP key shown on a set-up page, spaces removed. */
export function shownSecret(body: string): string {
  const secret = /id="totp-secret"[^>]*>([^<]+)</.exec(body)?.[1];
  if (secret === undefined) throw new Error('no TOTP key on the page');
  return secret.replace(/\s+/g, '');
}

/** The one-time message at the top of a page, or undefined. */
export function flashOf(body: string): string | undefined {
  return /<p class="flash [a-z]+"[^>]*>([^<]*)</.exec(body)?.[1]?.replace(/&#39;/g, "'").replace(/&quot;/g, '"');
}

/** Every agent must set up `method` at their next login: the other method off, no grace period. */
export async function requireOnly(method: 'totp' | 'email'): Promise<void> {
  await app.helpdesk.store.saveSettings({ totp: method === 'totp', email: method === 'email', requireAll: true });
}

/** The code in the newest mail to `to`, read off the outbox page. */
export async function codeFromOutbox(to: string): Promise<string> {
  const outbox = await new Agent().get('/outbox');
  const mail = new RegExp(`<article class="mail" data-to="${to}">[\\s\\S]*?<pre>[^<]*?\\b(\\d{6})\\b`).exec(outbox.body);
  if (!mail) throw new Error(`no mail to ${to} in the outbox`);
  return mail[1]!;
}

/**
 * Email is the only method and required: the agent `email` passes the password, opens the
 * set-up page and asks for a code, which is sent (303). The agent, signed in with the password only.
 */
export async function emailSetupCodeSent(email: string): Promise<Agent> {
  await requireOnly('email');
  const agent = new Agent();
  expect((await agent.password(email)).location).toBe('/login/setup');
  await agent.get('/login/setup');
  expect((await agent.post('/login/email/send', {})).status).toBe(303);
  return agent;
}

/** A six-digit code that `secret` does not give anywhere near now. */
export function wrongCode(secret: string): string {
  const near = [-2, -1, 0, 1, 2].map((d) => totp(secret, { at: Date.now() + d * 30_000 }));
  return ['111111', '222222', '333333', '444444', '555555', '666666'].find((c) => !near.includes(c))!;
}

/** Ada (admin, no 2FA under the default settings) signed in. */
export async function admin(): Promise<Agent> {
  const ada = new Agent();
  expect((await ada.password('ada@acme.test')).location).toBe('/');
  return ada;
}

/** The recovery codes listed on a page (`XXXXX-XXXXX`), in order; none when the page has none. */
export function recoveryCodesOf(body: string): string[] {
  return [...body.matchAll(/<li><code>([A-Z2-7]{5}-[A-Z2-7]{5})<\/code><\/li>/g)].map((m) => m[1]!);
}

/**
 * Every agent must set up TOTP; `email` does so at login and reads the recovery codes shown
 * once after it. The agent (signed in), the TOTP secret and the codes.
 */
export async function totpWithRecoveryCodes(email: string): Promise<{ agent: Agent; secret: string; codes: string[] }> {
  await requireOnly('totp');
  const agent = new Agent();
  expect((await agent.password(email)).location).toBe('/login/setup');
  const secret = shownSecret((await agent.get('/login/setup')).body);
  expect((await agent.post('/login/totp', { code: totp(secret) })).location).toBe('/recovery-codes');
  const codes = recoveryCodesOf((await agent.get('/recovery-codes')).body);
  expect(codes).toHaveLength(10);
  return { agent, secret, codes };
}
