/**
 * The consecutive-failure throttle every method shares: a lock that starts at the
 * `freeFailures`-th failure and doubles up to `maxLockMs`, and a hard limit
 * (`maxConsecutiveFailures`, NIST SP 800-63B §5.2.2) that suspends the agent until an admin
 * unlocks. Written once, so a change to the lockout rules happens in one place.
 * @module
 */
import { CLEAR_THROTTLE, type AgentRecord } from './schema.js';

/** Throttle parameters (see `DEFAULTS.throttle`). */
export interface ThrottleConfig {
  /** Consecutive failures before the first lock: the `freeFailures`-th failure starts it; 1..100. */
  freeFailures: number;
  /** Length of the first lock; each further failure doubles it. */
  baseLockMs: number;
  /** The longest lock. */
  maxLockMs: number;
  /** The failure that suspends the agent: `freeFailures + 1`..1000, default 100. */
  maxConsecutiveFailures: number;
}

/** Why an attempt is refused before its input is looked at. */
export type ThrottleRefusal = { reason: 'suspended' } | { reason: 'locked'; retryAt: number };

/**
 * When the agent was suspended, or `null`. A record whose failures already reach the limit
 * (the limit was lowered, or the record comes from 0.1, which had none) counts as suspended
 * since its last failure, so no configuration grants more guesses than the limit.
 */
export function suspendedSince(record: AgentRecord, config: ThrottleConfig): number | null {
  const t = record.throttle;
  if (t.suspendedAt !== null) return t.suspendedAt;
  return t.failures >= config.maxConsecutiveFailures ? (t.lastFailureAt ?? record.updatedAt) : null;
}

/** The instant until which the agent is locked out, or `null` when attempts are allowed. */
export function lockedUntil(record: AgentRecord, now: number): number | null {
  const until = record.throttle.lockedUntil;
  return until !== null && now < until ? until : null;
}

/**
 * Whether an attempt at `now` must be refused without looking at its input: suspended
 * (until an admin unlocks) or locked (until `retryAt`). Every method checks this first, so a
 * refused guess tells the guesser nothing and counts nothing.
 */
export function throttleRefusal(record: AgentRecord, now: number, config: ThrottleConfig): ThrottleRefusal | null {
  if (suspendedSince(record, config) !== null) return { reason: 'suspended' };
  const until = lockedUntil(record, now);
  return until === null ? null : { reason: 'locked', retryAt: until };
}

/**
 * The lock that follows the `failures`-th consecutive failure, in ms, or 0 for none:
 * nothing for the first `freeFailures - 1`, then `baseLockMs` doubling per failure, capped.
 */
export function lockMsAfter(failures: number, config: Pick<ThrottleConfig, 'freeFailures' | 'baseLockMs' | 'maxLockMs'>): number {
  if (failures < config.freeFailures) return 0;
  const doublings = Math.min(failures - config.freeFailures, 40); // 2^40 > any sane cap
  return Math.min(config.baseLockMs * 2 ** doublings, config.maxLockMs);
}

/**
 * One more failed verification: counts it and starts or extends the lock; the
 * `maxConsecutiveFailures`-th suspends the agent instead (no lock: only an unlock ends it).
 */
export function withFailure(record: AgentRecord, now: number, config: ThrottleConfig): AgentRecord {
  const failures = record.throttle.failures + 1;
  if (failures >= config.maxConsecutiveFailures) {
    return { ...record, throttle: { failures, lockedUntil: null, lastFailureAt: now, suspendedAt: now }, updatedAt: now };
  }
  const lockMs = lockMsAfter(failures, config);
  return {
    ...record,
    throttle: { failures, lockedUntil: lockMs > 0 ? now + lockMs : null, lastFailureAt: now, suspendedAt: null },
    updatedAt: now,
  };
}

/** A successful verification or an admin unlock: the failure count, lock and suspension are cleared. */
export function withThrottleReset(record: AgentRecord, now: number): AgentRecord {
  const t = record.throttle;
  if (t.failures === 0 && t.lockedUntil === null && t.suspendedAt === null) return record;
  return { ...record, throttle: { ...CLEAR_THROTTLE }, updatedAt: now };
}
