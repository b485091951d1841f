/**
 * The recovery-code flows: generate a set (shown once; needs a recent check) and use a code to
 * log in when the phone is gone. Hashing is slow by design (scrypt without a pepper), so the
 * new set is hashed before the compare-and-set loop, and a submitted code is derived once after
 * the load, only when the codes can be checked at all.
 * @module
 */
import { generateRecoveryCodes as drawCodes, normalizeRecoveryCode } from '../recovery/code.js';
import { indexOfDigest, pepperFingerprint, recoveryDigest, type RecoveryKey } from '../recovery/hash.js';
import { recoveryLockedUntil, withRecoveryCodes, withRecoveryFailure, withRecoveryUsed } from '../record/recovery.js';
import type { AgentRecord, RecoveryRecord } from '../record/schema.js';
import { DEFAULTS } from '../defaults.js';
import { _options } from '../shared/validate.js';
import { _randomBytes } from '../shared/random.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { flagArg } from './args.js';
import { isActive, recentlyVerified } from './guard.js';
import type { ServiceConfig } from './options.js';
import type { EventDraft } from './events.js';
import { transact, type FlowState, type FlowStep } from './transact.js';
import type { GenerateRecoveryCodesResult, RecoveryCheckResult } from './types.js';

const { count: COUNT, length: LENGTH } = DEFAULTS.recovery;

// The configured peppers' fingerprints, computed once each: `policy()` asks at every login.
const _fingerprints = new WeakMap<Uint8Array, string>();
function _fingerprintOf(pepper: Uint8Array): string {
  let id = _fingerprints.get(pepper);
  if (id === undefined) _fingerprints.set(pepper, (id = pepperFingerprint(pepper)));
  return id;
}

/** The key a set's codes are checked with, or `null` when no configured pepper made the set. */
export function recoveryKeyOf(r: RecoveryRecord, config: Pick<ServiceConfig, 'email'>): RecoveryKey | null {
  if (r.kdf === 'scrypt') return { kind: 'scrypt', salt: hexToBytes(r.salt!), params: r.scrypt! };
  for (const pepper of [config.email.pepper, config.email.previousPepper]) {
    if (pepper !== undefined && _fingerprintOf(pepper) === r.pepperId) return { kind: 'hmac', pepper };
  }
  return null;
}

/** Whether the agent has codes left that this service can check. */
export function hasUsableRecovery(record: AgentRecord, config: Pick<ServiceConfig, 'email'>): boolean {
  const r = record.recovery;
  return r !== null && r.digests.length > 0 && recoveryKeyOf(r, config) !== null;
}

// ---- generate ---------------------------------------------------------------------------------

/** The refusal of a new set (no method, or no recent check of the agent's own), or null. */
function _refuseGenerate(state: FlowState, sessionVerified: boolean): FlowStep<GenerateRecoveryCodesResult> | null {
  const refused = (reason: 'not-enrolled' | 'not-verified'): FlowStep<GenerateRecoveryCodesResult> => ({
    result: { ok: false, reason },
    events: [{ type: 'recovery.failed', method: 'recovery', outcome: 'failure', reason }],
  });
  if (!isActive(state, 'totp') && !isActive(state, 'email')) return refused('not-enrolled');
  if (!sessionVerified || !recentlyVerified(state)) return refused('not-verified');
  return null;
}

/** `generateRecoveryCodes`: a new set replaces the old, for an enrolled agent who just verified. */
export function decideGenerateRecoveryCodes(
  state: FlowState,
  input: { sessionVerified: boolean; codes: string[]; set: Pick<RecoveryRecord, 'digests' | 'kdf' | 'pepperId' | 'salt' | 'scrypt'> },
  _config: ServiceConfig,
): FlowStep<GenerateRecoveryCodesResult> {
  const refused = _refuseGenerate(state, input.sessionVerified);
  if (refused !== null) return refused;
  return {
    result: { ok: true, codes: input.codes },
    record: withRecoveryCodes(state.record, state.now, input.set),
    events: [{ type: 'recovery.generated', method: 'recovery', outcome: 'success', remaining: input.codes.length }],
  };
}

