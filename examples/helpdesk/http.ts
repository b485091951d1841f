/**
 * The small part of a web framework the demo needs: sessions in a cookie, a CSRF token per
 * session, form bodies and responses with safe headers. Nothing here knows about twofold.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { PendingLogin } from './twofactor.js';

export interface Flash {
  kind: 'notice' | 'error';
  text: string;
}

export interface Session {
  id: string;
  /** Every form carries it; every POST must send it back. */
  csrf: string;
  lastSeenAt: number;
  /** Set once the agent is fully signed in. */
  accountId?: string;
  /** Password checked, second factor still to do. */
  login?: PendingLogin;
  /** The agent skipped 2FA set-up at this login; it is asked again at the next one. */
  skippedUntil?: Date;
  /**
   * The `setupToken` of the TOTP set-up this session began (at login or in Preferences). Kept
   * here on the server, never in a URL, a form or a cookie the browser can read: a refresh
   * shows the same secret, and only this session can confirm that set-up.
   */
  totpSetupToken?: string;
  /**
   * Recovery codes just generated, for their one display (`/recovery-codes`): kept here on the
   * server, never in a URL, a form or a cookie; gone after the download, a second look at the
   * page, or any other page. `next`: where Continue goes.
   */
  recoveryCodes?: { codes: string[]; shown: boolean; next: string };
  /** What the step-up page (a fresh code in Preferences) leads to once the code is right. */
  stepUpFor?: 'recovery-codes' | 'totp-setup';
  /** A message for the next page shown. */
  flash?: Flash;
}

/**
 * The two pools stored sessions live in. `anonymous`: visitors who have not passed the password
 * (a sign-in form's CSRF token, a message). `authenticated`: a login past its password, or a
 * signed-in agent. A full pool drops its own session seen longest ago, never one of the other
 * pool's: a flood of anonymous visitors cannot push signed-in agents out.
 */
export type SessionPool = 'anonymous' | 'authenticated';

const COOKIE = 'helpdesk_session';
const IDLE_TTL_MS = 8 * 60 * 60_000;
/** Expired sessions are swept at most this often, not at every request. */
const SWEEP_EVERY_MS = 60_000;
/** Per pool: with this many stored, a new session pushes out the pool's one seen longest ago. */
const MAX_SESSIONS_PER_POOL = 10_000;

function token(): string {
  return randomBytes(32).toString('base64url');
}

export interface SessionLimits {
  /** Sessions of visitors who have not passed the password; default 10,000. */
  maxAnonymous?: number;
  /** Logins past the password and signed-in agents; default 10,000. */
  maxAuthenticated?: number;
}

/**
 * Sessions are lazy: a visitor gets a stored session and a cookie only once something needs
 * one (a form's CSRF token, a message for the next page, a login). Reading a page without a
 * form, or a flood of such requests, stores nothing. Memory stays bounded: each pool has a cap.
 */
export class Sessions {
  /** Per pool, oldest visit first: a Map keeps insertion order, and each visit re-inserts its session. */
  readonly #pools: Record<SessionPool, Map<string, Session>> = { anonymous: new Map(), authenticated: new Map() };
  readonly #max: Record<SessionPool, number>;
  #sweptAt = 0;

