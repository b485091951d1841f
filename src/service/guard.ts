/**
 * The second-method guard's one question: is a method active? Enrolled, and its
 * service switched on. A switched-off method counts exactly as it counts in the policy (not
 * at all), so a set-up the policy asks for is never refused because of it.
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import type { Method } from '../policy/types.js';
import type { FlowState } from './transact.js';

/**
 * Whether the agent's last successful 2FA check is recent enough (`DEFAULTS.verifiedWindowMs`)
 * to back a host's `sessionVerified: true`: the flag alone is only the host's word, and a
 * session verified hours ago, or never, must not add a way in (a step-up, like GitHub's sudo mode).
 */
export function recentlyVerified(state: FlowState): boolean {
  const at = state.record.lastVerifiedAt;
  return at !== null && state.now - at < DEFAULTS.verifiedWindowMs && at <= state.now + DEFAULTS.verifiedWindowMs;
}

/** Whether `method` is enrolled and switched on. */
export function isActive(state: FlowState, method: Method): boolean {
  return method === 'totp' ? state.record.totp !== null && state.settings.totp : state.record.email !== null && state.settings.email;
}

/**
 * Whether activating a set-up of `method` must remove the other method's enrollment: it is
 * enrolled, but switched off, so the set-up was allowed only for that reason (a dormant factor
 * must not wake up when an admin switches the method back on).
 */
export function supersedesOther(state: FlowState, method: Method): boolean {
  return method === 'totp' ? state.record.email !== null && !state.settings.email : state.record.totp !== null && !state.settings.totp;
}
