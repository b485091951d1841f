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
import type { Clock, RecordVersion, TwoFactorEvent, TwoFactorStorage } from './ports.js';
import {
  checkRecord,
  emptyRecord,
  enrolledMethods,
  lockedUntil,
  withFailure,
  withNewTotp,
  withRemoved,
  withThrottleReset,
  withTotpAccepted,
  type AgentRecord,
  type ThrottleConfig,
} from './record.js';

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

/** Why a TOTP code was not accepted. `replayed` should be shown to people as a wrong code. */
export type TotpFailureReason = 'invalid-code' | 'malformed' | 'replayed' | 'not-enrolled' | 'method-disabled';

/** The outcome of {@link TwoFactor.verifyTotp} and {@link TwoFactor.confirmTotpSetup}. */
export type TotpCheckResult =
  | { ok: true; method: 'totp' }
  | LockedResult
  | { ok: false; reason: 'invalid-code'; retryAt?: Date }
  | { ok: false; reason: Exclude<TotpFailureReason, 'invalid-code'> | 'no-pending-setup' | 'already-enrolled' };

/** A TOTP secret to hand to an agent: for a QR code (`uri`) or typing by hand (`formattedSecret`). */
export interface TotpSetupResult {
  ok: true;
  /** Base32, no padding. */
  secret: string;
  /** The secret in groups of 4, for typing into an app. */
  formattedSecret: string;
  /** The otpauth:// URI; render it with `twofold/qr`. */
  uri: string;
}

/** The outcome of {@link TwoFactor.skipSetup}. */
export type SkipSetupResult = { ok: true; until: Date } | { ok: false; reason: 'not-skippable' };

/** The outcome of {@link TwoFactor.beginTotpSetup} and `admin.provisionTotp`. */
export type BeginTotpSetupResult = TotpSetupResult | { ok: false; reason: 'already-enrolled' | 'method-disabled' };

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
  enforced: boolean;
  lockedUntil: Date | null;
  failures: number;
  graceStartedAt: Date | null;
  lastUsedAt: Date | null;
}