  constructor(limits: SessionLimits = {}) {
    this.#max = {
      anonymous: limits.maxAnonymous ?? MAX_SESSIONS_PER_POOL,
      authenticated: limits.maxAuthenticated ?? MAX_SESSIONS_PER_POOL,
    };
  }

  /** How many sessions are stored, in both pools. */
  get size(): number {
    return this.#pools.anonymous.size + this.#pools.authenticated.size;
  }

  /** How many sessions one pool holds. */
  sizeOf(pool: SessionPool): number {
    return this.#pools[pool].size;
  }

  /**
   * The request's session; for a visitor without one, a new session that is neither stored nor
   * sent as a cookie until `keep()` is called.
   */
  for(req: IncomingMessage): Session {
    const now = Date.now();
    this.#sweep(now);
    const id = readCookie(req, COOKIE);
    const found = id === undefined ? undefined : this.#find(id);
    if (found === undefined) return fresh();
    const [pool, session] = found;
    pool.delete(session.id);
    if (now - session.lastSeenAt > IDLE_TTL_MS) return fresh();
    session.lastSeenAt = now;
    pool.set(session.id, session); // to the end: seen most recently
    return session;
  }

  /** Stores `session` (as anonymous) and sets its cookie on `res`, unless it is stored already. */
  keep(session: Session, res: ServerResponse): void {
    if (this.#find(session.id)?.[1] === session) return;
    this.#store(session, 'anonymous', res);
  }

  /**
   * Replaces `old` by a fresh, empty session under a new id and CSRF token, stored in `pool`.
   * Called whenever the privilege changes (password checked: `authenticated`; signed in:
   * `authenticated`; signed out: `anonymous`), so a session id or token seen before cannot be
   * used after (session fixation).
   */
  renew(old: Session, res: ServerResponse, pool: SessionPool): Session {
    this.#find(old.id)?.[0].delete(old.id);
    const session = fresh();
    this.#store(session, pool, res);
    return session;
  }

  #find(id: string): [Map<string, Session>, Session] | undefined {
    for (const pool of Object.values(this.#pools)) {
      const session = pool.get(id);
      if (session) return [pool, session];
    }
    return undefined;
  }

  #store(session: Session, name: SessionPool, res: ServerResponse): void {
    const pool = this.#pools[name];
    while (pool.size >= this.#max[name]) pool.delete(pool.keys().next().value!);
    pool.set(session.id, session);
    // Production, over HTTPS: add `Secure` and name the cookie `__Host-...`.
    res.setHeader('Set-Cookie', `${COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax`);
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const pool of Object.values(this.#pools)) {
      for (const [id, s] of pool) if (now - s.lastSeenAt > IDLE_TTL_MS) pool.delete(id);
    }
  }
}

function fresh(): Session {
  return { id: token(), csrf: token(), lastSeenAt: Date.now() };
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Whether `address` (a socket's remote address) is loopback: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (isIPv4(address)) return address.startsWith('127.');
  if (!isIPv6(address)) return false;
  try {
    // The URL parser writes IPv6 in one form: [::1], and [::ffff:7f00:1] for ::ffff:127.0.0.1.
    const canonical = new URL(`http://[${address}]/`).hostname;
    return canonical === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(canonical);
  } catch {
    return false; // e.g. a zone id (fe80::1%eth0), never loopback
  }
}

/**
 * Whether the request comes from a browser on this machine: over loopback, not relayed by a
 * proxy (a proxy on this machine connects over loopback too), and addressed to a loopback name
 * (so a web page that points its own domain at 127.0.0.1, DNS rebinding, cannot read it).
 */
export function fromThisMachine(req: IncomingMessage): boolean {
  if (!isLoopback(req.socket.remoteAddress)) return false;
  if (['forwarded', 'x-forwarded-for', 'x-real-ip'].some((h) => req.headers[h] !== undefined)) return false;
  let host: string;
  try {
    host = new URL(`http://${req.headers.host ?? ''}/`).hostname.replace(/^\[(.*)\]$/, '$1');
  } catch {
    return false;
  }
  return host === 'localhost' || isLoopback(host);
}

/** Whether the form's `csrf` field is the session's token (compared in constant time). */
export function csrfOk(session: Session, form: Record<string, string>): boolean {
  const sent = Buffer.from(form.csrf ?? '');
  const expected = Buffer.from(session.csrf);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/** Reads an `application/x-www-form-urlencoded` body of at most 16 KiB; first value per field. */
export async function readForm(req: IncomingMessage): Promise<Record<string, string> | undefined> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 16 * 1024) return undefined;
    chunks.push(chunk);
  }
  const form: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) form[key] ??= value;
  return form;
}

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Pages show secrets and codes: keep them out of caches and the back-forward history.
  'Cache-Control': 'no-store',
};

export function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A 303 redirect: after a POST, the browser follows it with a GET. */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: location });
  res.end();
}
