/**
 * The one place that loads and saves records: `transact` reads the settings and the
 * clock once, then loads the agent's record, prepares what depends on it (an unsealed secret),
 * asks a pure decision what happens, seals and saves the new record with a compare-and-set,
 * emits the decision's events and mails the security notices they call for. A lost race
 * starts over from a fresh load, after a short random pause.
 * @module
 */
import { _describe } from '../shared/validate.js';
import { TwoFactorError } from '../errors.js';
import type { _CheckedSettings } from '../policy/settings.js';
import type { RecordVersion } from '../ports.js';
import { _webCryptoRandom } from '../shared/random.js';
import { checkRecord } from '../record/parse.js';
import { emptyRecord, type AgentRecord } from '../record/schema.js';
import { agentIdArg } from './args.js';
import { sealedRecord } from './at-rest.js';
import { emitEvents, type Step } from './events.js';
import { sendNotices } from './notices.js';
import type { ServiceConfig } from './options.js';
import { agentSettings } from './settings.js';

/** What a decision sees: the loaded record (or a fresh empty one), the time and the settings. */
export interface FlowState {
  readonly agentId: string;
  readonly record: AgentRecord;
  /** Whether the record exists in storage (false: `record` is a fresh empty one). */
  readonly exists: boolean;
  readonly now: number;
  readonly settings: _CheckedSettings;
}

/** A decision's step, with the record type fixed. */
export type FlowStep<R> = Step<R, AgentRecord>;

/**
 * Load, prepare, decide, compare-and-set; on a lost race, start over from a fresh load.
 * `decide` is pure and may run several times; `prepare` (optional) runs after each load and
 * supplies what depends on the loaded record, such as an unsealed secret.
 *
 * @throws TypeError for a bad agent id; TwoFactorError `STORAGE_FAILED`, `INVALID_RECORD`,
 *   `STORAGE_CONFLICT` (after `storageAttempts` lost races) or a cipher error.
 */
export async function transact<R, P = undefined>(
  config: ServiceConfig,
  agentIdRaw: unknown,
  decide: (state: FlowState, prepared: P) => FlowStep<R>,
  prepare?: (state: FlowState) => Promise<P>,
): Promise<R> {
  const agentId = agentIdArg(agentIdRaw);
  const { settings } = await agentSettings(config, agentId);
  const now = currentTime(config);
  for (let attempt = 0; attempt < config.attempts; attempt++) {
    const loaded = await loadRecord(config, agentId);
    const state: FlowState = { agentId, record: loaded?.record ?? emptyRecord(now), exists: loaded !== null, now, settings };
    const prepared = prepare === undefined ? (undefined as P) : await prepare(state);
    const step = decide(state, prepared);
    if (step.record !== undefined && !(await _save(config, agentId, step.record, loaded === null ? null : loaded.version))) {
      // Another writer won: decide again on what it wrote, after a short random pause so that
      // a burst of writers for one agent spreads out instead of colliding again at once.
      if (attempt + 1 < config.attempts) await _backoff(attempt);
      continue;
    }
    emitEvents(config, agentId, now, step.events);
    await sendNotices(config, agentId, now, step.events, loaded?.record ?? null, step.record ?? state.record);
    return step.result;
  }
  throw new TwoFactorError('STORAGE_CONFLICT', `gave up after ${config.attempts} conflicting writes`);
}

/** The clock's time as epoch ms. */
export function currentTime(config: ServiceConfig): number {
  const d = config.clock.now();
  const ms = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new TypeError('"clock.now()" expected a valid Date');
  return ms;
}

/** The agent's record (checked, in the current schema) and its version, or `null`. */
export async function loadRecord(config: ServiceConfig, agentId: string): Promise<{ record: AgentRecord; version: RecordVersion } | null> {
  let loaded: unknown;
  try {
    loaded = await config.storage.load(agentId);
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

async function _save(config: ServiceConfig, agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
  const stored = await sealedRecord(config.cipher, agentId, record);
  let ok: unknown;
  try {
    ok = await config.storage.save(agentId, stored, expected);
  } catch (cause) {
    throw new TwoFactorError('STORAGE_FAILED', 'storage.save failed', { cause });
  }
  if (typeof ok !== 'boolean') {
    throw new TwoFactorError('STORAGE_FAILED', `storage.save must resolve to a boolean, got ${_describe(ok)}`);
  }
  return ok;
}

/**
 * Waits a random 0 to min(2^attempt, 32) ms ("full jitter"). The pause is not security
 * relevant, but the house rule holds anyway: the random bits come from Web Crypto (not from
 * the `random` option, which tests fix to make secrets predictable, not timing).
 */
function _backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(2 ** attempt, 32);
  const bytes = new Uint8Array(4);
  _webCryptoRandom()(bytes);
  const word = new DataView(bytes.buffer).getUint32(0);
  const ms = Math.floor((word / 0x1_0000_0000) * (ceiling + 1));
  return new Promise((resolve) => setTimeout(resolve, ms));
}
