import { DEFAULTS } from './defaults.js';
import { TwoFactorError } from './errors.js';
import { _describe, _integer, _oneOf, _options } from './_validate.js';
import { formatSecret } from './otp/base32.js';
import { generateSecret, type RandomSource } from './otp/secret.js';
import { verifyTotp as verifyTotpCode, type TotpWindow } from './otp/totp.js';
import { buildKeyUri } from './otp/uri.js';
import type { HashAlgorithm } from './otp/hotp.js';
import { evaluatePolicy } from './policy/evaluate.js';
import { _checkSettings, type _CheckedSettings } from './policy/settings.js';
import type { Method, PolicyDecision, PolicySettings } from './policy/types.js';
import { isEmailAddress, sameEmailAddress } from './email/address.js';
import { generateEmailCode } from './email/code.js';
import { checkEmailCode, emailPepper, hashEmailCode } from './email/hash.js';
import { renderDefaultEmail, type RenderEmail } from './email/message.js';
import type { Clock, EmailPurpose, Mailer, RecordVersion, SecretCipher, TwoFactorEvent, TwoFactorEventType, TwoFactorStorage } from './ports.js';
import { withRemoved } from './record/admin.js';
import {
  emailSendBlock,
  withEmailChallenge,
  withEmailCodeAccepted,
  withEmailCodeFailed,
  withEmailSendUndone,
  type EmailLimits,
} from './record/email.js';
import { checkRecord } from './record/parse.js';
import { emptyRecord, enrolledMethods, type AgentRecord, type EmailChallengeRecord, type TotpKeyRecord, type TotpSetupRecord } from './record/schema.js';
import { findSetup, newestLiveSetup, withSetupAccount, withSetupBegun } from './record/setups.js';
import {
  lockedUntil,
  suspendedSince,
  throttleRefusal,
  withFailure,
  withThrottleReset,
  type ThrottleConfig,
  type ThrottleRefusal,
} from './record/throttle.js';
import { withTotpAccepted, withTotpConfirmed, withTotpProvisioned } from './record/totp.js';
import { hashSetupToken, newSetupToken, sameDigest } from './setup-token.js';
import { _webCryptoRandom } from './random.js';

/** Where the org settings come from: a value, or a function read at every call. */
export type SettingsSource = PolicySettings | (() => PolicySettings | Promise<PolicySettings>);

/** TOTP parameters for new enrollments (existing ones keep the parameters they were made with). */
export interface ServiceTotpOptions {
  algorithm?: HashAlgorithm;
  digits?: number;
  periodSeconds?: number;
  /** Steps accepted around the (drift-corrected) current step; default 1 each way. */
  window?: TotpWindow;
  secretBytes?: number;
  /** How long a pending set-up can be confirmed, in ms (1 s to 1 day); default 15 minutes. */
  setupTtlMs?: number;
}

/** Email code parameters (defaults in `DEFAULTS.email`). */
export interface ServiceEmailOptions {
  /** Code length, 6..10; default 6. */
  digits?: number;
  /** How long a code is valid, in ms; default 10 minutes. */
  ttlMs?: number;
  /** Wrong entries per code before it is burned; default 5. */
  maxAttempts?: number;
  /** Least time between two sends to an agent, in ms; default 60 s. */
  resendCooldownMs?: number;
  /** Most sends to an agent within any hour; default 5. */
  maxSendsPerHour?: number;
  /**
   * A secret kept outside the database (at least 16 bytes; 32 random bytes recommended). With
   * it, codes are stored as HMAC-SHA-256 under the pepper, so a stolen database does not give
   * the outstanding codes away; without it, as salted SHA-256, which an attacker holding the
   * record reverses by trying all 10^6 codes.
   */
  pepper?: string | Uint8Array;
  /** Replaces the default email template. Escape whatever you put into `html`. */
  renderEmail?: RenderEmail;
}

/** Options of {@link createTwoFactor}. */
export interface TwoFactorOptions {
  /** Where each agent's record lives (see `TwoFactorStorage`). */
  storage: TwoFactorStorage;
  /** The issuer shown in authenticator apps, e.g. your product name. No `:`. */
  issuer: string;
  /** The org settings, read at every call so an admin's change applies to the next login. */
  settings: SettingsSource;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: `crypto.getRandomValues`. */
  random?: RandomSource;
  /** Receives an audit event for every change and every failed verification. */
  onEvent?: (event: TwoFactorEvent) => void | Promise<void>;
  /**
   * Called when `onEvent` throws or rejects. The operation's result stands either way.
   * Default: `console.error('twofold: onEvent handler failed', error)`.
   */
  onEventError?: (error: unknown, event: TwoFactorEvent) => void;
  totp?: ServiceTotpOptions;
  /** Sends email codes; required once Email 2FA is switched on. */
  mailer?: Mailer;
  /**
   * Called with the error when `mailer.send` throws; `sendEmailCode` then returns
   * `delivery-failed`. Default: `console.error('twofold: mailer.send failed; ...', error)`.
   */
  onDeliveryError?: (error: unknown, context: { agentId: string }) => void;
  email?: ServiceEmailOptions;
  /**
   * Encrypts TOTP secrets at rest (e.g. `aesGcmSecretCipher`), with the agent id as context.
   * A secret is decrypted only by the calls that use it; a plain one (stored before the cipher
   * was configured) is encrypted at the record's next save, and one sealed with an older key
   * (the cipher's `needsRotation`) is re-encrypted with the current key at its next save.
   */
  secretCipher?: SecretCipher;
  throttle?: Partial<ThrottleConfig>;
  /** Compare-and-set attempts per operation before `STORAGE_CONFLICT`; default 8. */
  storageAttempts?: number;
}

/** A refusal that can end: `retryAt` says when trying again can help. */
export interface LockedResult {
  ok: false;
  reason: 'locked';
  retryAt: Date;
}

/**
 * The hard limit was reached (`throttle.maxConsecutiveFailures` consecutive failures, across
 * methods): every check is refused, without looking at its input, until `admin.unlock`.
 * It means someone is guessing, most likely with the agent's password.
 */
export interface SuspendedResult {
  ok: false;
  reason: 'suspended';
}

/** Why a TOTP code was not accepted. `replayed` should be shown to people as a wrong code. */
export type TotpFailureReason = 'invalid-code' | 'malformed' | 'replayed' | 'not-enrolled' | 'method-disabled';

/**
 * The outcome of {@link TwoFactor.verifyTotp} and {@link TwoFactor.confirmTotpSetup}. Only a
 * confirmation can answer `no-pending-setup` (unknown set-up token), `setup-expired`,
 * `setup-replaced` (pushed out by newer set-ups), `already-enrolled` and
 * `other-method-active` (another method is active, and the set-up was not begun from a
 * session that passed 2FA).
 */
export type TotpCheckResult =
  | { ok: true; method: 'totp' }
  | LockedResult
  | SuspendedResult
  | { ok: false; reason: 'invalid-code'; retryAt?: Date }
  | {
      ok: false;
      reason:
        | Exclude<TotpFailureReason, 'invalid-code'>
        | 'no-pending-setup'
        | 'setup-expired'
        | 'setup-replaced'
        | 'already-enrolled'
        | 'other-method-active';
    };

/** A TOTP secret to hand to an agent: for a QR code (`uri`) or typing by hand (`formattedSecret`). */
export interface TotpKeyResult {
  ok: true;
  /** Base32, no padding. */
  secret: string;
  /** The secret in groups of 4, for typing into an app. */
  formattedSecret: string;
  /** The otpauth:// URI; render it with `twofold/qr`. */
  uri: string;
}

