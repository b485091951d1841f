/**
 * The options of `createTwoFactor`, and `resolveOptions`, which checks them once and
 * turns them into the frozen {@link ServiceConfig} that every flow reads.
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { _describe, _integer, _options } from '../shared/validate.js';
import { renderDefaultEmail, type RenderEmail } from '../email/message.js';
import type { RenderNotice } from '../email/notice.js';
import { _hardLimit, _notices, _peppers } from './option-parts.js';
import { _algorithmOption, _digitsOption, _EMAIL_DIGITS, _periodOption, _SECRET_BYTES, _windowOption } from '../shared/limits.js';
import { _randomSource, type RandomSource } from '../shared/random.js';
import type { TotpWindow } from '../otp/totp.js';
import { buildKeyUri } from '../otp/uri.js';
import type { HashAlgorithm } from '../otp/hotp.js';
import { _checkSettings, type _CheckedSettings } from '../policy/settings.js';
import type { PolicySettings } from '../policy/types.js';
import type { Clock, Mailer, SecretCipher, TwoFactorEvent, TwoFactorStorage } from '../ports.js';
import type { EmailLimits } from '../record/email.js';
import type { ThrottleConfig } from '../record/throttle.js';

/**
 * Where the org settings come from: a value, or a function read at every call with the agent
 * id (a multi-org helpdesk looks up the agent's org).
 */
export type SettingsSource = PolicySettings | ((agentId: string) => PolicySettings | Promise<PolicySettings>);

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
  pepper?: string | Uint8Array | { current: string | Uint8Array; previous?: string | Uint8Array };
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
   * Called with the error when `mailer.send` throws: for a code (`kind: 'code'`),
   * `sendEmailCode` then returns `delivery-failed`; for a security notice (`kind: 'notice'`,
   * also when `notices.addressOf` or the template throws) the change stands. Default:
   * `console.error('twofold: mailer.send failed; the code was not sent', error)` (or notice).
   */
  onDeliveryError?: (error: unknown, context: { agentId: string; kind: 'code' | 'notice' }) => void;
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
  /**
   * Security notices to the agent (a method activated or removed, recovery codes generated or
   * used, a lock, a suspension), sent with `mailer` after the change is saved. Needs `mailer`.
   */
  notices?: NoticeOptions;
}

/** Where and how security notices go (see docs/notices.md). */
export interface NoticeOptions {
  /** The agent's own address (not necessarily the email-2FA one); `null`: none known. */
  addressOf(agentId: string): string | null | Promise<string | null>;
  /** Replaces the default notice template. Escape whatever you put into `html`. */
  renderNotice?: RenderNotice;
}

/**
 * Everything a flow needs, checked once when the service is created and frozen: the ports
 * (storage, clock, random source, mailer, cipher, event sink) and the resolved parameters.
 * Decisions read only the parameters; the shells use the ports.
 */
export interface ServiceConfig {
  readonly storage: TwoFactorStorage;
  readonly issuer: string;
  readonly settingsSource: SettingsSource;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly onEvent: TwoFactorOptions['onEvent'];
  readonly onEventError: NonNullable<TwoFactorOptions['onEventError']>;
  readonly totp: {
    readonly algorithm: HashAlgorithm;
    readonly digits: number;
    readonly periodSeconds: number;
    readonly secretBytes: number;
    readonly window: { readonly past: number; readonly future: number };
    readonly setupTtlMs: number;
  };
  readonly throttle: ThrottleConfig;
  readonly mailer: Mailer | undefined;
  readonly onDeliveryError: NonNullable<TwoFactorOptions['onDeliveryError']>;
  readonly email: {
    readonly digits: number;
    readonly limits: EmailLimits;
    readonly pepper: Uint8Array | undefined;
    /** The pepper before the current one (`{ current, previous }`), still checked for recovery codes. */
    readonly previousPepper: Uint8Array | undefined;
    readonly renderEmail: RenderEmail;
  };
  readonly cipher: SecretCipher | undefined;
  /** Compare-and-set attempts per operation. */
  readonly attempts: number;
  readonly notices: { readonly addressOf: NoticeOptions['addressOf']; readonly renderNotice: RenderNotice } | undefined;
}

/**
 * Checks `options` and resolves every default.
 * @throws TypeError / RangeError for malformed options.
 */
