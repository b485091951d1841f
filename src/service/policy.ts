/**
 * The policy flow: `policy()` and `skipSetup()`. Each asks the pure evaluator on the
 * already-checked settings, and stores the grace start the first time a `{ days }` grace
 * begins.
 * @module
 */
import { _evaluateChecked } from '../policy/evaluate.js';
import type { PolicyDecision } from '../policy/types.js';
import { enrolledMethods, type AgentRecord } from '../record/schema.js';
import { suspendedSince } from '../record/throttle.js';
import type { EventDraft } from './events.js';
import type { ServiceConfig } from './options.js';
import { hasUsableRecovery } from './recovery.js';
import { transact, type FlowState, type FlowStep } from './transact.js';
import type { SkipSetupResult } from './types.js';

/** The policy decision for the loaded record (times stay epoch ms until the decision). */
export function policyDecision(state: FlowState, config: Pick<ServiceConfig, 'throttle' | 'email'>): PolicyDecision {
  const { record } = state;
  return _evaluateChecked(
    state.settings,
    {
      enforced: record.enforced,
      enrolled: new Set(enrolledMethods(record)),
      graceStartedMs: record.graceStartedAt ?? undefined,
      suspended: suspendedSince(record, config.throttle) !== null,
      recoveryCode: hasUsableRecovery(record, config),
    },
    state.now,
  );
}

/** The record with the grace start stored, when this decision begins a `{ days }` grace. */
function _withGrace(state: FlowState, decision: PolicyDecision): AgentRecord | undefined {
  if (decision.action !== 'require' || !decision.startsGrace) return undefined;
  return { ...state.record, graceStartedAt: state.now, updatedAt: state.now };
}

/** `policy()`: the decision, and the grace start when it begins one. */
export function decidePolicy(state: FlowState, config: Pick<ServiceConfig, 'throttle' | 'email'>): FlowStep<PolicyDecision> {
  const decision = policyDecision(state, config);
  const record = _withGrace(state, decision);
  return record === undefined ? { result: decision } : { result: decision, record, events: [{ type: 'grace.started', outcome: 'success' }] };
}

/** `skipSetup()`: allowed only while a `require` decision's grace runs. */
export function decideSkipSetup(state: FlowState, config: Pick<ServiceConfig, 'throttle' | 'email'>): FlowStep<SkipSetupResult> {
  const decision = policyDecision(state, config);
  if (decision.action !== 'require') return { result: { ok: false, reason: 'not-skippable' } };
  const record = _withGrace(state, decision);
  const events: EventDraft[] = [{ type: 'setup.skipped', outcome: 'success' }];
  if (record !== undefined) events.unshift({ type: 'grace.started', outcome: 'success' });
  const result = { ok: true as const, until: new Date(decision.graceEndsAt.getTime()) };
  return record === undefined ? { result, events } : { result, record, events };
}

export function policy(config: ServiceConfig, agentId: string): Promise<PolicyDecision> {
  return transact(config, agentId, (state) => decidePolicy(state, config));
}

export function skipSetup(config: ServiceConfig, agentId: string): Promise<SkipSetupResult> {
  return transact(config, agentId, (state) => decideSkipSetup(state, config));
}
