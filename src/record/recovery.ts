/**
 * Transitions of recovery codes: a new set replaces the old, a used code is gone and lets the
 * agent in (lifting a suspension), a wrong code counts on the codes' own counter, which locks
 * on the shared schedule but never suspends: the way back must stay open.
 * @module
 */
import type { AgentRecord, RecoveryRecord } from './schema.js';
import { lockMsAfter, withThrottleReset, type ThrottleConfig } from './throttle.js';

/** A new set: every earlier code is gone, the codes' counter starts at zero. */
export function withRecoveryCodes(
  record: AgentRecord,
  now: number,
  set: Pick<RecoveryRecord, 'digests' | 'kdf' | 'pepperId' | 'salt' | 'scrypt'>,
): AgentRecord {
  return { ...record, recovery: { ...set, createdAt: now, failures: 0, lockedUntil: null, lastFailureAt: null }, updatedAt: now };
}

/** The instant until which recovery codes are locked, or `null`. */
export function recoveryLockedUntil(record: AgentRecord, now: number): number | null {
  const until = record.recovery?.lockedUntil ?? null;
  return until !== null && now < until ? until : null;
}

/** A wrong recovery code: counted on the codes' own counter, locked on the shared schedule. */
export function withRecoveryFailure(record: AgentRecord, now: number, config: ThrottleConfig): AgentRecord {
  const r = record.recovery;
  if (r === null) throw new Error('withRecoveryFailure: the record has no recovery codes');
  const failures = r.failures + 1;
  const lockMs = lockMsAfter(failures, config);
  return { ...record, recovery: { ...r, failures, lockedUntil: lockMs > 0 ? now + lockMs : null, lastFailureAt: now }, updatedAt: now };
}

/**
 * The code at `index` was right: it is used up, both counters are cleared (the shared throttle
 * with its suspension, and the codes' own), and the check counts as a recent verification.
 */
export function withRecoveryUsed(record: AgentRecord, now: number, index: number): AgentRecord {
  const r = record.recovery;
  if (r === null || index < 0 || index >= r.digests.length) throw new Error('withRecoveryUsed: no such recovery code');
  const next: AgentRecord = {
    ...record,
    recovery: { ...r, digests: r.digests.filter((_, i) => i !== index), failures: 0, lockedUntil: null, lastFailureAt: null },
    lastVerifiedAt: now,
    updatedAt: now,
  };
  return withThrottleReset(next, now);
}
