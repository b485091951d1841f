/**
 * The throttle step every method takes, written once: refuse while suspended or
 * locked (before the input is looked at), and report a counted failure with the lock or the
 * suspension it started. The arithmetic lives in `record/throttle.ts`; this adds the results
 * and the events, so a change to the lockout rules happens in one place for every method.
 * @module
 */
import type { Method } from '../policy/types.js';
import type { TwoFactorEventType } from '../ports.js';
import { throttleRefusal, type ThrottleConfig } from '../record/throttle.js';
import type { AgentRecord } from '../record/schema.js';
import type { EventDraft, Step } from './events.js';
import type { LockedResult, SuspendedResult } from './types.js';

/**
 * The refusal of an attempt while the agent is suspended or locked, or `null`. Checked first,
 * so a locked or suspended guesser learns nothing and nothing is counted.
 */
export function throttledStep(
  record: AgentRecord,
  now: number,
  config: ThrottleConfig,
  method: Method,
  type: TwoFactorEventType,
): Step<SuspendedResult | LockedResult, never> | null {
  const refusal = throttleRefusal(record, now, config);
  if (refusal === null) return null;
  if (refusal.reason === 'suspended') {
    return { result: { ok: false, reason: 'suspended' }, events: [{ type, method, outcome: 'failure', reason: 'suspended' }] };
  }
  const retryAt = new Date(refusal.retryAt);
  return { result: { ok: false, reason: 'locked', retryAt }, events: [{ type, method, outcome: 'failure', reason: 'locked', lockedUntil: retryAt }] };
}

/**
 * A wrong code was counted (`failed` is the record after `withFailure`): the result and the
 * events, with the lock or the suspension it started. The failure that reaches the hard limit
 * answers `suspended`, so the page can say so at once.
 */
export function countedStep<Reason extends string>(
  failed: AgentRecord,
  method: Method,
  type: TwoFactorEventType,
  reason: Reason,
): Step<SuspendedResult | { ok: false; reason: Reason; retryAt?: Date }, AgentRecord> {
  const events: EventDraft[] = [{ type, method, outcome: 'failure', reason }];
  if (failed.throttle.suspendedAt !== null) {
    events.push({ type: 'throttle.suspended', method, outcome: 'failure', reason: 'too-many-failures' });
    return { result: { ok: false, reason: 'suspended' }, record: failed, events };
  }
  const lockEnd = failed.throttle.lockedUntil;
  if (lockEnd === null) return { result: { ok: false, reason }, record: failed, events };
  events.push({ type: 'throttle.locked', method, outcome: 'failure', reason: 'too-many-failures', lockedUntil: new Date(lockEnd) });
  return { result: { ok: false, reason, retryAt: new Date(lockEnd) }, record: failed, events };
}
