/**
 * The second-method guard's one question: is a method active? Enrolled, and its
 * service switched on. A switched-off method counts exactly as it counts in the policy (not
 * at all), so a set-up the policy asks for is never refused because of it.
 * @module
 */
import type { Method } from '../policy/types.js';
import type { FlowState } from './transact.js';

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
