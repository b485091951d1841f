/**
 * The admin's flows on an agent's profile: set TOTP up for the agent, the per-agent
 * "Enforce 2FA" toggle, remove 2FA (a lost phone), and unlock (a lock or a suspension).
 * @module
 */
import { _describe, _oneOf, _options } from '../shared/validate.js';
import { _hasLoneSurrogate } from '../shared/text.js';
import type { Method } from '../policy/types.js';
import { withRemoved } from '../record/admin.js';
import type { TotpKeyRecord } from '../record/schema.js';
import { lockedUntil, suspendedSince, withThrottleReset } from '../record/throttle.js';
import { withTotpProvisioned } from '../record/totp.js';
import { accountArg } from './args.js';
import type { EventDraft } from './events.js';
import type { ServiceConfig } from './options.js';
import { keyResult, newTotpSecret } from './totp.js';
import { transact, type FlowState, type FlowStep } from './transact.js';
import type { ProvisionTotpResult, UnlockResult } from './types.js';

/** `admin.provisionTotp`: an active factor at once, with `key` (its secret drawn before the loop). */
export function decideProvisionTotp(state: FlowState, key: Omit<TotpKeyRecord, 'secretEncrypted'>, config: ServiceConfig): FlowStep<ProvisionTotpResult> {
  if (!state.settings.totp) return { result: { ok: false, reason: 'method-disabled' } };
  if (state.record.totp !== null) return { result: { ok: false, reason: 'already-enrolled' } };
  return {
    result: keyResult(config.issuer, key),
    record: withTotpProvisioned(state.record, state.now, key),
    events: [{ type: 'admin.totp.provisioned', method: 'totp', outcome: 'success' }],
  };
}

/** `admin.setEnforced`: writes only a change (and never creates a record to say "off"). */
export function decideSetEnforced(state: FlowState, on: boolean): FlowStep<{ ok: true; enforced: boolean }> {
  const result = { ok: true as const, enforced: on };
  if (state.record.enforced === on && (state.exists || !on)) return { result };
  return {
    result,
    record: { ...state.record, enforced: on, updatedAt: state.now },
    events: [{ type: 'admin.enforced.changed', outcome: 'success', reason: on ? 'enforced' : 'not-enforced' }],
  };
}

/** `admin.remove`: the factor(s) and everything pending of them; nothing to remove writes nothing. */
export function decideRemove(state: FlowState, method: Method | undefined): FlowStep<{ ok: true; removed: Method[] }> {
  const r = state.record;
  const removed: Method[] = [];
  if (!state.exists) return { result: { ok: true, removed } };
  if (method !== 'email' && (r.totp !== null || r.totpSetups.length > 0)) removed.push('totp');
  if (method !== 'totp' && r.email !== null) removed.push('email');
  const pendingEmail = method !== 'totp' && r.emailChallenge !== null;
  const droppedSetups = method !== 'email' && r.droppedTotpSetups.length > 0;
  // Nothing of that method to remove: nothing changes (the lock and grace start stay).
  if (removed.length === 0 && !pendingEmail && !droppedSetups) return { result: { ok: true, removed } };
  const reason = removed.join(',') || (pendingEmail ? 'pending-email-code' : 'dropped-setups');
  return {
    result: { ok: true, removed },
    record: withRemoved(r, state.now, method),
    events: [{ type: 'admin.removed', outcome: 'success', ...(method === undefined ? {} : { method }), reason }],
  };
}

/** `admin.unlock`: clears the count, a lock and a suspension, and says which there was. */
export function decideUnlock(state: FlowState, config: Pick<ServiceConfig, 'throttle'>): FlowStep<UnlockResult> {
  const wasSuspended = suspendedSince(state.record, config.throttle) !== null;
  const result: UnlockResult = { ok: true, wasLocked: !wasSuspended && lockedUntil(state.record, state.now) !== null, wasSuspended };
  const record = withThrottleReset(state.record, state.now);
  if (record === state.record) return { result };
  return { result, record, events: [{ type: 'admin.unlocked', outcome: 'success', ...(wasSuspended ? { reason: 'suspended' } : {}) }] };
}

/** The acting admin as events carry it. */
type _Actor = Pick<EventDraft, 'actor' | 'actorReason'>;

const MAX_ACTOR_LENGTH = 200;
// C0 and C1 controls and DEL: they would let an audit line be forged or hidden.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function _actorField(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected a string, got ${_describe(value)}`);
  if (value.length === 0 || value.length > MAX_ACTOR_LENGTH || CONTROL.test(value) || _hasLoneSurrogate(value)) {
    throw new RangeError(`"${name}" expected 1..${MAX_ACTOR_LENGTH} characters without control characters, got ${_describe(value)}`);
  }
  return value;
}

/** `{ by?, reason? }` of an admin call, checked, as event fields. */
export function actorArg(o: Record<string, unknown>): _Actor {
  const actor = _actorField('by', o.by);
  const actorReason = _actorField('reason', o.reason);
  return { ...(actor === undefined ? {} : { actor }), ...(actorReason === undefined ? {} : { actorReason }) };
}

/** The step with the acting admin added to each of its events. */
function _byActor<R>(step: FlowStep<R>, actor: _Actor): FlowStep<R> {
  if (step.events === undefined || (actor.actor === undefined && actor.actorReason === undefined)) return step;
  return { ...step, events: step.events.map((event) => ({ ...event, ...actor })) };
}

export async function provisionTotp(config: ServiceConfig, agentId: string, opts: unknown): Promise<ProvisionTotpResult> {
  const o = _options('options', opts);
  const account = accountArg(o.account);
  const actor = actorArg(o);
  const { algorithm, digits, periodSeconds } = config.totp;
  const key = { secret: newTotpSecret(config), account, algorithm, digits, periodSeconds }; // drawn before the loop
  return transact(config, agentId, (state) => _byActor(decideProvisionTotp(state, key, config), actor));
}

export async function setEnforced(config: ServiceConfig, agentId: string, on: unknown, opts?: unknown): Promise<{ ok: true; enforced: boolean }> {
  if (typeof on !== 'boolean') throw new TypeError(`"on" expected a boolean, got ${_describe(on)}`);
  const actor = actorArg(_options('actor', opts));
  return transact(config, agentId, (state) => _byActor(decideSetEnforced(state, on), actor));
}

export async function remove(config: ServiceConfig, agentId: string, opts: unknown): Promise<{ ok: true; removed: Method[] }> {
  const o = _options('options', opts);
  const method = o.method === undefined ? undefined : _oneOf('method', o.method, ['totp', 'email'] as const);
  const actor = actorArg(o);
  return transact(config, agentId, (state) => _byActor(decideRemove(state, method), actor));
}

export async function unlock(config: ServiceConfig, agentId: string, opts?: unknown): Promise<UnlockResult> {
  const actor = actorArg(_options('actor', opts));
  return transact(config, agentId, (state) => _byActor(decideUnlock(state, config), actor));
}
