/**
 * What activating one method does to the rest of the record: every pending set-up of
 * either method begun before is void, and an enrollment of the other method whose service is
 * switched off can be superseded (removed in the same save).
 * @module
 */
import type { AgentRecord } from './schema.js';

/**
 * `method` just became active. Pending TOTP set-ups are discarded, and so is an outstanding
 * email *set-up* code: they were begun under other conditions, and would otherwise let a
 * password alone add a second method later without the `sessionVerified` check.
 * With `supersedeOther`, the other method's enrollment is removed too: the service asks for
 * that when the set-up was allowed only because that method's service is switched off, so no
 * dormant factor can wake up when an admin switches the method back on.
 */
export function withMethodActivated(record: AgentRecord, method: 'totp' | 'email', supersedeOther: boolean): AgentRecord {
  const challenge = record.emailChallenge;
  const next: AgentRecord = {
    ...record,
    totpSetups: [],
    droppedTotpSetups: [],
    emailChallenge: challenge?.purpose === 'setup' && method === 'totp' ? null : challenge,
  };
  if (!supersedeOther) return next;
  return method === 'totp' ? { ...next, email: null, emailChallenge: null } : { ...next, totp: null };
}