/** The service returned by {@link createTwoFactor}. Every method takes the host's agent id. */
export interface TwoFactor {
  /** Evaluates the policy for a login (and starts a `{ days }` grace the first time). */
  policy(agentId: string): Promise<PolicyDecision>;
  /** Lets the agent skip set-up at this login, while the grace period runs. */
  skipSetup(agentId: string): Promise<SkipSetupResult>;
  /** Starts (or, on a refresh, repeats) the agent's own TOTP set-up. */
  beginTotpSetup(
    agentId: string,
    options: { account: string; restart?: boolean },
  ): Promise<BeginTotpSetupResult>;
  /** Activates the pending TOTP set-up with a code from the app. */
  confirmTotpSetup(agentId: string, code: string): Promise<TotpCheckResult>;
  /** Checks a TOTP code at login. */
  verifyTotp(agentId: string, code: string): Promise<TotpCheckResult>;
  /** The agent's 2FA state, without secrets. */
  status(agentId: string): Promise<TwoFactorStatus>;
  admin: {
    /** Sets TOTP up for the agent; it is active at once. Hand the result to the agent. */
    provisionTotp(
      agentId: string,
      options: { account: string },
    ): Promise<BeginTotpSetupResult>;
    /** The per-agent "Enforce 2FA" toggle. */
    setEnforced(agentId: string, on: boolean): Promise<{ ok: true; enforced: boolean }>;
    /** Removes 2FA (one method, or all), with pending set-up, throttle and grace start. */
    remove(agentId: string, options?: { method?: Method }): Promise<{ ok: true; removed: Method[] }>;
    /** Clears the failure count and any lock. */
    unlock(agentId: string): Promise<{ ok: true; wasLocked: boolean }>;
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
  record: AgentRecord;
  /** Whether the record exists in storage (false: `record` is a fresh empty one). */
  exists: boolean;
  now: number;
  settings: _CheckedSettings;
}

const MAX_AGENT_ID_LENGTH = 256;

function _agentId(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_AGENT_ID_LENGTH) {
    throw new TypeError(`"agentId" expected a non-blank string of at most ${MAX_AGENT_ID_LENGTH} characters, got ${_describe(value)}`);
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

  const th = _options('throttle', o.throttle);
  const throttle: ThrottleConfig = {
    // NIST SP 800-63B §5.2.2: no more than 100 consecutive failures without a lock.
    freeFailures: th.freeFailures === undefined ? DEFAULTS.throttle.freeFailures : _integer('throttle.freeFailures', th.freeFailures, 1, 100),
    baseLockMs: th.baseLockMs === undefined ? DEFAULTS.throttle.baseLockMs : _integer('throttle.baseLockMs', th.baseLockMs, 1, 86_400_000),
    maxLockMs: th.maxLockMs === undefined ? DEFAULTS.throttle.maxLockMs : _integer('throttle.maxLockMs', th.maxLockMs, 1, 86_400_000 * 30),
  };
  if (throttle.maxLockMs < throttle.baseLockMs) {
    throw new RangeError(`"throttle.maxLockMs" expected at least baseLockMs (${throttle.baseLockMs}), got ${throttle.maxLockMs}`);
  }
  const attempts = o.storageAttempts === undefined ? DEFAULTS.storage.maxAttempts : _integer('storageAttempts', o.storageAttempts, 1, 100);

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

  async function save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    let ok: unknown;
    try {
      ok = await storage.save(agentId, record, expected);
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
        record: loaded === null ? emptyRecord(now) : loaded.record,
        exists: loaded !== null,
        now,
        settings,
      };
      const step = await decide(ctx);
      if (step.record !== undefined && !(await save(agentId, step.record, loaded === null ? null : loaded.version))) {
        continue; // another writer won: decide again on what it wrote
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
      },
      now: new Date(ctx.now),
    });
  }

  /** Stores the grace start when this decision begins a `{ days }` grace. */
  function withGrace(ctx: _Context, decision: PolicyDecision): AgentRecord | undefined {
    if (decision.action !== 'require' || !decision.startsGrace) return undefined;
    return { ...ctx.record, graceStartedAt: ctx.now, updatedAt: ctx.now };
  }

  function setupResult(secret: string, account: string, algorithm: HashAlgorithm, digits: number, period: number): TotpSetupResult {
    return {
      ok: true,
      secret,
      formattedSecret: formatSecret(secret),
      uri: buildKeyUri({ issuer, account, secret, algorithm, digits, period }),
    };
  }

  function newSecret(): string {
    return generateSecret(random === undefined ? { bytes: secretBytes } : { bytes: secretBytes, random });
  }

  /** The shared TOTP check of login and confirmation. */
  function checkTotp(ctx: _Context, code: string, mode: 'login' | 'confirm'): _Step<TotpCheckResult> {
    const { record, now } = ctx;
    const refused = (reason: 'method-disabled' | 'not-enrolled' | 'no-pending-setup' | 'already-enrolled'): _Step<TotpCheckResult> => ({
      result: { ok: false, reason },
      events: [{ type: 'totp.failed', method: 'totp', outcome: 'failure', reason }],
    });
    if (!ctx.settings.totp) return refused('method-disabled');
    const f = record.totp;
    if (mode === 'login' && f?.status !== 'active') return refused('not-enrolled');
    if (f === null) return refused('no-pending-setup');
    if (mode === 'confirm' && f.status === 'active') return refused('already-enrolled');
    // While locked, refuse without looking at the code (no oracle for a locked-out guesser).
    const until = lockedUntil(record, now);
    if (until !== null) {
      return {
        result: { ok: false, reason: 'locked', retryAt: new Date(until) },
        events: [{ type: 'totp.failed', method: 'totp', outcome: 'failure', reason: 'locked', lockedUntil: new Date(until) }],
      };
    }
    // Centre the window on the device's observed drift (django-otp's approach).
    const at = now + f.driftSteps * f.periodSeconds * 1000;
    const check = verifyTotpCode(f.secret, code, {
      at: Math.max(0, at),
      window,
      period: f.periodSeconds,
      algorithm: f.algorithm,
      digits: f.digits,
      allowShortSecret: true, // the secret was checked when it was stored
      ...(f.lastStep === null ? {} : { afterStep: f.lastStep }),
    });
    if (check.valid) {
      const drift = Math.max(-window.past, Math.min(window.future, f.driftSteps + check.delta));
      return {
        result: { ok: true, method: 'totp' },
        record: withTotpAccepted(record, now, check.step, drift),
        events: [{ type: mode === 'login' ? 'totp.verified' : 'totp.setup.confirmed', method: 'totp', outcome: 'success' }],
      };
    }
    if (check.reason === 'malformed' || check.reason === 'replayed') {
      // Not a guess at an unknown code: no failure is counted (a replay needs the right code).
      return {
        result: { ok: false, reason: check.reason },
        events: [{ type: 'totp.failed', method: 'totp', outcome: 'failure', reason: check.reason }],
      };
    }
    const failed = withFailure(record, now, throttle);
    const lockEnd = failed.throttle.lockedUntil;
    const events: _EventDraft[] = [{ type: 'totp.failed', method: 'totp', outcome: 'failure', reason: 'invalid-code' }];
    if (lockEnd !== null) {
      events.push({ type: 'throttle.locked', method: 'totp', outcome: 'failure', reason: 'too-many-failures', lockedUntil: new Date(lockEnd) });
    }
    return {
      result: lockEnd === null ? { ok: false, reason: 'invalid-code' } : { ok: false, reason: 'invalid-code', retryAt: new Date(lockEnd) },
      record: failed,
      events,
    };
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
      if (so.restart !== undefined && typeof so.restart !== 'boolean') throw new TypeError(`"restart" expected a boolean, got ${_describe(so.restart)}`);
      const restart = so.restart === true;
      return transact<BeginTotpSetupResult>(agentId, (ctx) => {
        if (!ctx.settings.totp) return { result: { ok: false as const, reason: 'method-disabled' as const } };
        const current = ctx.record.totp;
        if (current?.status === 'active') return { result: { ok: false as const, reason: 'already-enrolled' as const } };
        if (current !== null && !restart) {
          // A page refresh: hand back the same secret so an already-scanned QR code stays good.
          const result = setupResult(current.secret, account, current.algorithm, current.digits, current.periodSeconds);
          if (current.account === account) return { result };
          return {
            result,
            record: { ...ctx.record, totp: { ...current, account }, updatedAt: ctx.now },
            events: [{ type: 'totp.setup.started', method: 'totp', outcome: 'success', reason: 'account-changed' }],
          };
        }
        const secret = newSecret();
        const record = withNewTotp(ctx.record, ctx.now, {
          secret, account, algorithm: totpAlgorithm, digits: totpDigits, periodSeconds: totpPeriod, provisionedBy: 'agent',
        });
        return {
          result: setupResult(secret, account, totpAlgorithm, totpDigits, totpPeriod),
          record,
          events: [{ type: 'totp.setup.started', method: 'totp', outcome: 'success', ...(current !== null ? { reason: 'restarted' } : {}) }],
        };
      });
    },

    confirmTotpSetup: (agentId, code) => transact(agentId, (ctx) => checkTotp(ctx, code, 'confirm')),

    verifyTotp: (agentId, code) => transact(agentId, (ctx) => checkTotp(ctx, code, 'login')),

    status: async (agentIdRaw) => {
      const agentId = _agentId(agentIdRaw);
      const loaded = await load(agentId);
      const now = nowMs();
      const r = loaded?.record ?? emptyRecord(now);
      const lastUsed = Math.max(r.totp?.lastUsedAt ?? -1, r.email?.lastUsedAt ?? -1);
      return {
        enrolled: enrolledMethods(r),
        totp:
          r.totp === null
            ? null
            : {
                status: r.totp.status,
                provisionedBy: r.totp.provisionedBy,
                createdAt: new Date(r.totp.createdAt),
                activatedAt: _date(r.totp.activatedAt),
                confirmedAt: _date(r.totp.confirmedAt),
                lastUsedAt: _date(r.totp.lastUsedAt),
              },
        email: r.email === null ? null : { address: r.email.address, enrolledAt: new Date(r.email.enrolledAt), lastUsedAt: _date(r.email.lastUsedAt) },
        enforced: r.enforced,
        lockedUntil: _date(lockedUntil(r, now)),
        failures: r.throttle.failures,
        graceStartedAt: _date(r.graceStartedAt),
        lastUsedAt: lastUsed < 0 ? null : new Date(lastUsed),
      };
    },

    admin: {
      provisionTotp: async (agentId, opts) => {
        const account = _account(_options('options', opts).account);
        return transact<BeginTotpSetupResult>(agentId, (ctx) => {
          if (!ctx.settings.totp) return { result: { ok: false as const, reason: 'method-disabled' as const } };
          if (ctx.record.totp?.status === 'active') return { result: { ok: false as const, reason: 'already-enrolled' as const } };
          const secret = newSecret();
          const record = withNewTotp(ctx.record, ctx.now, {
            secret, account, algorithm: totpAlgorithm, digits: totpDigits, periodSeconds: totpPeriod, provisionedBy: 'admin',
          });
          return {
            result: setupResult(secret, account, totpAlgorithm, totpDigits, totpPeriod),
            record,
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
          if (method !== 'email' && r.totp !== null) removed.push('totp');
          if (method !== 'totp' && r.email !== null) removed.push('email');
          return {
            result: { ok: true as const, removed },
            record: withRemoved(r, ctx.now, method),
            events: [{ type: 'admin.removed', outcome: 'success', ...(method === undefined ? {} : { method }), reason: removed.join(',') || 'nothing-enrolled' }],
          };
        });
      },

      unlock: (agentId) =>
        transact(agentId, (ctx) => {
          const wasLocked = lockedUntil(ctx.record, ctx.now) !== null;
          const record = withThrottleReset(ctx.record, ctx.now);
          if (record === ctx.record) return { result: { ok: true as const, wasLocked } };
          return { result: { ok: true as const, wasLocked }, record, events: [{ type: 'admin.unlocked', outcome: 'success' }] };
        }),
    },
  };
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
