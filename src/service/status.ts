/**
 * `status()`: the agent's 2FA state as a screen shows it, projected from the record
 * by a pure function. It never contains a secret, a code or a set-up token.
 * @module
 */
import { newestLiveSetup } from '../record/setups.js';
import { emptyRecord, enrolledMethods, type AgentRecord } from '../record/schema.js';
import { lockedUntil, suspendedSince } from '../record/throttle.js';
import { agentIdArg, dateOrNull } from './args.js';
import type { SettingsProblem } from '../policy/settings.js';
import type { ServiceConfig } from './options.js';
import { recoveryKeyOf } from './recovery.js';
import { agentSettings } from './settings.js';
import { currentTime, loadRecord } from './transact.js';
import type { TwoFactorStatus } from './types.js';

/** What `status()` reports for `record` at `now`. */
export function projectStatus(r: AgentRecord, now: number, config: Pick<ServiceConfig, 'throttle' | 'email'>, problems: SettingsProblem[]): TwoFactorStatus {
  const lastUsed = Math.max(r.totp?.lastUsedAt ?? -1, r.email?.lastUsedAt ?? -1);
  const pending = newestLiveSetup(r, now);
  const challenge = r.emailChallenge;
  return {
    enrolled: enrolledMethods(r),
    totp:
      r.totp !== null
        ? {
            status: 'active',
            provisionedBy: r.totp.provisionedBy,
            createdAt: new Date(r.totp.createdAt),
            activatedAt: new Date(r.totp.activatedAt),
            confirmedAt: dateOrNull(r.totp.confirmedAt),
            lastUsedAt: dateOrNull(r.totp.lastUsedAt),
          }
        : pending !== null
          ? { status: 'pending', provisionedBy: 'agent', createdAt: new Date(pending.createdAt), activatedAt: null, confirmedAt: null, lastUsedAt: null }
          : null,
    totpSetups: r.totp !== null ? [] : r.totpSetups.filter((s) => now < s.expiresAt).map((s) => ({ createdAt: new Date(s.createdAt), expiresAt: new Date(s.expiresAt) })),
    email: r.email === null ? null : { address: r.email.address, enrolledAt: new Date(r.email.enrolledAt), lastUsedAt: dateOrNull(r.email.lastUsedAt) },
    emailCode:
      challenge === null ||
      now >= challenge.expiresAt ||
      (challenge.salt === null && config.email.pepper === undefined) // hashed under a pepper no longer configured
        ? null
        : {
            purpose: challenge.purpose,
            expiresAt: new Date(challenge.expiresAt),
            attemptsLeft: Math.max(0, config.email.limits.maxAttempts - challenge.attempts),
          },
    enforced: r.enforced,
    lockedUntil: dateOrNull(lockedUntil(r, now)),
    suspendedAt: dateOrNull(suspendedSince(r, config.throttle)),
    failures: r.throttle.failures,
    graceStartedAt: dateOrNull(r.graceStartedAt),
    lastUsedAt: lastUsed < 0 ? null : new Date(lastUsed),
    problems,
    recoveryCodes:
      r.recovery === null
        ? null
        : { remaining: r.recovery.digests.length, createdAt: new Date(r.recovery.createdAt), usable: recoveryKeyOf(r.recovery, config) !== null },
    lastVerifiedAt: dateOrNull(r.lastVerifiedAt),
  };
}

/** Reads the settings and the record (no write) and projects them. */
export async function status(config: ServiceConfig, agentIdRaw: string): Promise<TwoFactorStatus> {
  const agentId = agentIdArg(agentIdRaw);
  const { problems } = await agentSettings(config, agentId);
  const loaded = await loadRecord(config, agentId);
  const now = currentTime(config);
  return projectStatus(loaded?.record ?? emptyRecord(now), now, config, problems);
}
