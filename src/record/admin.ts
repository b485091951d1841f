/**
 * The admin's edits of a record: removing 2FA (a lost phone).
 * @module
 */
import { CLEAR_THROTTLE, type AgentRecord } from './schema.js';

/**
 * An admin removed 2FA: the factor(s), any pending set-up or outstanding email code, the
 * throttle (with a suspension) and the grace start are cleared, so set-up starts afresh.
 * Removing the last method deletes the recovery codes too: they are a way back to a factor.
 */
export function withRemoved(record: AgentRecord, now: number, method: 'totp' | 'email' | undefined): AgentRecord {
  const totp = method !== 'email';
  const email = method !== 'totp';
  return {
    ...record,
    totp: totp ? null : record.totp,
    totpSetups: totp ? [] : record.totpSetups,
    droppedTotpSetups: totp ? [] : record.droppedTotpSetups,
    email: email ? null : record.email,
    emailChallenge: email ? null : record.emailChallenge,
    emailSends: email ? [] : record.emailSends,
    graceStartedAt: null,
    recovery: (totp || record.totp === null) && (email || record.email === null) ? null : record.recovery,
    throttle: { ...CLEAR_THROTTLE },
    updatedAt: now,
  };
}
