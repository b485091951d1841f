/**
 * The TOTP flows: begin a set-up (or show one again), confirm it, and verify a code at
 * login. Each has a named pure decision; the shells prepare what it needs (fresh random
 * values before the compare-and-set loop, the unsealed secret after each load) and run it
 * through `transact`.
 * @module
 */
import { _describe, _options } from '../shared/validate.js';
import { formatSecret } from '../otp/base32.js';
import { generateSecret } from '../otp/secret.js';
import { verifyTotp as checkTotpCode } from '../otp/totp.js';
import { buildKeyUri } from '../otp/uri.js';
import type { TotpKeyRecord, TotpSetupRecord } from '../record/schema.js';
import { findSetup, withSetupAccount, withSetupBegun } from '../record/setups.js';
import { suspendedSince, withFailure } from '../record/throttle.js';
import { withTotpAccepted, withTotpConfirmed } from '../record/totp.js';
import { hashSetupToken, newSetupToken, sameDigest } from './setup-token.js';
import { accountArg, flagArg } from './args.js';
import { unsealedSecret } from './at-rest.js';
import type { EventDraft } from './events.js';
import { isActive, recentlyVerified, supersedesOther } from './guard.js';
import type { ServiceConfig } from './options.js';
import { countedStep, throttledStep } from './throttle.js';
import { transact, type FlowState, type FlowStep } from './transact.js';
import type { BeginTotpSetupResult, TotpCheckResult, TotpKeyResult, TotpSetupResult } from './types.js';

type _Refusal = Extract<TotpCheckResult, { ok: false }>['reason'];

/** The secret and URI to hand to the agent for a key. */
export function keyResult(issuer: string, key: Omit<TotpKeyRecord, 'secretEncrypted'>): TotpKeyResult {
  const { secret, account, algorithm, digits, periodSeconds: period } = key;
  return { ok: true, secret, formattedSecret: formatSecret(secret), uri: buildKeyUri({ issuer, account, secret, algorithm, digits, period }) };
}

/** A fresh TOTP secret of the configured length. */
export function newTotpSecret(config: ServiceConfig): string {
  return generateSecret({ bytes: config.totp.secretBytes, random: config.random });
}

function _refused(reason: Exclude<_Refusal, 'locked' | 'suspended' | 'invalid-code'>): FlowStep<TotpCheckResult> {
  return {
    result: { ok: false, reason },
    events: [{ type: reason === 'setup-replaced' ? 'totp.setup.replaced' : 'totp.failed', method: 'totp', outcome: 'failure', reason }],
  };
}

/**
 * Checks `code` against a key at `now`, centred on the device's observed drift (django-otp's
 * approach). The stored drift is re-clamped to the current window: an operator who narrows
 * the window must not leave a device centred outside it.
 */