/**
 * A pending set-up begun by {@link TwoFactor.beginTotpSetup}. Keep `setupToken` in the
 * server-side session that began it (never in a URL or a cookie the browser can read): a
 * refresh passes it back to see the same secret, and the confirmation needs it.
 */
export interface TotpSetupResult extends TotpKeyResult {
  /** Opaque, 256 random bits; only its hash is stored. */
  setupToken: string;
  /** The first instant at which the set-up can no longer be confirmed (a refresh does not extend it). */
  expiresAt: Date;
}

/** The outcome of {@link TwoFactor.sendEmailCode}. */
export type SendEmailCodeResult =
  | { ok: true; purpose: EmailPurpose; expiresAt: Date }
  | { ok: false; reason: 'locked' | 'cooldown' | 'too-many-sends'; retryAt: Date }
  | SuspendedResult
  | { ok: false; reason: 'method-disabled' | 'invalid-address' | 'address-mismatch' | 'delivery-failed' | 'other-method-active' };

/**
 * The outcome of {@link TwoFactor.verifyEmailCode}. `purpose: 'setup'` means email was just
 * enrolled. `other-method-active`: a set-up code asked for while TOTP was switched off, and
 * TOTP was switched back on before it was entered (ask for a new code from a verified session).
 */
export type EmailCheckResult =
  | { ok: true; method: 'email'; purpose: EmailPurpose }
  | LockedResult
  | SuspendedResult
  | { ok: false; reason: 'invalid-code'; retryAt?: Date }
  | { ok: false; reason: 'too-many-attempts'; retryAt?: Date }
  | { ok: false; reason: 'no-challenge' | 'expired' | 'malformed' | 'method-disabled' | 'other-method-active' };

/** The outcome of {@link TwoFactor.skipSetup}. */
export type SkipSetupResult = { ok: true; until: Date } | { ok: false; reason: 'not-skippable' };

/** The outcome of `admin.provisionTotp`: the factor is active at once, so there is no set-up token. */
export type ProvisionTotpResult = TotpKeyResult | { ok: false; reason: 'already-enrolled' | 'method-disabled' };

/**
 * The outcome of {@link TwoFactor.beginTotpSetup}. `other-method-active`: the agent has email
 * enrolled (and switched on), and the call did not say the session passed 2FA (`sessionVerified`).
 */
export type BeginTotpSetupResult =
  | TotpSetupResult
  | SuspendedResult
  | { ok: false; reason: 'already-enrolled' | 'method-disabled' | 'other-method-active' };

/** The outcome of `admin.unlock`. */
export interface UnlockResult {
  ok: true;
  /** A lock was running. */
  wasLocked: boolean;
  /** The agent was suspended (the hard limit). */
  wasSuspended: boolean;
}

/** The agent's 2FA state, without any secret. */
export interface TwoFactorStatus {
  enrolled: Method[];
  totp: null | {
    status: 'pending' | 'active';
    provisionedBy: 'agent' | 'admin';
    createdAt: Date;
    activatedAt: Date | null;
    confirmedAt: Date | null;
    lastUsedAt: Date | null;
  };
  email: null | { address: string; enrolledAt: Date; lastUsedAt: Date | null };
  /** Pending TOTP set-ups that can still be confirmed, oldest first (never their secrets). */
  totpSetups: Array<{ createdAt: Date; expiresAt: Date }>;
  /** The outstanding email code, if any (never the code itself). */
  emailCode: null | { purpose: EmailPurpose; expiresAt: Date; attemptsLeft: number };
  enforced: boolean;
  lockedUntil: Date | null;
  /** Since when every check is refused (the hard limit), until an admin unlocks. */
  suspendedAt: Date | null;
  failures: number;
  graceStartedAt: Date | null;
  lastUsedAt: Date | null;
}

/** The service returned by {@link createTwoFactor}. Every method takes the host's agent id. */
export interface TwoFactor {
  /**
   * Evaluates the policy for a login (and starts a `{ days }` grace the first time). A
   * `next: 'verify'` decision says `suspended: true` when every check would be refused.
   */
  policy(agentId: string): Promise<PolicyDecision>;
  /** Lets the agent skip set-up at this login, while the grace period runs. */
  skipSetup(agentId: string): Promise<SkipSetupResult>;
  /**
   * Starts a TOTP set-up of the agent's own, or, given the `setupToken` of one still pending
   * (a page refresh), shows that one again: same secret, token and `expiresAt`. Without a
   * token, or with any other, a fresh set-up with a fresh secret is added (up to 3 are kept,
   * the oldest dropped). Keep the token in the server-side session. While email is enrolled
   * and switched on, pass `sessionVerified: true` only from a session that passed 2FA: without
   * it the call is refused (`other-method-active`), so a password alone cannot add a way in.
   */
  beginTotpSetup(
    agentId: string,
    options: { account: string; setupToken?: string; sessionVerified?: boolean },
  ): Promise<BeginTotpSetupResult>;
  /**
   * Activates the pending set-up that `setupToken` names with a code from the app; every other
   * pending set-up is discarded. An unknown, expired or replaced token is refused without
   * looking at the code.
   * @throws TypeError unless `setupToken` is a non-empty string.
   */
  confirmTotpSetup(agentId: string, code: string, options: { setupToken: string }): Promise<TotpCheckResult>;
  /** Checks a TOTP code at login. */
  verifyTotp(agentId: string, code: string): Promise<TotpCheckResult>;
  /**
   * Mails a one-time code: to set email up (`to` becomes the agent's address once the code is
   * verified), or to log in (to the enrolled address; `to` may be omitted, and if given must
   * be that address). While TOTP is active, a set-up code needs `sessionVerified: true`, passed
   * only from a session that passed 2FA (else `other-method-active`).
   */
  sendEmailCode(agentId: string, options: { to?: string; sessionVerified?: boolean }): Promise<SendEmailCodeResult>;
  /** Checks an emailed code: enrolls the address on set-up, or completes a login. */
  verifyEmailCode(agentId: string, code: string): Promise<EmailCheckResult>;
  /** The agent's 2FA state, without secrets. */
  status(agentId: string): Promise<TwoFactorStatus>;
  admin: {
    /** Sets TOTP up for the agent; it is active at once. Hand the result to the agent. */
    provisionTotp(
      agentId: string,
      options: { account: string },
    ): Promise<ProvisionTotpResult>;
    /** The per-agent "Enforce 2FA" toggle. */
    setEnforced(agentId: string, on: boolean): Promise<{ ok: true; enforced: boolean }>;
    /** Removes 2FA (one method, or all), with pending set-up, throttle and grace start. */
    remove(agentId: string, options?: { method?: Method }): Promise<{ ok: true; removed: Method[] }>;
    /**
     * Clears the failure count, any lock and a suspension. A suspension means someone is
     * guessing with the agent's password: unlock after a password reset, not on request alone.
     */
    unlock(agentId: string): Promise<UnlockResult>;
  };
}

type _EventDraft = Omit<TwoFactorEvent, 'agentId' | 'at'>;

/** What one attempt of an operation decided: a result, maybe a new record, maybe events. */
interface _Step<R> {
  result: R;
  /** The record to save; omit when nothing changed (no write happens). */
  record?: AgentRecord;
  events?: _EventDraft[];
}

