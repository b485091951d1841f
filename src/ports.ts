/**
 * The ports: what the host implements (storage, mailer, clock, cipher) and what the service
 * hands it (email messages, audit events). The core never imports this file; types it shares
 * with the core (`EmailPurpose`, `AgentRecord`) are defined there and only used here.
 * @module
 */
import type { EmailPurpose } from './email/message.js';
import type { Notice } from './email/notice.js';
import type { AgentRecord } from './record/schema.js';

export type { EmailPurpose } from './email/message.js';

/**
 * The version a storage attaches to a record: any value that changes on every successful
 * save and never repeats for the same agent (a counter, a UUID, a database row version).
 * twofold only compares it for equality and passes it back.
 */
export type RecordVersion = string | number;

/** What {@link TwoFactorStorage.load} returns for an agent that has a record. */
export interface StoredRecord {
  record: AgentRecord;
  version: RecordVersion;
}

/**
 * Where twofold keeps one JSON document per agent. The host implements these two methods on
 * its own database; `twofold/memory` has an in-memory one for tests and
 * `twofold/testing` has a conformance kit that every implementation should pass.
 *
 * Semantics (the whole contract):
 * - `load` returns `null` when the agent has no record yet, never an empty record.
 * - `save` is an atomic compare-and-set: it writes `record` only if the stored version still
 *   equals `expected` (`expected === null`: only if no record exists for the agent) and then
 *   gives the record a new version. It resolves `true` when it wrote and `false` when another
 *   writer got there first; it must not throw for a lost race.
 * - Both must hand out and keep copies: the object passed to `save` may be mutated by the
 *   caller afterwards, and the object returned by `load` is the caller's to change.
 * - The record is plain JSON (numbers, strings, booleans, null, arrays, objects); store it
 *   as text or `jsonb`.
 *
 * There is no portable fallback for the atomicity: a read followed by an unconditional write
 * lets two concurrent logins both accept the same code. Use a conditional
 * `UPDATE ... WHERE agent_id = $1 AND version = $2`, `INSERT ... ON CONFLICT DO NOTHING` for
 * the create, a Redis WATCH/MULTI or Lua script, or a DynamoDB conditional write.
 * Any error thrown is reported to the caller as `TwoFactorError` `STORAGE_FAILED`.
 */
export interface TwoFactorStorage {
  /** The agent's record and its version, or `null` when the agent has none. */
  load(agentId: string): Promise<StoredRecord | null>;
  /**
   * Atomically write `record` if the stored version still equals `expected`
   * (`null`: only if no record exists). Returns `false` when another writer won.
   */
  save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean>;
}

/** A source of the current time. `createTwoFactor` uses the system clock unless given one. */
export interface Clock {
  now(): Date;
}

/**
 * One email carrying a one-time code (`kind: 'code'`). `to`, `subject`, `text` and `html` are
 * what to send; `code`, `expiresAt`, `agentId` and `purpose` are there for custom templates and
 * tests. The `html` has every interpolated value escaped.
 */
export interface EmailCodeMessage {
  kind: 'code';
  to: string;
  subject: string;
  text: string;
  html: string;
  code: string;
  expiresAt: Date;
  agentId: string;
  purpose: EmailPurpose;
}

/**
 * One security notice (`kind: 'notice'`): the agent is told that their 2FA changed (see
 * docs/notices.md). `notice` holds the facts for custom templates and tests; it carries no
 * code, secret, token or address. The `html` has every interpolated value escaped.
 */
export interface EmailNoticeMessage {
  kind: 'notice';
  to: string;
  subject: string;
  text: string;
  html: string;
  agentId: string;
  notice: Notice;
}

/**
 * What the service asks a {@link Mailer} to send: a code or a notice, told apart by `kind`.
 * A mailer that only relays `to`, `subject`, `text` and `html` needs no change; one that
 * reads `code` must check `kind === 'code'` first.
 */
export type EmailMessage = EmailCodeMessage | EmailNoticeMessage;

/**
 * Sends email. The host implements it on its mail service; `twofold/memory` has a
 * `MemoryMailer` for tests. Resolve when the message is accepted for delivery; throw (reject)
 * when it is not: for a code the service then returns `delivery-failed` and restores the
 * record; for a notice it reports the error to `onDeliveryError` and the change stands.
 */
export interface Mailer {
  send(message: EmailMessage): Promise<void>;
}

/**
 * Encrypts TOTP secrets before they are stored and decrypts them after loading. `context` is
 * the agent id: bind it to the ciphertext (as additional authenticated data) so that a value
 * copied into another agent's record does not decrypt. `aesGcmSecretCipher` implements it.
 * `decrypt` must throw on anything it did not produce, never return a wrong secret.
 */
export interface SecretCipher {
  encrypt(plain: string, context: string): Promise<string>;
  decrypt(cipher: string, context: string): Promise<string>;
  /**
   * Optional: whether a stored value was sealed with a key other than the current one. The
   * service then re-encrypts it the next time it saves the record (key rotation).
   */
  needsRotation?(cipher: string): boolean;
}

/** What an audit event is about. */
export type TwoFactorEventType =
  | 'grace.started'
  | 'setup.skipped'
  | 'totp.setup.started'
  | 'totp.setup.refused'
  | 'totp.setup.replaced'
  | 'totp.setup.confirmed'
  | 'totp.verified'
  | 'totp.failed'
  | 'email.code.sent'
  | 'email.code.refused'
  | 'email.code.undelivered'
  | 'email.setup.confirmed'
  | 'email.verified'
  | 'email.failed'
  | 'throttle.locked'
  | 'throttle.suspended'
  | 'method.superseded'
  | 'admin.totp.provisioned'
  | 'admin.enforced.changed'
  | 'admin.removed'
  | 'admin.unlocked'
  | 'recovery.generated'
  | 'recovery.used'
  | 'recovery.failed';

/**
 * An audit event, emitted after the change it describes is saved (or, for a refused attempt,
 * after the refusal is decided). It never carries a secret, a code or an email address.
 */
export interface TwoFactorEvent {
  type: TwoFactorEventType;
  agentId: string;
  /** The method involved, when there is one. */
  method?: 'totp' | 'email' | 'recovery';
  /** When it happened, by the service's clock. */
  at: Date;
  /** `success` for a completed change or verification, `failure` for a wrong or refused one. */
  outcome: 'success' | 'failure';
  /** Why it failed (`invalid-code`, `replayed`, `locked`, ...), or what changed. */
  reason?: string;
  /** Set on `throttle.locked` and on refusals while locked. */
  lockedUntil?: Date;
  /** On `admin.*` events: who acted (`by` of the call, the admin's id, never an address). */
  actor?: string;
  /** On `admin.*` events: why, as the admin gave it (`reason` of the call). */
  actorReason?: string;
  /** On `recovery.generated` and `recovery.used`: how many recovery codes are left. */
  remaining?: number;
}
