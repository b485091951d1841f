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
  /** A message for the next page shown. */
  flash?: Flash;
}

const COOKIE = 'helpdesk_session';
const IDLE_TTL_MS = 8 * 60 * 60_000;
/** Expired sessions are swept at most this often, not at every request. */
const SWEEP_EVERY_MS = 60_000;
/** With this many stored, a new session pushes out the one seen longest ago: memory stays bounded. */
const MAX_SESSIONS = 10_000;

function token(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Sessions are lazy: a visitor gets a stored session and a cookie only once something needs
 * one (a form's CSRF token, a message for the next page, a login). Reading a page without a
 * form, or a flood of such requests, stores nothing.
 */
export class Sessions {
  /** Oldest visit first: a Map keeps insertion order, and each visit re-inserts its session. */
  readonly #byId = new Map<string, Session>();
  readonly #max: number;
  #sweptAt = 0;

  constructor(options: { max?: number } = {}) {
    this.#max = options.max ?? MAX_SESSIONS;
  }

  /** How many sessions are stored. */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * The request's session; for a visitor without one, a new session that is neither stored nor
   * sent as a cookie until `keep()` is called.
   */
  for(req: IncomingMessage): Session {
    const now = Date.now();
    this.#sweep(now);
    const id = readCookie(req, COOKIE);
    const session = id === undefined ? undefined : this.#byId.get(id);
    if (session === undefined || now - session.lastSeenAt > IDLE_TTL_MS) {
      if (session) this.#byId.delete(session.id);
      return fresh();
    }
    session.lastSeenAt = now;
    this.#byId.delete(session.id);
    this.#byId.set(session.id, session);
    return session;
  }

  /** Stores `session` and sets its cookie on `res`, unless it is stored already. */
  keep(session: Session, res: ServerResponse): void {
    if (this.#byId.get(session.id) === session) return;
    while (this.#byId.size >= this.#max) this.#byId.delete(this.#byId.keys().next().value!);
    this.#byId.set(session.id, session);
    // Production, over HTTPS: add `Secure` and name the cookie `__Host-...`.
    res.setHeader('Set-Cookie', `${COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax`);
  }

  /**
   * Replaces `old` by a fresh, empty, stored session under a new id and CSRF token. Called
   * whenever the privilege changes (password checked, signed in, signed out), so a session id
   * or token seen before cannot be used after (session fixation).
   */
  renew(old: Session, res: ServerResponse): Session {
    this.#byId.delete(old.id);
    const session = fresh();
    this.keep(session, res);
    return session;
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_EVERY_MS) return;
    this.#sweptAt = now;
    for (const [id, s] of this.#byId) if (now - s.lastSeenAt > IDLE_TTL_MS) this.#byId.delete(id);
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
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // Pages show secrets and codes: keep them out of caches and the back-forward history.
  'Cache-Control': 'no-store',
};

export function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8'): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** A 303 redirect: after a POST, the browser follows it with a GET. */
export function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: location });
  res.end();
}
