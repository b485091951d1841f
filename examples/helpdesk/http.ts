/**
 * The small part of a web framework the demo needs: sessions in a cookie, a CSRF token per
 * session, form bodies and responses with safe headers. Nothing here knows about twofold.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
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

function token(): string {
  return randomBytes(32).toString('base64url');
}

export class Sessions {
  readonly #byId = new Map<string, Session>();

  /** The request's session, or a new one (with its cookie set on `res`). */
  for(req: IncomingMessage, res: ServerResponse): Session {
    const now = Date.now();
    for (const [id, s] of this.#byId) if (now - s.lastSeenAt > IDLE_TTL_MS) this.#byId.delete(id);
    const id = readCookie(req, COOKIE);
    const session = id === undefined ? undefined : this.#byId.get(id);
    if (session === undefined) return this.#start(res);
    session.lastSeenAt = now;
    return session;
  }

  /**
   * Replaces `old` by a fresh, empty session under a new id and CSRF token. Called whenever
   * the privilege changes (password checked, signed in, signed out), so a session id or token
   * seen before cannot be used after (session fixation).
   */
  renew(old: Session, res: ServerResponse): Session {
    this.#byId.delete(old.id);
    return this.#start(res);
  }

  #start(res: ServerResponse): Session {
    const session: Session = { id: token(), csrf: token(), lastSeenAt: Date.now() };
    this.#byId.set(session.id, session);
    // Production, over HTTPS: add `Secure` and name the cookie `__Host-...`.
    res.setHeader('Set-Cookie', `${COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax`);
    return session;
  }
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
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