export async function generateRecoveryCodes(config: ServiceConfig, agentId: string, opts: unknown): Promise<GenerateRecoveryCodesResult> {
  const sessionVerified = flagArg('sessionVerified', _options('options', opts).sessionVerified);
  // Refuse before hashing: ten scrypt derivations take about a second, and a caller holding
  // only the password must not be able to make the server do that work at will. (The decision
  // below checks again, on the record the save is based on.)
  const early = await transact(config, agentId, (state): FlowStep<GenerateRecoveryCodesResult | null> => _refuseGenerate(state, sessionVerified) ?? { result: null });
  if (early !== null) return early;
  // Drawn and hashed once, before the compare-and-set loop (scrypt is slow on purpose).
  const codes = drawCodes(config.random, COUNT, LENGTH);
  const pepper = config.email.pepper;
  const salt = pepper === undefined ? _randomBytes(config.random, 16) : null;
  const params = { ...DEFAULTS.recovery.scrypt };
  const key: RecoveryKey = pepper !== undefined ? { kind: 'hmac', pepper } : { kind: 'scrypt', salt: salt!, params };
  const digests = await Promise.all(codes.map((code) => recoveryDigest(normalizeRecoveryCode(code, LENGTH)!, key)));
  const set = {
    digests,
    kdf: key.kind,
    pepperId: pepper === undefined ? null : _fingerprintOf(pepper),
    salt: salt === null ? null : bytesToHex(salt),
    scrypt: pepper === undefined ? params : null,
  };
  return transact(config, agentId, (state) => decideGenerateRecoveryCodes(state, { sessionVerified, codes, set }, config));
}

// ---- use --------------------------------------------------------------------------------------

/** The refusal that comes before a code is derived, or null. */
function _refuseCheck(state: FlowState, code: string | null, config: ServiceConfig): FlowStep<RecoveryCheckResult> | null {
  const refused = (reason: 'no-codes' | 'malformed'): FlowStep<RecoveryCheckResult> => ({
    result: { ok: false, reason },
    events: [{ type: 'recovery.failed', method: 'recovery', outcome: 'failure', reason }],
  });
  // Recovery is the way back from a suspension: it is not refused for one.
  if (!hasUsableRecovery(state.record, config)) return refused('no-codes');
  const until = recoveryLockedUntil(state.record, state.now);
  if (until !== null) {
    const retryAt = new Date(until);
    return { result: { ok: false, reason: 'locked', retryAt }, events: [{ type: 'recovery.failed', method: 'recovery', outcome: 'failure', reason: 'locked', lockedUntil: retryAt }] };
  }
  return code === null ? refused('malformed') : null;
}

/** `verifyRecoveryCode`: `digest` is the submitted code derived with the set's key. */
export function decideVerifyRecoveryCode(state: FlowState, code: string | null, config: ServiceConfig, digest: string | null): FlowStep<RecoveryCheckResult> {
  const refused = _refuseCheck(state, code, config);
  if (refused !== null) return refused;
  if (digest === null) throw new Error('decideVerifyRecoveryCode: the digest was not prepared');
  const { record, now } = state;
  const index = indexOfDigest(digest, record.recovery!.digests);
  if (index >= 0) {
    const used = withRecoveryUsed(record, now, index);
    const remaining = used.recovery!.digests.length;
    return { result: { ok: true, method: 'recovery', remaining }, record: used, events: [{ type: 'recovery.used', method: 'recovery', outcome: 'success', remaining }] };
  }
  // The codes' own counter: a lock on the shared schedule, never a suspension.
  const failed = withRecoveryFailure(record, now, config.throttle);
  const lockEnd = failed.recovery!.lockedUntil;
  const events: EventDraft[] = [{ type: 'recovery.failed', method: 'recovery', outcome: 'failure', reason: 'invalid-code' }];
  if (lockEnd === null) return { result: { ok: false, reason: 'invalid-code' }, record: failed, events };
  const retryAt = new Date(lockEnd);
  events.push({ type: 'throttle.locked', method: 'recovery', outcome: 'failure', reason: 'too-many-failures', lockedUntil: retryAt });
  return { result: { ok: false, reason: 'invalid-code', retryAt }, record: failed, events };
}

export function verifyRecoveryCode(config: ServiceConfig, agentId: string, input: string): Promise<RecoveryCheckResult> {
  const code = normalizeRecoveryCode(input, LENGTH);
  return transact(
    config,
    agentId,
    (state, digest: string | null) => decideVerifyRecoveryCode(state, code, config, digest),
    async (state) => {
      if (_refuseCheck(state, code, config) !== null) return null;
      return recoveryDigest(code!, recoveryKeyOf(state.record.recovery!, config)!);
    },
  );
}