interface _Context {
  agentId: string;
  record: AgentRecord;
  /** Whether the record exists in storage (false: `record` is a fresh empty one). */
  exists: boolean;
  now: number;
  settings: _CheckedSettings;
}

const MAX_AGENT_ID_LENGTH = 256;
/** An unpaired UTF-16 surrogate: no UTF-8 encoding, so not a usable id (or cipher context). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An optional boolean option; absent means false. */
function _flag(name: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`"${name}" expected a boolean, got ${_describe(value)}`);
  return value === true;
}

function _agentId(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_AGENT_ID_LENGTH || LONE_SURROGATE.test(value)) {
    throw new TypeError(
      `"agentId" expected a non-blank, well-formed string of at most ${MAX_AGENT_ID_LENGTH} characters, got ${_describe(value)}`,
    );
  }
  return value;
}

function _account(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new TypeError(`"account" expected a non-empty string, got ${_describe(value)}`);
  }
  return value;
}

function _date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/**
 * Creates the two-factor service: the only part of twofold that loads and saves records,
 * reads the clock and emits events. Each call loads the agent's record, decides in pure code,
 * and saves with a compare-and-set, retrying on conflict, so replay protection and attempt
 * limits hold across concurrent requests and processes.
 *
 * @throws TypeError / RangeError for malformed options.
 * @example
 * ```ts
 * const twoFactor = createTwoFactor({
 *   storage: new MemoryStorage(),
 *   issuer: 'Acme Help',
 *   settings: () => loadOrgSettings(),
 * });
 * const decision = await twoFactor.policy(agent.id);
 * if (decision.next === 'verify') {
 *   const result = await twoFactor.verifyTotp(agent.id, form.code);
 *   if (!result.ok) return showError(result.reason === 'locked' ? 'Try again later' : 'Wrong code');
 * }
 * ```
 */
