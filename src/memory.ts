/**
 * `twofold/memory`: in-memory implementations of the ports, for tests, examples and demos.
 * Not for production: everything is lost when the process exits, and nothing is shared
 * between processes.
 * @module twofold/memory
 */
import type { AgentRecord } from './record/schema.js';
import type { Clock, EmailCodeMessage, EmailMessage, EmailNoticeMessage, Mailer, RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';
import { _describe, _instantMs, _integer } from './shared/validate.js';
import { sameEmailAddress } from './email/address.js';
import { NOTICE_TYPES } from './email/notice.js';

export type { Clock, RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';
export type { EmailCodeMessage, EmailMessage, EmailNoticeMessage, EmailPurpose, Mailer } from './ports.js';
export type { Notice, NoticeType } from './email/notice.js';
export type { AgentRecord } from './record/schema.js';

interface _Slot {
  json: string;
  version: number;
}

function _agentId(agentId: unknown): string {
  if (typeof agentId !== 'string' || agentId.length === 0) {
    throw new TypeError(`"agentId" expected a non-empty string, got ${_describe(agentId)}`);
  }
  return agentId;
}

/**
 * A {@link TwoFactorStorage} on a `Map` of JSON strings. It is a real compare-and-set: the
 * version check and the write happen in one synchronous step after an `await`, so concurrent
 * callers interleave exactly as they would against a database. It stores JSON text, so
 * callers always get copies, never live objects.
 *
 * @example
 * ```ts
 * const storage = new MemoryStorage();
 * const twoFactor = createTwoFactor({ storage, issuer: 'Acme Help', settings });
 * ```
 */
export class MemoryStorage implements TwoFactorStorage {
  readonly #slots = new Map<string, _Slot>();
  #nextVersion = 1;

  /** The agent's record and its version, or `null` when the agent has none. */
  async load(agentId: string): Promise<StoredRecord | null> {
    const id = _agentId(agentId);
    await Promise.resolve(); // always asynchronous, like a real database
    const slot = this.#slots.get(id);
    if (slot === undefined) return null;
    return { record: JSON.parse(slot.json) as AgentRecord, version: slot.version };
  }

  /** Writes `record` if the stored version still equals `expected` (`null`: if absent). */
  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    const id = _agentId(agentId);
    // Serialize before yielding so later mutation of `record` by the caller cannot leak in.
    const json = JSON.stringify(record);
    await Promise.resolve();
    const slot = this.#slots.get(id);
    const current = slot === undefined ? null : slot.version;
    if (current !== expected) return false;
    // Versions are global and never reused, so an old version can't match again (no ABA).
    this.#slots.set(id, { json, version: this.#nextVersion++ });
    return true;
  }

  /** The stored JSON text for an agent, or `undefined` (for tests that inspect what is at rest). */
  raw(agentId: string): string | undefined {
    return this.#slots.get(_agentId(agentId))?.json;
  }

  /** The ids of all agents with a record. */
  agentIds(): string[] {
    return [...this.#slots.keys()];
  }

  /** Forgets every record. */
  clear(): void {
    this.#slots.clear();
  }
}

/** A clock that moves only when told to; `now()` returns a fresh `Date` each call. */
export interface ManualClock extends Clock {
  now(): Date;
  /** Moves the clock forward (or back, with a negative value) by `ms` milliseconds. */
  advance(ms: number): void;
  /** Sets the clock to `date` (a `Date` or epoch milliseconds). */
  set(date: Date | number): void;
}

/**
 * A manual clock for tests: time stands still until `advance` or `set` moves it.
 *
 * @param start The initial time, a `Date` or epoch milliseconds (default: the Unix epoch).
 * @example
 * ```ts
 * const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
 * clock.advance(30_000); // the next TOTP step
 * ```
 */
export function manualClock(start: Date | number = 0): ManualClock {
  let nowMs = _instantMs('start', start);
  return {
    now: () => new Date(nowMs),
    advance(ms: number): void {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || !Number.isInteger(ms)) {
        throw new TypeError(`"ms" expected an integer number of milliseconds, got ${_describe(ms)}`);
      }
      nowMs = _instantMs('time', nowMs + ms);
    },
    set(date: Date | number): void {
      nowMs = _instantMs('date', date);
    },
  };
}

/**
 * A {@link Mailer} that keeps every message instead of sending it, and can be told to fail.
 * It stores copies: changing a message after `send`, or a message read from `sent`, changes
 * nothing recorded. `send` is always asynchronous, like a real mail service.
 *
 * @example
 * ```ts
 * const mailer = new MemoryMailer();
 * const twoFactor = createTwoFactor({ storage, issuer: 'Acme Help', settings, mailer });
 * await twoFactor.sendEmailCode('agent-1', { to: 'ann@acme.test' });
 * await twoFactor.verifyEmailCode('agent-1', mailer.lastCode('ann@acme.test')!);
 *
 * mailer.failNext(); // the next send rejects: sendEmailCode returns 'delivery-failed'
 * mailer.notices('ann@acme.test'); // the security notices to that address (see docs/notices.md)
 * ```
 */
export class MemoryMailer implements Mailer {
  readonly #sent: EmailMessage[] = [];
  #failures = 0;
  #error: Error | undefined;

  /** Copies of the messages sent so far, oldest first (a new array on every read). */
  get sent(): EmailMessage[] {
    return this.#sent.map(_copyMessage);
  }

  /**
   * Records a copy of `message`, or, when a failure is armed, rejects with
   * `Error('MemoryMailer: simulated delivery failure')` (or the error given to `failNext`)
   * and records nothing. Rejects with a TypeError for a message of the wrong shape.
   */
  async send(message: EmailMessage): Promise<void> {
    // Decide and copy before yielding: a caller mutating `message` later cannot leak in, and
    // concurrent sends consume armed failures in call order.
    const copy = _checkedMessage(message);
    const fail = this.#failures > 0;
    if (fail) this.#failures--;
    const error = this.#error;
    await Promise.resolve();
    if (fail) throw error ?? new Error('MemoryMailer: simulated delivery failure');
    this.#sent.push(copy);
  }

  /**
   * Makes the next `count` sends fail (replacing any failures still armed; `0` disarms).
   *
   * @param count - A non-negative integer; default 1.
   * @param error - What those sends reject with; default a new
   *   `Error('MemoryMailer: simulated delivery failure')` each time.
   * @throws TypeError / RangeError for a bad `count`; TypeError when `error` is not an Error.
   */
  failNext(count = 1, error?: Error): void {
    const n = _integer('count', count, 0, Number.MAX_SAFE_INTEGER);
    if (error !== undefined && !(error instanceof Error)) {
      throw new TypeError(`"error" expected an Error, got ${_describe(error)}`);
    }
    this.#failures = n;
    this.#error = error;
  }

  /** The code of the newest code message to `to` (ASCII case ignored; notices skipped), or `undefined`. */
  lastCode(to: string): string | undefined {
    const address = _address(to);
    for (let i = this.#sent.length - 1; i >= 0; i--) {
      const message = this.#sent[i]!;
      if (message.kind === 'code' && sameEmailAddress(message.to, address)) return message.code;
    }
    return undefined;
  }

  /** Copies of the security notices sent to `to` (ASCII case ignored), oldest first. */
  notices(to: string): EmailNoticeMessage[] {
    const address = _address(to);
    return this.#sent.filter((m): m is EmailNoticeMessage => m.kind === 'notice' && sameEmailAddress(m.to, address)).map(_copyNotice);
  }

  /** Copies of the messages sent to `to` (ASCII case ignored), oldest first. */
  messagesTo(to: string): EmailMessage[] {
    const address = _address(to);
    return this.#sent.filter((m) => sameEmailAddress(m.to, address)).map(_copyMessage);
  }

  /** Forgets every message and disarms any failures: back to a new mailer. */
  clear(): void {
    this.#sent.length = 0;
    this.#failures = 0;
    this.#error = undefined;
  }
}

function _address(to: unknown): string {
  if (typeof to !== 'string') throw new TypeError(`"to" expected a string, got ${_describe(to)}`);
  return to;
}

/** A deep copy of the {@link EmailMessage} fields of its kind (any other property is left behind). */
function _copyMessage<M extends EmailMessage>(m: M): M;
function _copyMessage(m: EmailMessage): EmailMessage {
  return m.kind === 'code' ? _copyCode(m) : _copyNotice(m);
}

function _copyCode(m: EmailCodeMessage): EmailCodeMessage {
  const { kind, to, subject, text, html, code, agentId, purpose } = m;
  return { kind, to, subject, text, html, code, expiresAt: new Date(m.expiresAt.getTime()), agentId, purpose };
}

function _copyNotice(m: EmailNoticeMessage): EmailNoticeMessage {
  const { kind, to, subject, text, html, agentId, notice: n } = m;
  const notice = { type: n.type, ...(n.method === undefined ? {} : { method: n.method }), byAdmin: n.byAdmin, at: new Date(n.at.getTime()) };
  return { kind, to, subject, text, html, agentId, notice };
}

/** A copy of the message's own fields, after checking their types for its `kind`. */
function _checkedMessage(message: unknown): EmailMessage {
  if (message === null || typeof message !== 'object' || Array.isArray(message)) {
    throw new TypeError(`"message" expected an EmailMessage, got ${_describe(message)}`);
  }
  const m = message as Record<string, unknown>;
  if (m.kind !== 'code' && m.kind !== 'notice') throw new TypeError(`"message.kind" expected 'code' or 'notice', got ${_describe(m.kind)}`);
  const strings = m.kind === 'code' ? (['to', 'subject', 'text', 'html', 'code', 'agentId'] as const) : (['to', 'subject', 'text', 'html', 'agentId'] as const);
  for (const key of strings) {
    if (typeof m[key] !== 'string') throw new TypeError(`"message.${key}" expected a string, got ${_describe(m[key])}`);
  }
  if (m.kind === 'notice') return _copyNotice({ ...(m as unknown as EmailNoticeMessage), notice: _checkedNotice(m.notice) });
  _validDate('message.expiresAt', m.expiresAt);
  if (m.purpose !== 'setup' && m.purpose !== 'login') {
    throw new TypeError(`"message.purpose" expected 'setup' or 'login', got ${_describe(m.purpose)}`);
  }
  return _copyCode(m as unknown as EmailCodeMessage);
}

function _checkedNotice(notice: unknown): EmailNoticeMessage['notice'] {
  if (notice === null || typeof notice !== 'object') throw new TypeError(`"message.notice" expected a Notice, got ${_describe(notice)}`);
  const n = notice as Record<string, unknown>;
  if (!(NOTICE_TYPES as readonly unknown[]).includes(n.type)) throw new TypeError(`"message.notice.type" expected a NoticeType, got ${_describe(n.type)}`);
  if (n.method !== undefined && n.method !== 'totp' && n.method !== 'email' && n.method !== 'recovery') {
    throw new TypeError(`"message.notice.method" expected 'totp', 'email', 'recovery' or undefined, got ${_describe(n.method)}`);
  }
  if (typeof n.byAdmin !== 'boolean') throw new TypeError(`"message.notice.byAdmin" expected a boolean, got ${_describe(n.byAdmin)}`);
  _validDate('message.notice.at', n.at);
  return n as unknown as EmailNoticeMessage['notice'];
}

function _validDate(name: string, value: unknown): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`"${name}" expected a valid Date, got ${_describe(value)}`);
}