function _check(config: ServiceConfig, secret: string, key: TotpKeyRecord, code: string, now: number, driftSteps: number, lastStep: number | null) {
  const { window } = config.totp;
  const drift = Math.max(-window.past, Math.min(window.future, driftSteps));
  const check = checkTotpCode(secret, code, {
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

// ---- begin ------------------------------------------------------------------------------------

/** What `beginTotpSetup` decides on: the caller's arguments and the values drawn for a new set-up. */
export interface BeginTotpSetupInput {
  account: string;
  sessionVerified: boolean;
  /** The caller's token (a refresh), and its hash; null without one. */
  setupToken: string | null;
  tokenHash: string | null;
  /** Drawn before the compare-and-set loop, used only if a new set-up begins. */
  fresh: { secret: string; setupToken: string; tokenHash: string };
}

/** The refusal of a set-up before anything is shown, or null. */
function _refuseBegin(state: FlowState, input: BeginTotpSetupInput, config: ServiceConfig): FlowStep<BeginTotpSetupResult> | null {
  const refused = (reason: 'suspended' | 'other-method-active' | 'not-verified'): FlowStep<BeginTotpSetupResult> => ({
    result: { ok: false, reason },
    events: [{ type: 'totp.setup.refused', method: 'totp', outcome: 'failure', reason }],
  });
  if (suspendedSince(state.record, config.throttle) !== null) return refused('suspended');
  if (!state.settings.totp) return { result: { ok: false, reason: 'method-disabled' } };
  if (state.record.totp !== null) return { result: { ok: false, reason: 'already-enrolled' } };
  // A second method needs a session that passed 2FA: else a password alone adds a way in.
  if (isActive(state, 'email') && !input.sessionVerified) return refused('other-method-active');
  // ... and the host's word is backed by a recent check of the agent's own.
  if (isActive(state, 'email') && !recentlyVerified(state)) return refused('not-verified');
  return null;
}

/** The live set-up the caller's token names (a refresh), or null. */
function _refreshed(state: FlowState, input: BeginTotpSetupInput): TotpSetupRecord | null {
  if (input.tokenHash === null) return null;
  const found = findSetup(state.record, input.tokenHash, state.now, sameDigest);
  return found.kind === 'live' ? found.setup : null;
}

/**
 * `beginTotpSetup`: refuse, show a live set-up again to the holder of its token (same secret,
 * token and expiry), or add a fresh one (the oldest of 4 is dropped).
 * @param refreshSecret the unsealed secret of the set-up the token names, when there is one.
 */
export function decideBeginTotpSetup(
  state: FlowState,
  input: BeginTotpSetupInput,
  config: ServiceConfig,
  refreshSecret: string | null,
): FlowStep<BeginTotpSetupResult> {
  const refused = _refuseBegin(state, input, config);
  if (refused !== null) return refused;
  const { record, now } = state;
  const current = _refreshed(state, input);
  if (current !== null) {
    if (refreshSecret === null) throw new Error('decideBeginTotpSetup: the refreshed set-up\'s secret was not prepared');
    const result: TotpSetupResult = {
      ...keyResult(config.issuer, { ...current, secret: refreshSecret, account: input.account }),
      setupToken: input.setupToken!,
      expiresAt: new Date(current.expiresAt),
    };
    if (current.account === input.account) return { result };
    return {
      result,
      record: withSetupAccount(record, now, current.tokenHash, input.account),
      events: [{ type: 'totp.setup.started', method: 'totp', outcome: 'success', reason: 'account-changed' }],
    };
  }
  const { totp } = config;
  const setup: TotpSetupRecord = {
    tokenHash: input.fresh.tokenHash,
    sessionVerified: input.sessionVerified,
    secret: input.fresh.secret,
    secretEncrypted: false,
    account: input.account,
    algorithm: totp.algorithm,
    digits: totp.digits,
    periodSeconds: totp.periodSeconds,
    createdAt: now,
    expiresAt: now + totp.setupTtlMs,
  };
  const begun = withSetupBegun(record, now, setup);
  return {
    result: { ...keyResult(config.issuer, setup), setupToken: input.fresh.setupToken, expiresAt: new Date(setup.expiresAt) },
    record: begun.record,
    events: [{ type: 'totp.setup.started', method: 'totp', outcome: 'success', ...(begun.replaced ? { reason: 'oldest-dropped' } : {}) }],
  };
}

export async function beginTotpSetup(config: ServiceConfig, agentId: string, opts: unknown): Promise<BeginTotpSetupResult> {
  const o = _options('options', opts);
  const account = accountArg(o.account);
  const sessionVerified = flagArg('sessionVerified', o.sessionVerified);
  if (o.setupToken !== undefined && typeof o.setupToken !== 'string') {
    throw new TypeError(`"setupToken" expected a string, got ${_describe(o.setupToken)}`);
  }
  const setupToken = o.setupToken === undefined || o.setupToken === '' ? null : o.setupToken;
  const freshToken = newSetupToken(config.random);
  const fresh = { secret: newTotpSecret(config), setupToken: freshToken, tokenHash: hashSetupToken(freshToken)! };
  const input: BeginTotpSetupInput = { account, sessionVerified, setupToken, tokenHash: setupToken === null ? null : hashSetupToken(setupToken), fresh };
  return transact(
    config,
    agentId,
    (state, secret: string | null) => decideBeginTotpSetup(state, input, config, secret),
    async (state) => {
      const current = _refuseBegin(state, input, config) === null ? _refreshed(state, input) : null;
      return current === null ? null : unsealedSecret(config.cipher, state.agentId, current);
    },
  );
}

// ---- confirm ----------------------------------------------------------------------------------

/** The set-up a confirmation checks the code against, or the refusal that comes first. */
function _confirmTarget(state: FlowState, tokenHash: string | null, config: ServiceConfig): TotpSetupRecord | FlowStep<TotpCheckResult> {
  const { record, now } = state;
  if (suspendedSince(record, config.throttle) !== null) return throttledStep(record, now, config.throttle, 'totp', 'totp.failed')!;
  if (!state.settings.totp) return _refused('method-disabled');
  if (record.totp !== null) return _refused('already-enrolled');
  // The set-up token decides which set-up this is; without a live one, the code is not looked at.
  const found = tokenHash === null ? ({ kind: 'unknown' } as const) : findSetup(record, tokenHash, now, sameDigest);
  if (found.kind === 'unknown') return _refused('no-pending-setup');
  if (found.kind === 'expired') return _refused('setup-expired');
  if (found.kind === 'replaced') return _refused('setup-replaced');
  // Email was switched on (back) since this set-up began without a verified session.
  if (isActive(state, 'email') && !found.setup.sessionVerified) return _refused('other-method-active');
  return throttledStep(record, now, config.throttle, 'totp', 'totp.failed') ?? found.setup;
}

const _isSetup = (target: TotpSetupRecord | FlowStep<TotpCheckResult>): target is TotpSetupRecord => 'tokenHash' in target;

/**
 * `confirmTotpSetup`: the set-up named by the token becomes the active factor when `code` is
 * right for its secret (`secret`, unsealed); every other set-up is discarded.
 */
export function decideConfirmTotpSetup(
  state: FlowState,
  input: { code: string; tokenHash: string | null },
  config: ServiceConfig,
  secret: string | null,
): FlowStep<TotpCheckResult> {
  const target = _confirmTarget(state, input.tokenHash, config);
  if (!_isSetup(target)) return target;
  if (secret === null) throw new Error('decideConfirmTotpSetup: the set-up secret was not prepared');
  const { record, now } = state;
  const check = _check(config, secret, target, input.code, now, 0, null);
  if (check.valid) {
    // Allowed only because email is switched off: that enrollment goes in the same save.
    const supersede = supersedesOther(state, 'totp');
    const events: EventDraft[] = [{ type: 'totp.setup.confirmed', method: 'totp', outcome: 'success' }];
    if (supersede) events.push({ type: 'method.superseded', method: 'email', outcome: 'success', reason: 'totp' });
    return { result: { ok: true, method: 'totp' }, record: withTotpConfirmed(record, now, target, check, supersede), events };
  }
  if (check.reason === 'malformed' || check.reason === 'replayed') return _refused(check.reason);
  return countedStep(withFailure(record, now, config.throttle), 'totp', 'totp.failed', 'invalid-code');
}

export async function confirmTotpSetup(config: ServiceConfig, agentId: string, code: string, opts: unknown): Promise<TotpCheckResult> {
  const setupToken = _options('options', opts).setupToken;
  if (typeof setupToken !== 'string' || setupToken.length === 0) {
    throw new TypeError(`"setupToken" expected the non-empty string beginTotpSetup returned, got ${_describe(setupToken)}`);
  }
  const input = { code, tokenHash: hashSetupToken(setupToken) };
  return transact(
    config,
    agentId,
    (state, secret: string | null) => decideConfirmTotpSetup(state, input, config, secret),
    async (state) => {
      const target = _confirmTarget(state, input.tokenHash, config);
      return _isSetup(target) ? unsealedSecret(config.cipher, state.agentId, target) : null;
    },
  );
}

// ---- login ------------------------------------------------------------------------------------

/** The refusal of a login check that comes before the code is looked at, or null. */
function _refuseLogin(state: FlowState, config: ServiceConfig): FlowStep<TotpCheckResult> | null {
  const { record, now } = state;
  if (suspendedSince(record, config.throttle) !== null) return throttledStep(record, now, config.throttle, 'totp', 'totp.failed');
  if (!state.settings.totp) return _refused('method-disabled');
  if (record.totp === null) return _refused('not-enrolled');
  return throttledStep(record, now, config.throttle, 'totp', 'totp.failed');
}

/** `verifyTotp`: a code for the active factor (`secret`, unsealed), accepted once per step. */
export function decideVerifyTotp(state: FlowState, input: { code: string }, config: ServiceConfig, secret: string | null): FlowStep<TotpCheckResult> {
  const refused = _refuseLogin(state, config);
  if (refused !== null) return refused;
  if (secret === null) throw new Error('decideVerifyTotp: the secret was not prepared');
  const { record, now } = state;
  const f = record.totp!;
  const check = _check(config, secret, f, input.code, now, f.driftSteps, f.lastStep);
  if (check.valid) {
    return {
      result: { ok: true, method: 'totp' },
      record: withTotpAccepted(record, now, check.step, check.driftSteps),
      events: [{ type: 'totp.verified', method: 'totp', outcome: 'success' }],
    };
  }
  // Not a guess at an unknown code: no failure is counted (a replay needs the right code).
  if (check.reason === 'malformed' || check.reason === 'replayed') return _refused(check.reason);
  return countedStep(withFailure(record, now, config.throttle), 'totp', 'totp.failed', 'invalid-code');
}

export function verifyTotp(config: ServiceConfig, agentId: string, code: string): Promise<TotpCheckResult> {
  return transact(
    config,
    agentId,
    (state, secret: string | null) => decideVerifyTotp(state, { code }, config, secret),
    async (state) => (_refuseLogin(state, config) === null ? unsealedSecret(config.cipher, state.agentId, state.record.totp!) : null),
  );
}