export function createTwoFactor(options: TwoFactorOptions): TwoFactor {
  const o = _options('options', options);
  const storage = o.storage as TwoFactorStorage;
  if (storage === null || typeof storage !== 'object' || typeof storage.load !== 'function' || typeof storage.save !== 'function') {
    throw new TypeError('"storage" expected an object with load() and save() methods');
  }
  if (typeof o.issuer !== 'string' || o.issuer.trim().length === 0 || o.issuer.includes(':')) {
    throw new TypeError(`"issuer" expected a non-empty string without ':', got ${_describe(o.issuer)}`);
  }
  const issuer = o.issuer;
  // Refuse here, not at the first set-up, an issuer that no key URI can carry.
  try {
    buildKeyUri({ issuer, account: 'a', secret: 'AAAAAAAAAAAAAAAAAAAAAAAAAA' });
  } catch (error) {
    throw new TypeError(`"issuer" cannot go into a key URI: ${(error as Error).message}`);
  }
  const settingsSource = o.settings as SettingsSource;
  if (settingsSource === null || (typeof settingsSource !== 'object' && typeof settingsSource !== 'function')) {
    throw new TypeError(`"settings" expected settings or a function returning them, got ${_describe(settingsSource)}`);
  }
  if (typeof settingsSource === 'object') _readSettings(settingsSource); // fail fast on a bad value
  const clock = o.clock === undefined ? { now: () => new Date() } : (o.clock as Clock);
  if (clock === null || typeof clock !== 'object' || typeof clock.now !== 'function') {
    throw new TypeError('"clock" expected an object with a now() method');
  }
  const random = o.random as RandomSource | undefined;
  if (random !== undefined && typeof random !== 'function') throw new TypeError('"random" expected a function');
  const onEvent = o.onEvent as TwoFactorOptions['onEvent'];
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('"onEvent" expected a function');
  if (o.onEventError !== undefined && typeof o.onEventError !== 'function') throw new TypeError('"onEventError" expected a function');
  const onEventError =
    (o.onEventError as TwoFactorOptions['onEventError']) ??
    ((error: unknown) => console.error('twofold: onEvent handler failed', error));

  const t = _options('totp', o.totp);
  const totpAlgorithm = t.algorithm === undefined ? DEFAULTS.totp.algorithm : _oneOf('totp.algorithm', t.algorithm, ['SHA1', 'SHA256', 'SHA512'] as const);
  const totpDigits = t.digits === undefined ? DEFAULTS.totp.digits : _integer('totp.digits', t.digits, 6, 8);
  const totpPeriod = t.periodSeconds === undefined ? DEFAULTS.totp.periodSeconds : _integer('totp.periodSeconds', t.periodSeconds, 1, 86_400);
  const secretBytes = t.secretBytes === undefined ? DEFAULTS.totp.secretBytes : _integer('totp.secretBytes', t.secretBytes, 16, 64);
  const window = _window(t.window);
  const setupTtlMs = t.setupTtlMs === undefined ? DEFAULTS.totp.setupTtlMs : _integer('totp.setupTtlMs', t.setupTtlMs, 1000, 86_400_000);

  const th = _options('throttle', o.throttle);
  const freeFailures = th.freeFailures === undefined ? DEFAULTS.throttle.freeFailures : _integer('throttle.freeFailures', th.freeFailures, 1, 100);
  const throttle: ThrottleConfig = {
    freeFailures,
    baseLockMs: th.baseLockMs === undefined ? DEFAULTS.throttle.baseLockMs : _integer('throttle.baseLockMs', th.baseLockMs, 1, 86_400_000),
    maxLockMs: th.maxLockMs === undefined ? DEFAULTS.throttle.maxLockMs : _integer('throttle.maxLockMs', th.maxLockMs, 1, 86_400_000 * 30),
    // NIST SP 800-63B §5.2.2: at most 100 consecutive failed attempts on one account; up to
    // 1000 is allowed for hosts that accept being outside it, never none.
    maxConsecutiveFailures: _hardLimit(th.maxConsecutiveFailures, freeFailures),
  };
  if (throttle.maxLockMs < throttle.baseLockMs) {
    throw new RangeError(`"throttle.maxLockMs" expected at least baseLockMs (${throttle.baseLockMs}), got ${throttle.maxLockMs}`);
  }
  const mailer = o.mailer as Mailer | undefined;
  if (mailer !== undefined && (mailer === null || typeof mailer !== 'object' || typeof mailer.send !== 'function')) {
    throw new TypeError('"mailer" expected an object with a send() method');
  }
  if (o.onDeliveryError !== undefined && typeof o.onDeliveryError !== 'function') throw new TypeError('"onDeliveryError" expected a function');
  const onDeliveryError =
    (o.onDeliveryError as TwoFactorOptions['onDeliveryError']) ??
    ((error: unknown) => console.error('twofold: mailer.send failed; the code was not sent', error));
  const em = _options('email', o.email);
  const D = DEFAULTS.email;
  const emailDigits = em.digits === undefined ? D.digits : _integer('email.digits', em.digits, 6, 10);
  const emailLimits: EmailLimits = {
    ttlMs: em.ttlMs === undefined ? D.ttlMs : _integer('email.ttlMs', em.ttlMs, 1000, 86_400_000),
    maxAttempts: em.maxAttempts === undefined ? D.maxAttempts : _integer('email.maxAttempts', em.maxAttempts, 1, 100),
    resendCooldownMs: em.resendCooldownMs === undefined ? D.resendCooldownMs : _integer('email.resendCooldownMs', em.resendCooldownMs, 0, 86_400_000),
    maxSendsPerHour: em.maxSendsPerHour === undefined ? D.maxSendsPerHour : _integer('email.maxSendsPerHour', em.maxSendsPerHour, 1, 1000),
  };
  const pepper = em.pepper === undefined ? undefined : emailPepper(em.pepper);
  const renderEmail = em.renderEmail === undefined ? renderDefaultEmail : (em.renderEmail as RenderEmail);
  if (typeof renderEmail !== 'function') throw new TypeError(`"email.renderEmail" expected a function, got ${_describe(renderEmail)}`);
  const cipher = o.secretCipher as SecretCipher | undefined;
  if (cipher !== undefined && (cipher === null || typeof cipher !== 'object' || typeof cipher.encrypt !== 'function' || typeof cipher.decrypt !== 'function')) {
    throw new TypeError('"secretCipher" expected an object with encrypt() and decrypt() methods');
  }

  const attempts = o.storageAttempts === undefined ? DEFAULTS.storage.maxAttempts : _integer('storageAttempts', o.storageAttempts, 1, 100);
  const randomSource = random ?? _webCryptoRandom();

  // ---- plumbing -------------------------------------------------------------------------------

  async function settingsNow(): Promise<_CheckedSettings> {
    const value = typeof settingsSource === 'function' ? await settingsSource() : settingsSource;
    return _readSettings(value);
  }

  function nowMs(): number {
    const d = clock.now();
    const ms = d instanceof Date ? d.getTime() : Number.NaN;
    if (!Number.isSafeInteger(ms) || ms < 0) throw new TypeError('"clock.now()" expected a valid Date');
    return ms;
  }

  async function load(agentId: string): Promise<{ record: AgentRecord; version: RecordVersion } | null> {
    let loaded: unknown;
    try {
      loaded = await storage.load(agentId);
    } catch (cause) {
      throw new TwoFactorError('STORAGE_FAILED', 'storage.load failed', { cause });
    }
    if (loaded === null) return null;
    const version = (loaded as { version?: unknown } | undefined)?.version;
    if (loaded === undefined || typeof loaded !== 'object' || !('record' in loaded) || (typeof version !== 'string' && typeof version !== 'number')) {
      throw new TwoFactorError('STORAGE_FAILED', `storage.load must resolve to null or { record, version }, got ${_describe(loaded)}`);
    }
    return { record: checkRecord(loaded.record), version };
  }

  /**
   * The base32 secret of a TOTP factor, decrypted if it is stored encrypted. Only the calls
   * that use the secret decrypt it, so an agent whose secret cannot be decrypted (a key taken
   * out of the list too early) can still be handled: policy, email, status, admin removal.
   */
  async function secretOf(agentId: string, factor: Pick<TotpKeyRecord, 'secret' | 'secretEncrypted'>): Promise<string> {
    if (!factor.secretEncrypted) return factor.secret;
    if (cipher === undefined) {
      throw new TwoFactorError('SECRET_DECRYPT_FAILED', 'the stored TOTP secret is encrypted, but no secretCipher is configured');
    }
    let plain: unknown;
    try {
      plain = await cipher.decrypt(factor.secret, agentId);
    } catch (cause) {
      if (cause instanceof TwoFactorError && cause.code === 'SECRET_DECRYPT_FAILED') throw cause;
      throw new TwoFactorError('SECRET_DECRYPT_FAILED', 'secretCipher.decrypt failed', { cause });
    }
    if (typeof plain !== 'string' || plain.length === 0) {
      throw new TwoFactorError('SECRET_DECRYPT_FAILED', `secretCipher.decrypt must resolve to a non-empty string, got ${_describe(plain)}`);
    }
    return plain;
  }

  /**
   * The record as it is stored: every TOTP secret in it (the factor's and each pending
   * set-up's) sealed. With a cipher, a plain secret (new, or stored before the cipher was
   * configured) is encrypted; an encrypted one is kept as it is, unless the cipher says it was
   * sealed with an older key (`needsRotation`), when it is re-encrypted with the current key,
   * if it still decrypts (if not, it is kept: the save is not the place to fail on it).
   */
  async function sealed(agentId: string, record: AgentRecord): Promise<AgentRecord> {
    if (cipher === undefined) return record;
    const totp = record.totp === null ? null : await sealedKey(agentId, record.totp);
    const totpSetups = await Promise.all(record.totpSetups.map((setup) => sealedKey(agentId, setup)));
    return { ...record, totp, totpSetups };
  }

  async function sealedKey<K extends Pick<TotpKeyRecord, 'secret' | 'secretEncrypted'>>(agentId: string, key: K): Promise<K> {
    let plain: string;
    if (!key.secretEncrypted) plain = key.secret;
    else if (typeof cipher!.needsRotation === 'function' && cipher!.needsRotation(key.secret)) {
      try {
        plain = await secretOf(agentId, key);
      } catch {
        return key;
      }
    } else return key;
    let sealedSecret: unknown;
    try {
      sealedSecret = await cipher!.encrypt(plain, agentId);
    } catch (cause) {
      if (cause instanceof TwoFactorError && cause.code === 'SECRET_ENCRYPT_FAILED') throw cause;
      throw new TwoFactorError('SECRET_ENCRYPT_FAILED', 'secretCipher.encrypt failed; nothing was saved', { cause });
    }
    if (typeof sealedSecret !== 'string' || sealedSecret.length === 0) {
      throw new TwoFactorError('SECRET_ENCRYPT_FAILED', `secretCipher.encrypt must resolve to a non-empty string, got ${_describe(sealedSecret)}; nothing was saved`);
    }
    return { ...key, secret: sealedSecret, secretEncrypted: true };
  }

  async function save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    const stored = await sealed(agentId, record);
    let ok: unknown;
    try {
      ok = await storage.save(agentId, stored, expected);
    } catch (cause) {
      throw new TwoFactorError('STORAGE_FAILED', 'storage.save failed', { cause });
    }
    if (typeof ok !== 'boolean') {
      throw new TwoFactorError('STORAGE_FAILED', `storage.save must resolve to a boolean, got ${_describe(ok)}`);
    }
    return ok;
  }

  function emit(agentId: string, now: number, drafts: readonly _EventDraft[] | undefined): void {
    if (onEvent === undefined || drafts === undefined) return;
    for (const draft of drafts) {
      const event: TwoFactorEvent = { ...draft, agentId, at: new Date(now) };
      // A failing audit sink must not undo or fail a change that is already saved.
      try {
        const pending = onEvent(event);
        if (pending && typeof (pending as Promise<void>).then === 'function') {
          (pending as Promise<void>).then(undefined, (error: unknown) => _report(error, event));
        }
      } catch (error) {
        _report(error, event);
      }
    }
  }

  function _reportDelivery(error: unknown, agentId: string): void {
    try {
      onDeliveryError(error, { agentId });
    } catch {
      // The reporter itself failed; the result (`delivery-failed`) still tells the caller.
    }
  }

  function _report(error: unknown, event: TwoFactorEvent): void {
    try {
      onEventError(error, event);
    } catch {
      // The error reporter itself failed; there is nowhere left to report to.
    }
  }

  /**
   * Load, decide, compare-and-set; on a lost race, start over from a fresh load.
   * `decide` must be free of side effects: it may run several times.
   */
  async function transact<R>(agentIdRaw: unknown, decide: (ctx: _Context) => _Step<R> | Promise<_Step<R>>): Promise<R> {
    const agentId = _agentId(agentIdRaw);
    const settings = await settingsNow();
    const now = nowMs();
    for (let attempt = 0; attempt < attempts; attempt++) {
      const loaded = await load(agentId);
      const ctx: _Context = {
        agentId,
        record: loaded === null ? emptyRecord(now) : loaded.record,
        exists: loaded !== null,
        now,
        settings,
      };
      const step = await decide(ctx);
      if (step.record !== undefined && !(await save(agentId, step.record, loaded === null ? null : loaded.version))) {
        // Another writer won: decide again on what it wrote, after a short random pause so that
        // a burst of writers for one agent spreads out instead of colliding again at once.
        if (attempt + 1 < attempts) await _backoff(attempt);
        continue;
      }
      emit(agentId, now, step.events);
      return step.result;
    }
    throw new TwoFactorError('STORAGE_CONFLICT', `gave up after ${attempts} conflicting writes`);
  }

  function decide(ctx: _Context): PolicyDecision {
    const graceStartedAt = ctx.record.graceStartedAt;
    return evaluatePolicy({
      settings: _toPolicySettings(ctx.settings),
      agent: {
        enforced: ctx.record.enforced,
        enrolled: enrolledMethods(ctx.record),
        ...(graceStartedAt === null ? {} : { graceStartedAt: new Date(graceStartedAt) }),
        suspended: suspendedSince(ctx.record, throttle) !== null,
      },
      now: new Date(ctx.now),
    });
  }

  /** Stores the grace start when this decision begins a `{ days }` grace. */
  function withGrace(ctx: _Context, decision: PolicyDecision): AgentRecord | undefined {
    if (decision.action !== 'require' || !decision.startsGrace) return undefined;
    return { ...ctx.record, graceStartedAt: ctx.now, updatedAt: ctx.now };
  }

  /**
   * Whether `method` is active for the second-method guard: enrolled, and its service on.
   * A switched-off method counts exactly as it counts in the policy (not at all), so a
   * set-up the policy asks for is never refused because of it.
   */
  function active(ctx: _Context, method: Method): boolean {
    return method === 'totp' ? ctx.record.totp !== null && ctx.settings.totp : ctx.record.email !== null && ctx.settings.email;
  }

  function keyResult(key: Omit<TotpKeyRecord, 'secretEncrypted'>): TotpKeyResult {
    const { secret, account, algorithm, digits, periodSeconds: period } = key;
    return { ok: true, secret, formattedSecret: formatSecret(secret), uri: buildKeyUri({ issuer, account, secret, algorithm, digits, period }) };
  }

  function newSecret(): string {
    return generateSecret({ bytes: secretBytes, random: randomSource });
  }

  /** The refusal of a check while suspended or locked: the input is not looked at. */
  function throttled(refusal: ThrottleRefusal, method: Method, type: TwoFactorEventType): _Step<SuspendedResult | LockedResult> {
    if (refusal.reason === 'suspended') {
      return { result: { ok: false, reason: 'suspended' }, events: [{ type, method, outcome: 'failure', reason: 'suspended' }] };
    }
    const retryAt = new Date(refusal.retryAt);
    return {
      result: { ok: false, reason: 'locked', retryAt },
      events: [{ type, method, outcome: 'failure', reason: 'locked', lockedUntil: retryAt }],
    };
  }

  /**
   * A wrong code was counted (`failed` is the record after `withFailure`): the result and
   * events every method reports, with the lock or the suspension it started.
   */
  function counted<Reason extends string>(
    failed: AgentRecord,
    method: Method,
    type: TwoFactorEventType,
    reason: Reason,
  ): _Step<SuspendedResult | { ok: false; reason: Reason; retryAt?: Date }> {
    const events: _EventDraft[] = [{ type, method, outcome: 'failure', reason }];
    if (failed.throttle.suspendedAt !== null) {
      events.push({ type: 'throttle.suspended', method, outcome: 'failure', reason: 'too-many-failures' });
      return { result: { ok: false, reason: 'suspended' }, record: failed, events };
    }
    const lockEnd = failed.throttle.lockedUntil;
    if (lockEnd === null) return { result: { ok: false, reason }, record: failed, events };
    events.push({ type: 'throttle.locked', method, outcome: 'failure', reason: 'too-many-failures', lockedUntil: new Date(lockEnd) });
    return { result: { ok: false, reason, retryAt: new Date(lockEnd) }, record: failed, events };
  }

  /**
   * Checks `code` against a TOTP key at `now`, centred on the device's observed drift
   * (django-otp's approach). The stored drift is re-clamped to the current window: an
   * operator who narrows the window must not leave a device centred outside it.
   */
  function checkCode(secret: string, key: TotpKeyRecord, code: string, now: number, driftSteps: number, lastStep: number | null) {
    const drift = Math.max(-window.past, Math.min(window.future, driftSteps));
    const check = verifyTotpCode(secret, code, {
      at: Math.max(0, now + drift * key.periodSeconds * 1000),
      window,
      period: key.periodSeconds,
      algorithm: key.algorithm,
      digits: key.digits,
      allowShortSecret: true, // the secret was checked when it was stored
      ...(lastStep === null ? {} : { afterStep: lastStep }),
    });
    return check.valid ? { ...check, driftSteps: Math.max(-window.past, Math.min(window.future, drift + check.delta)) } : check;
  }

  const totpRefused = (reason: Exclude<TotpCheckResult, { ok: true } | LockedResult | SuspendedResult>['reason']): _Step<TotpCheckResult> => ({
    result: { ok: false, reason },
    events: [{ type: reason === 'setup-replaced' ? 'totp.setup.replaced' : 'totp.failed', method: 'totp', outcome: 'failure', reason }],
  });

  async function loginTotp(ctx: _Context, code: string): Promise<_Step<TotpCheckResult>> {
    const { record, now } = ctx;
    const suspended = suspendedSince(record, throttle) !== null;
    if (suspended) return throttled({ reason: 'suspended' }, 'totp', 'totp.failed');
    if (!ctx.settings.totp) return totpRefused('method-disabled');
    const f = record.totp;
    if (f === null) return totpRefused('not-enrolled');
    const refusal = throttleRefusal(record, now, throttle);
    if (refusal !== null) return throttled(refusal, 'totp', 'totp.failed');
    const check = checkCode(await secretOf(ctx.agentId, f), f, code, now, f.driftSteps, f.lastStep);
    if (check.valid) {
      return {
        result: { ok: true, method: 'totp' },
        record: withTotpAccepted(record, now, check.step, check.driftSteps),
        events: [{ type: 'totp.verified', method: 'totp', outcome: 'success' }],
      };
    }
    // Not a guess at an unknown code: no failure is counted (a replay needs the right code).
    if (check.reason === 'malformed' || check.reason === 'replayed') return totpRefused(check.reason);
    return counted(withFailure(record, now, throttle), 'totp', 'totp.failed', 'invalid-code');
  }

  async function confirmTotp(ctx: _Context, code: string, tokenHash: string | null): Promise<_Step<TotpCheckResult>> {
    const { record, now } = ctx;
    if (suspendedSince(record, throttle) !== null) return throttled({ reason: 'suspended' }, 'totp', 'totp.failed');
    if (!ctx.settings.totp) return totpRefused('method-disabled');
    if (record.totp !== null) return totpRefused('already-enrolled');
    // The set-up token decides which set-up this is; without a live one, the code is not looked at.
    const found = tokenHash === null ? ({ kind: 'unknown' } as const) : findSetup(record, tokenHash, now, sameDigest);
    if (found.kind === 'unknown') return totpRefused('no-pending-setup');
    if (found.kind === 'expired') return totpRefused('setup-expired');
    if (found.kind === 'replaced') return totpRefused('setup-replaced');
    const setup = found.setup;
    // Email was switched on (back) since this set-up began without a verified session.
    if (active(ctx, 'email') && !setup.sessionVerified) return totpRefused('other-method-active');
    const refusal = throttleRefusal(record, now, throttle);
    if (refusal !== null) return throttled(refusal, 'totp', 'totp.failed');
    const check = checkCode(await secretOf(ctx.agentId, setup), setup, code, now, 0, null);
    if (check.valid) {
      // Allowed only because email is switched off: that enrollment goes in the same save.
      const supersede = record.email !== null && !ctx.settings.email;
      const events: _EventDraft[] = [{ type: 'totp.setup.confirmed', method: 'totp', outcome: 'success' }];
      if (supersede) events.push({ type: 'method.superseded', method: 'email', outcome: 'success', reason: 'totp' });
      return {
        result: { ok: true, method: 'totp' },
        record: withTotpConfirmed(record, now, setup, check, supersede),
        events,
      };
    }
    if (check.reason === 'malformed' || check.reason === 'replayed') return totpRefused(check.reason);
    return counted(withFailure(record, now, throttle), 'totp', 'totp.failed', 'invalid-code');
  }

  // ---- the service ----------------------------------------------------------------------------

  return {
    policy: (agentId) =>
      transact(agentId, (ctx) => {
        const decision = decide(ctx);
        const record = withGrace(ctx, decision);
        return record === undefined
          ? { result: decision }
          : { result: decision, record, events: [{ type: 'grace.started', outcome: 'success' }] };
      }),

    skipSetup: (agentId) =>
      transact<SkipSetupResult>(agentId, (ctx) => {
        const decision = decide(ctx);
        if (decision.action !== 'require') return { result: { ok: false as const, reason: 'not-skippable' as const } };
        const record = withGrace(ctx, decision);
        const events: _EventDraft[] = [{ type: 'setup.skipped', outcome: 'success' }];
        if (record !== undefined) events.unshift({ type: 'grace.started', outcome: 'success' });
        const result = { ok: true as const, until: new Date(decision.graceEndsAt.getTime()) };
        return record === undefined ? { result, events } : { result, record, events };
      }),

    beginTotpSetup: async (agentId, opts) => {
      const so = _options('options', opts);
      const account = _account(so.account);
      const sessionVerified = _flag('sessionVerified', so.sessionVerified);
      if (so.setupToken !== undefined && typeof so.setupToken !== 'string') {
        throw new TypeError(`"setupToken" expected a string, got ${_describe(so.setupToken)}`);
      }
      const tokenHash = so.setupToken === undefined || so.setupToken === '' ? null : hashSetupToken(so.setupToken);
      // Drawn once, before the compare-and-set loop: the decision below stays pure.
      const secret = newSecret();
      const setupToken = newSetupToken(randomSource);
      const freshHash = hashSetupToken(setupToken)!;
      return transact<BeginTotpSetupResult>(agentId, async (ctx) => {
        const { record, now } = ctx;
        if (suspendedSince(record, throttle) !== null) {
          return { result: { ok: false, reason: 'suspended' }, events: [{ type: 'totp.setup.refused', method: 'totp', outcome: 'failure', reason: 'suspended' }] };
        }
        if (!ctx.settings.totp) return { result: { ok: false as const, reason: 'method-disabled' as const } };
        if (record.totp !== null) return { result: { ok: false as const, reason: 'already-enrolled' as const } };
        // A second method needs a session that passed 2FA: else a password alone adds a way in.
        if (active(ctx, 'email') && !sessionVerified) {
          return {
            result: { ok: false as const, reason: 'other-method-active' as const },
            events: [{ type: 'totp.setup.refused', method: 'totp', outcome: 'failure', reason: 'other-method-active' }],
          };
        }
        const found = tokenHash === null ? null : findSetup(record, tokenHash, now, sameDigest);
        if (found?.kind === 'live') {
          // A refresh by the session that began it: the same secret, token and expiry.
          const current = found.setup;
          const result: TotpSetupResult = {
            ...keyResult({ ...current, secret: await secretOf(ctx.agentId, current), account }),
            setupToken: so.setupToken as string,
            expiresAt: new Date(current.expiresAt),
          };
          if (current.account === account) return { result };
          return {
            result,
            record: withSetupAccount(record, now, current.tokenHash, account),
            events: [{ type: 'totp.setup.started', method: 'totp', outcome: 'success', reason: 'account-changed' }],
          };
        }
        const setup: TotpSetupRecord = {
          tokenHash: freshHash,
          sessionVerified,
          secret,
          secretEncrypted: false,
          account,
          algorithm: totpAlgorithm,
          digits: totpDigits,
          periodSeconds: totpPeriod,
          createdAt: now,
          expiresAt: now + setupTtlMs,
        };
        const begun = withSetupBegun(record, now, setup);
        return {
          result: { ...keyResult(setup), setupToken, expiresAt: new Date(setup.expiresAt) },
          record: begun.record,
          events: [{ type: 'totp.setup.started', method: 'totp', outcome: 'success', ...(begun.replaced ? { reason: 'oldest-dropped' } : {}) }],
        };
      });
    },

    confirmTotpSetup: async (agentId, code, opts) => {
      const setupToken = _options('options', opts).setupToken;
      if (typeof setupToken !== 'string' || setupToken.length === 0) {
        throw new TypeError(`"setupToken" expected the non-empty string beginTotpSetup returned, got ${_describe(setupToken)}`);
      }
      const tokenHash = hashSetupToken(setupToken);
      return transact(agentId, (ctx) => confirmTotp(ctx, code, tokenHash));
    },

    verifyTotp: (agentId, code) => transact(agentId, (ctx) => loginTotp(ctx, code)),

    sendEmailCode: async (agentIdRaw, opts) => {
      const agentId = _agentId(agentIdRaw);
      const so = _options('options', opts);
      const to = so.to;
      if (to !== undefined && typeof to !== 'string') throw new TypeError(`"to" expected an email address, got ${_describe(to)}`);
      const sessionVerified = _flag('sessionVerified', so.sessionVerified);
      if (mailer === undefined) throw new TypeError('sendEmailCode needs the "mailer" option of createTwoFactor');
      // Drawn once, outside the retry loop: the decision below stays pure and may run again.
      const code = generateEmailCode(emailDigits, randomSource);
      const hashed = hashEmailCode(code, pepper === undefined ? (random === undefined ? {} : { random }) : { pepper });

      type Outcome =
        | { kind: 'refused'; result: SendEmailCodeResult }
        | {
            kind: 'issued';
            challenge: EmailChallengeRecord;
            at: number;
            before: AgentRecord;
            after: AgentRecord;
          };
      const refused = (result: Exclude<SendEmailCodeResult, { ok: true }>, extra: Partial<_EventDraft> = {}): _Step<Outcome> => ({
        result: { kind: 'refused', result },
        events: [{ type: 'email.code.refused', method: 'email', outcome: 'failure', reason: result.reason, ...extra }],
      });

      const outcome = await transact<Outcome>(agentId, (ctx) => {
        const { record, now } = ctx;
        if (suspendedSince(record, throttle) !== null) return refused({ ok: false, reason: 'suspended' });
        if (!ctx.settings.email) return refused({ ok: false, reason: 'method-disabled' });
        const refusal = throttleRefusal(record, now, throttle);
        if (refusal !== null) {
          const { result, events } = throttled(refusal, 'email', 'email.code.refused');
          return { result: { kind: 'refused', result }, ...(events ? { events } : {}) };
        }
        const purpose: EmailPurpose = record.email === null ? 'setup' : 'login';
        // A second method needs a session that passed 2FA: else a password alone adds a way in.
        if (purpose === 'setup' && active(ctx, 'totp') && !sessionVerified) {
          return refused({ ok: false, reason: 'other-method-active' });
        }
        // A login code goes to the enrolled address; `to` may be left out then.
        if (!(to === undefined && purpose === 'login') && !isEmailAddress(to)) return refused({ ok: false, reason: 'invalid-address' });
        if (record.email !== null && to !== undefined && !sameEmailAddress(to, record.email.address)) {
          return refused({ ok: false, reason: 'address-mismatch' });
        }
        const block = emailSendBlock(record, now, emailLimits);
        if (block !== null) return refused({ ok: false, reason: block.reason, retryAt: new Date(block.retryAt) });
        const challenge: EmailChallengeRecord = {
          purpose,
          address: purpose === 'login' ? record.email!.address : to!,
          hash: hashed.hash,
          salt: hashed.salt,
          digits: emailDigits,
          issuedAt: now,
          expiresAt: now + emailLimits.ttlMs,
          attempts: 0,
          sessionVerified: purpose === 'setup' && sessionVerified,
        };
        // Saved before sending: the code must be checkable the moment the mail arrives, and a
        // concurrent send must see the cooldown.
        const after = withEmailChallenge(record, now, challenge);
        return {
          result: { kind: 'issued', challenge, at: now, before: record, after },
          record: after,
        };
      });
      if (outcome.kind === 'refused') return outcome.result;

      const { challenge } = outcome;
      const expiresAt = new Date(challenge.expiresAt);
      /** Puts the record back as it was: the unsent code is void, the send is not counted. */
      const undo = () =>
        transact(agentId, (ctx) => {
          const record = withEmailSendUndone(ctx.record, ctx.now, outcome);
          return record === ctx.record ? { result: undefined } : { result: undefined, record };
        });
      let message: ReturnType<RenderEmail>;
      try {
        const rendered: unknown = renderEmail({
          code, expiresAt, validForMs: emailLimits.ttlMs, purpose: challenge.purpose, issuer, to: challenge.address, agentId,
        });
        message = _renderedEmail(rendered);
      } catch (templateError) {
        try {
          await undo();
        } catch (undoError) {
          throw new TwoFactorError('STORAGE_FAILED', 'renderEmail threw, and undoing the saved code failed too', {
            cause: new AggregateError([templateError, undoError], 'renderEmail failed, then the undo failed'),
          });
        }
        throw templateError; // a template bug is the host's to see, not a delivery failure
      }
      try {
        await mailer.send({ ...message, to: challenge.address, code, expiresAt, agentId, purpose: challenge.purpose });
      } catch (error) {
        _reportDelivery(error, agentId);
        // The event is due whether or not the undo works: the send was attempted and failed.
        emit(agentId, outcome.at, [{ type: 'email.code.undelivered', method: 'email', outcome: 'failure', reason: 'delivery-failed' }]);
        await undo();
        return { ok: false, reason: 'delivery-failed' };
      }
      emit(agentId, outcome.at, [{ type: 'email.code.sent', method: 'email', outcome: 'success', reason: challenge.purpose }]);
      return { ok: true, purpose: challenge.purpose, expiresAt };
    },

    verifyEmailCode: (agentId, code) =>
      transact<EmailCheckResult>(agentId, (ctx) => {
        const { record, now } = ctx;
        const refused = (
          result: Exclude<EmailCheckResult, { ok: true }>,
          extra: Partial<_EventDraft> = {},
        ): _Step<EmailCheckResult> => ({
          result,
          events: [{ type: 'email.failed', method: 'email', outcome: 'failure', reason: result.reason, ...extra }],
        });
        if (suspendedSince(record, throttle) !== null) return throttled({ reason: 'suspended' }, 'email', 'email.failed');
        if (!ctx.settings.email) return refused({ ok: false, reason: 'method-disabled' });
        const refusal = throttleRefusal(record, now, throttle);
        if (refusal !== null) return throttled(refusal, 'email', 'email.failed');
        const challenge = record.emailChallenge;
        if (challenge === null) return refused({ ok: false, reason: 'no-challenge' });
        if (now >= challenge.expiresAt) return refused({ ok: false, reason: 'expired' });
        if (challenge.attempts >= emailLimits.maxAttempts) return refused({ ok: false, reason: 'too-many-attempts' });
        // A code hashed under a pepper that is no longer configured cannot be checked: it is
        // as good as expired (a new one is hashed the current way).
        if (challenge.salt === null && pepper === undefined) return refused({ ok: false, reason: 'expired' });
        const setup = challenge.purpose === 'setup';
        // TOTP was switched on (back) since this set-up code was asked for without a verified session.
        if (setup && active(ctx, 'totp') && !challenge.sessionVerified) return refused({ ok: false, reason: 'other-method-active' });
        const check = checkEmailCode(code, challenge.digits, challenge, pepper);
        if (check === 'malformed') return refused({ ok: false, reason: 'malformed' });
        if (check === 'match') {
          // Allowed only because TOTP is switched off: that factor goes in the same save.
          const supersede = setup && record.totp !== null && !ctx.settings.totp;
          const events: _EventDraft[] = [{ type: setup ? 'email.setup.confirmed' : 'email.verified', method: 'email', outcome: 'success' }];
          if (supersede) events.push({ type: 'method.superseded', method: 'totp', outcome: 'success', reason: 'email' });
          return {
            result: { ok: true, method: 'email', purpose: challenge.purpose },
            record: withEmailCodeAccepted(record, now, supersede),
            events,
          };
        }
        const failed = withEmailCodeFailed(record, now, throttle);
        const burned = failed.emailChallenge!.attempts >= emailLimits.maxAttempts;
        return counted(failed, 'email', 'email.failed', burned ? 'too-many-attempts' : 'invalid-code');
      }),

    status: async (agentIdRaw) => {
      const agentId = _agentId(agentIdRaw);
      const loaded = await load(agentId);
      const now = nowMs();
      const r = loaded?.record ?? emptyRecord(now);
      const lastUsed = Math.max(r.totp?.lastUsedAt ?? -1, r.email?.lastUsedAt ?? -1);
      const pending = newestLiveSetup(r, now);
      return {
        enrolled: enrolledMethods(r),
        totp:
          r.totp !== null
            ? {
                status: 'active',
                provisionedBy: r.totp.provisionedBy,
                createdAt: new Date(r.totp.createdAt),
                activatedAt: new Date(r.totp.activatedAt),
                confirmedAt: _date(r.totp.confirmedAt),
                lastUsedAt: _date(r.totp.lastUsedAt),
              }
            : pending !== null
              ? { status: 'pending', provisionedBy: 'agent', createdAt: new Date(pending.createdAt), activatedAt: null, confirmedAt: null, lastUsedAt: null }
              : null,
        totpSetups: r.totp !== null ? [] : r.totpSetups.filter((x) => now < x.expiresAt).map((x) => ({ createdAt: new Date(x.createdAt), expiresAt: new Date(x.expiresAt) })),
        email: r.email === null ? null : { address: r.email.address, enrolledAt: new Date(r.email.enrolledAt), lastUsedAt: _date(r.email.lastUsedAt) },
        emailCode:
          r.emailChallenge === null ||
          now >= r.emailChallenge.expiresAt ||
          (r.emailChallenge.salt === null && pepper === undefined) // hashed under a pepper no longer configured
            ? null
            : {
                purpose: r.emailChallenge.purpose,
                expiresAt: new Date(r.emailChallenge.expiresAt),
                attemptsLeft: Math.max(0, emailLimits.maxAttempts - r.emailChallenge.attempts),
              },
        enforced: r.enforced,
        lockedUntil: _date(lockedUntil(r, now)),
        suspendedAt: _date(suspendedSince(r, throttle)),
        failures: r.throttle.failures,
        graceStartedAt: _date(r.graceStartedAt),
        lastUsedAt: lastUsed < 0 ? null : new Date(lastUsed),
      };
    },

    admin: {
      provisionTotp: async (agentId, opts) => {
        const account = _account(_options('options', opts).account);
        const secret = newSecret(); // drawn once, before the compare-and-set loop
        return transact<ProvisionTotpResult>(agentId, (ctx) => {
          if (!ctx.settings.totp) return { result: { ok: false as const, reason: 'method-disabled' as const } };
          if (ctx.record.totp !== null) return { result: { ok: false as const, reason: 'already-enrolled' as const } };
          const key = { secret, account, algorithm: totpAlgorithm, digits: totpDigits, periodSeconds: totpPeriod };
          return {
            result: keyResult(key),
            record: withTotpProvisioned(ctx.record, ctx.now, key),
            events: [{ type: 'admin.totp.provisioned', method: 'totp', outcome: 'success' }],
          };
        });
      },

      setEnforced: async (agentId, on) => {
        if (typeof on !== 'boolean') throw new TypeError(`"on" expected a boolean, got ${_describe(on)}`);
        return transact(agentId, (ctx) => {
          const result = { ok: true as const, enforced: on };
          if (ctx.record.enforced === on && (ctx.exists || !on)) return { result };
          return {
            result,
            record: { ...ctx.record, enforced: on, updatedAt: ctx.now },
            events: [{ type: 'admin.enforced.changed', outcome: 'success', reason: on ? 'enforced' : 'not-enforced' }],
          };
        });
      },

      remove: async (agentId, opts) => {
        const ro = _options('options', opts);
        const method = ro.method === undefined ? undefined : _oneOf('method', ro.method, ['totp', 'email'] as const);
        return transact(agentId, (ctx) => {
          if (!ctx.exists) return { result: { ok: true as const, removed: [] as Method[] } };
          const r = ctx.record;
          const removed: Method[] = [];
          if (method !== 'email' && (r.totp !== null || r.totpSetups.length > 0)) removed.push('totp');
          if (method !== 'totp' && r.email !== null) removed.push('email');
          const pendingEmail = method !== 'totp' && r.emailChallenge !== null;
          const droppedSetups = method !== 'email' && r.droppedTotpSetups.length > 0;
          // Nothing of that method to remove: nothing changes (the lock and grace start stay).
          if (removed.length === 0 && !pendingEmail && !droppedSetups) return { result: { ok: true as const, removed } };
          return {
            result: { ok: true as const, removed },
            record: withRemoved(r, ctx.now, method),
            events: [{ type: 'admin.removed', outcome: 'success', ...(method === undefined ? {} : { method }), reason: removed.join(',') || 'pending-email-code' }],
          };
        });
      },

      unlock: (agentId) =>
        transact<UnlockResult>(agentId, (ctx) => {
          const wasSuspended = suspendedSince(ctx.record, throttle) !== null;
          const result: UnlockResult = { ok: true, wasLocked: !wasSuspended && lockedUntil(ctx.record, ctx.now) !== null, wasSuspended };
          const record = withThrottleReset(ctx.record, ctx.now);
          if (record === ctx.record) return { result };
          return { result, record, events: [{ type: 'admin.unlocked', outcome: 'success', ...(wasSuspended ? { reason: 'suspended' } : {}) }] };
        }),
    },
  };
}

