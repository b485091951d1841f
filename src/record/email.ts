/**
 * Transitions of email codes and the email factor. The code itself never reaches the
 * record: only its hash (see `src/email/`).
 * @module
 */
import { _sameJson } from '../shared/json.js';
import { withMethodActivated } from './activate.js';
import type { AgentRecord, EmailChallengeRecord, EmailFactorRecord } from './schema.js';
import { withFailure, withThrottleReset, type ThrottleConfig } from './throttle.js';

/** Limits of email codes (see `DEFAULTS.email`). */
export interface EmailLimits {
  /** How long a code is valid. */
  ttlMs: number;
  /** Wrong entries allowed per code; the last one burns it. */
  maxAttempts: number;
  /** Least time between two sends. */
  resendCooldownMs: number;
  /** Most sends within any hour. */
  maxSendsPerHour: number;
}

const HOUR_MS = 3_600_000;

/**
 * The send times that still count against the hourly cap at `now`, oldest first. A time up to
 * an hour after `now` (written by a server whose clock runs ahead) is kept: dropping it would
 * let a server whose clock lags skip the cooldown and the cap. One further ahead is a broken
 * clock, and ignored rather than allowed to block sends for longer than the cap's hour.
 */
export function recentEmailSends(record: AgentRecord, now: number): number[] {
  return record.emailSends.filter((t) => t > now - HOUR_MS && t <= now + HOUR_MS).sort((a, b) => a - b);
}

/** Why a new code cannot be sent at `now`, and when it can; `null` when it can. */
export function emailSendBlock(
  record: AgentRecord,
  now: number,
  limits: EmailLimits,
): { reason: 'cooldown' | 'too-many-sends'; retryAt: number } | null {
  const sends = recentEmailSends(record, now);
  const last = sends.at(-1);
  // The cooldown guards an outstanding code; once it was used, the next login may ask at once.
  if (last !== undefined && record.emailChallenge !== null && now < last + limits.resendCooldownMs) {
    return { reason: 'cooldown', retryAt: last + limits.resendCooldownMs };
  }
  if (sends.length >= limits.maxSendsPerHour) return { reason: 'too-many-sends', retryAt: sends[sends.length - limits.maxSendsPerHour]! + HOUR_MS };
  return null;
}

/** A new code was issued: it replaces any outstanding one, and the send is counted. */
export function withEmailChallenge(record: AgentRecord, now: number, challenge: EmailChallengeRecord): AgentRecord {
  // Through recentEmailSends, so one place decides which stamps are kept and in what order.
  const emailSends = recentEmailSends({ ...record, emailSends: [...record.emailSends, now] }, now);
  return { ...record, emailChallenge: challenge, emailSends, updatedAt: now };
}

/**
 * Undoes {@link withEmailChallenge} (`before` -> `after`) after the mail could not be sent. When nothing else was
 * written since (the stored record, TOTP secrets aside, is still `after`), the record comes
 * back exactly as `before`. Otherwise only our part is taken out: the previous challenge comes
 * back if ours is still the outstanding one, and our send no longer counts.
 */
export function withEmailSendUndone(
  record: AgentRecord,
  now: number,
  sent: { before: AgentRecord; after: AgentRecord },
): AgentRecord {
  const challenge = sent.after.emailChallenge;
  if (challenge === null) throw new Error('withEmailSendUndone: `after` holds no email challenge');
  // The TOTP factor and set-ups are left out of the comparison: a save may have encrypted their secrets.
  const bare = (r: AgentRecord) => ({ ...r, totp: null, totpSetups: [] });
  if (_sameJson(bare(record), bare(sent.after))) return { ...sent.before, totp: record.totp, totpSetups: record.totpSetups };
  const current = record.emailChallenge;
  const ours = current !== null && current.hash === challenge.hash && current.issuedAt === challenge.issuedAt;
  // The send was stamped with the time the challenge was issued (see withEmailChallenge).
  const index = record.emailSends.lastIndexOf(challenge.issuedAt);
  if (!ours && index < 0) return record;
  return {
    ...record,
    emailChallenge: ours ? sent.before.emailChallenge : current,
    emailSends: index < 0 ? record.emailSends : record.emailSends.filter((_, i) => i !== index),
    updatedAt: now,
  };
}

/** A wrong email code: one attempt of the challenge is used, and the agent's throttle counts it. */
export function withEmailCodeFailed(record: AgentRecord, now: number, throttle: ThrottleConfig): AgentRecord {
  const challenge = record.emailChallenge;
  if (challenge === null) throw new Error('withEmailCodeFailed: the record has no email challenge');
  return withFailure({ ...record, emailChallenge: { ...challenge, attempts: challenge.attempts + 1 } }, now, throttle);
}

/**
 * The right email code: the challenge is consumed (single use), a `setup` challenge enrolls its
 * address (an activation: pending TOTP set-ups are void, and with `supersedeTotp` a TOTP
 * factor whose service is switched off is removed), and the throttle is cleared.
 */
export function withEmailCodeAccepted(record: AgentRecord, now: number, supersedeTotp: boolean): AgentRecord {
  const challenge = record.emailChallenge;
  if (challenge === null) throw new Error('withEmailCodeAccepted: the record has no email challenge');
  const enrolling = challenge.purpose === 'setup' || record.email === null;
  const email: EmailFactorRecord = enrolling
    ? { address: challenge.address, enrolledAt: now, lastUsedAt: now }
    : { ...record.email!, lastUsedAt: now };
  const base = enrolling ? withMethodActivated(record, 'email', supersedeTotp) : record;
  return withThrottleReset({ ...base, email, emailChallenge: null, lastVerifiedAt: now, updatedAt: now }, now);
}