export function resolveOptions(options: TwoFactorOptions): ServiceConfig {
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
  const random = _randomSource(o.random);
  const onEvent = o.onEvent as TwoFactorOptions['onEvent'];
  if (onEvent !== undefined && typeof onEvent !== 'function') throw new TypeError('"onEvent" expected a function');
  if (o.onEventError !== undefined && typeof o.onEventError !== 'function') throw new TypeError('"onEventError" expected a function');
  const onEventError =
    (o.onEventError as TwoFactorOptions['onEventError']) ??
    ((error: unknown) => console.error('twofold: onEvent handler failed', error));

  const t = _options('totp', o.totp);
  const totpAlgorithm = _algorithmOption('totp.algorithm', t.algorithm);
  const totpDigits = _digitsOption('totp.digits', t.digits);
  const totpPeriod = _periodOption('totp.periodSeconds', t.periodSeconds);
  const secretBytes = t.secretBytes === undefined ? DEFAULTS.totp.secretBytes : _integer('totp.secretBytes', t.secretBytes, _SECRET_BYTES.min, _SECRET_BYTES.max);
  const window = _windowOption('totp.window', t.window);
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
    ((error: unknown, context: { kind: 'code' | 'notice' }) => console.error(`twofold: mailer.send failed; the ${context.kind} was not sent`, error));
  const em = _options('email', o.email);
  const D = DEFAULTS.email;
  const emailDigits = em.digits === undefined ? D.digits : _integer('email.digits', em.digits, _EMAIL_DIGITS.min, _EMAIL_DIGITS.max);
  const emailLimits: EmailLimits = {
    ttlMs: em.ttlMs === undefined ? D.ttlMs : _integer('email.ttlMs', em.ttlMs, 1000, 86_400_000),
    maxAttempts: em.maxAttempts === undefined ? D.maxAttempts : _integer('email.maxAttempts', em.maxAttempts, 1, 100),
    resendCooldownMs: em.resendCooldownMs === undefined ? D.resendCooldownMs : _integer('email.resendCooldownMs', em.resendCooldownMs, 0, 86_400_000),
    maxSendsPerHour: em.maxSendsPerHour === undefined ? D.maxSendsPerHour : _integer('email.maxSendsPerHour', em.maxSendsPerHour, 1, 1000),
  };
  const { pepper, previousPepper } = _peppers(em.pepper);
  const renderEmail = em.renderEmail === undefined ? renderDefaultEmail : (em.renderEmail as RenderEmail);
  if (typeof renderEmail !== 'function') throw new TypeError(`"email.renderEmail" expected a function, got ${_describe(renderEmail)}`);
  // Email on with nowhere to send codes: for fixed settings, a mistake to refuse now. For a
  // settings function, Email then counts as off at each call (see currentSettings), so a
  // login never meets an exception.
  if (typeof settingsSource === 'object' && settingsSource.email === true && mailer === undefined) {
    throw new TypeError('"settings" switch Email 2FA on, but no "mailer" is given: pass mailer, or switch email off');
  }
  const cipher = o.secretCipher as SecretCipher | undefined;
  if (cipher !== undefined && (cipher === null || typeof cipher !== 'object' || typeof cipher.encrypt !== 'function' || typeof cipher.decrypt !== 'function')) {
    throw new TypeError('"secretCipher" expected an object with encrypt() and decrypt() methods');
  }

  const attempts = o.storageAttempts === undefined ? DEFAULTS.storage.maxAttempts : _integer('storageAttempts', o.storageAttempts, 1, 100);
  const notices = _notices(o.notices, mailer);

  return Object.freeze({
    storage,
    issuer,
    settingsSource,
    clock,
    random,
    onEvent,
    onEventError,
    totp: Object.freeze({ algorithm: totpAlgorithm, digits: totpDigits, periodSeconds: totpPeriod, secretBytes, window, setupTtlMs }),
    throttle: Object.freeze(throttle),
    mailer,
    onDeliveryError,
    email: Object.freeze({ digits: emailDigits, limits: Object.freeze(emailLimits), pepper, previousPepper, renderEmail }),
    cipher,
    attempts,
    notices,
  });
}

/** @internal Checks settings read from the source; throws the first problem found. */
export function _readSettings(value: unknown): _CheckedSettings {
  const { findings, settings } = _checkSettings(value, 'settings.');
  if (findings[0]) throw findings[0].error;
  if (!settings) throw new TypeError('"settings" expected valid settings');
  return settings;
}