/** Checks what a `renderEmail` returned. */
function _renderedEmail(value: unknown): { subject: string; text: string; html: string } {
  const v = value as { subject?: unknown; text?: unknown; html?: unknown } | null;
  if (v === null || typeof v !== 'object' || typeof v.subject !== 'string' || typeof v.text !== 'string' || typeof v.html !== 'string') {
    throw new TypeError(`"email.renderEmail" must return { subject, text, html } strings, got ${_describe(value)}`);
  }
  if (/[\r\n]/.test(v.subject)) throw new TypeError('"email.renderEmail" returned a subject with a line break');
  return { subject: v.subject, text: v.text, html: v.html };
}

/**
 * Waits a random 0 to min(2^attempt, 32) ms ("full jitter"). The pause is not security
 * relevant, but the house rule holds anyway: the random bits come from Web Crypto.
 */
function _backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2 ** attempt, 32);
  const word = new Uint32Array(1);
  globalThis.crypto.getRandomValues(word);
  const ms = Math.floor((word[0]! / 0x1_0000_0000) * (ceiling + 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function _readSettings(value: unknown): _CheckedSettings {
  const { findings, settings } = _checkSettings(value, 'settings.');
  if (findings[0]) throw findings[0].error;
  if (!settings) throw new TypeError('"settings" expected valid settings');
  return settings;
}

function _toPolicySettings(s: _CheckedSettings): PolicySettings {
  const base = { totp: s.totp, email: s.email, requireAll: s.requireAll };
  if (s.grace.kind === 'until') return { ...base, gracePeriod: { until: new Date(s.grace.untilMs) } };
  if (s.grace.kind === 'days') return { ...base, gracePeriod: { days: s.grace.days } };
  return base;
}

/**
 * `throttle.maxConsecutiveFailures`: above `freeFailures` (else no lock would come first) and
 * at most 1000. NIST SP 800-63B §5.2.2 caps consecutive failures on one account at 100, the
 * default; a host that raises `freeFailures` to 100 must choose a limit above it explicitly.
 */
function _hardLimit(value: unknown, freeFailures: number): number {
  const fallback = DEFAULTS.throttle.maxConsecutiveFailures;
  if (value !== undefined) return _integer('throttle.maxConsecutiveFailures', value, freeFailures + 1, 1000);
  if (freeFailures < fallback) return fallback;
  throw new RangeError(
    `"throttle.maxConsecutiveFailures" must be set when freeFailures is ${freeFailures}: an integer ${freeFailures + 1}..1000 (above ${fallback} is outside NIST SP 800-63B 5.2.2)`,
  );
}

function _window(value: unknown): { past: number; future: number } {
  const max = DEFAULTS.totp.maxWindowSteps;
  if (value === undefined) return { past: DEFAULTS.totp.window.past, future: DEFAULTS.totp.window.future };
  if (typeof value === 'number') {
    const n = _integer('totp.window', value, 0, max);
    return { past: n, future: n };
  }
  const w = _options('totp.window', value);
  return { past: _integer('totp.window.past', w.past, 0, max), future: _integer('totp.window.future', w.future, 0, max) };
}
