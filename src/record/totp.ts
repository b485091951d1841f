/**
 * Transitions of the active TOTP factor: provisioned by an admin, confirmed from a
 * pending set-up, or a code accepted at login.
 * @module
 */
import { withMethodActivated } from './activate.js';
import type { AgentRecord, TotpKeyRecord, TotpSetupRecord } from './schema.js';
import { withThrottleReset } from './throttle.js';

/**
 * An admin set TOTP up: the factor is active at once (the admin hands the secret over), and,
 * like any activation, pending set-ups and an email set-up code are void.
 */
export function withTotpProvisioned(record: AgentRecord, now: number, key: Omit<TotpKeyRecord, 'secretEncrypted'>): AgentRecord {
  return {
    ...withMethodActivated(record, 'totp', false),
    totp: {
      ...key,
      secretEncrypted: false,
      provisionedBy: 'admin',
      createdAt: now,
      activatedAt: now,
      confirmedAt: null,
      lastStep: null,
      driftSteps: 0,
      lastUsedAt: null,
    },
    updatedAt: now,
  };
}

/**
 * The agent confirmed `setup` with a code for `step`: it becomes the active factor, every
 * other pending set-up is void, and the throttle is cleared. `supersedeEmail` removes an
 * email enrollment whose service is switched off (see `withMethodActivated`).
 */
export function withTotpConfirmed(
  record: AgentRecord,
  now: number,
  setup: TotpSetupRecord,
  accepted: { step: number; driftSteps: number },
  supersedeEmail: boolean,
): AgentRecord {
  const { secret, secretEncrypted, account, algorithm, digits, periodSeconds, createdAt } = setup;
  const next: AgentRecord = {
    ...withMethodActivated(record, 'totp', supersedeEmail),
    totp: {
      secret,
      secretEncrypted,
      account,
      algorithm,
      digits,
      periodSeconds,
      provisionedBy: 'agent',
      createdAt,
      activatedAt: now,
      confirmedAt: now,
      lastStep: accepted.step,
      driftSteps: accepted.driftSteps,
      lastUsedAt: now,
    },
    lastVerifiedAt: now,
    updatedAt: now,
  };
  return withThrottleReset(next, now);
}

/**
 * A login code for `step` was accepted: remember the step (RFC 6238 §5.2, a step is accepted
 * once) and the device's drift, and clear the throttle.
 */
export function withTotpAccepted(record: AgentRecord, now: number, step: number, driftSteps: number): AgentRecord {
  const totp = record.totp;
  if (totp === null) throw new Error('withTotpAccepted: the record has no TOTP factor');
  const next: AgentRecord = {
    ...record,
    totp: { ...totp, confirmedAt: totp.confirmedAt ?? now, lastStep: step, driftSteps, lastUsedAt: now },
    lastVerifiedAt: now,
    updatedAt: now,
  };
  return withThrottleReset(next, now);
}
