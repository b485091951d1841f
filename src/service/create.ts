/**
 * `createTwoFactor`: wiring only. The options are resolved once into a frozen
 * config, and each method of the returned `TwoFactor` hands it to its flow (one file per flow,
 * each with a named pure decision; see docs/architecture.md).
 * @module
 */
import * as admin from './admin.js';
import { beginTotpSetup, confirmTotpSetup, verifyTotp } from './totp.js';
import { sendEmailCode, verifyEmailCode } from './email.js';
import { resolveOptions, type TwoFactorOptions } from './options.js';
import { policy, skipSetup } from './policy.js';
import { generateRecoveryCodes, verifyRecoveryCode } from './recovery.js';
import { serviceSettingsProblems } from './settings.js';
import { status } from './status.js';
import type { TwoFactor } from './types.js';

/**
 * Creates the two-factor service: the only part of twofold that loads and saves records,
 * reads the clock and emits events. Each call loads the agent's record, decides in pure code,
 * and saves with a compare-and-set, retrying on conflict, so replay protection and attempt
 * limits hold across concurrent requests and processes.
 *
 * @throws TypeError / RangeError for malformed options.
 * @example
 * ```ts
 * const twoFactor = createTwoFactor({
 *   storage: new MemoryStorage(),
 *   issuer: 'Acme Help',
 *   settings: () => loadOrgSettings(),
 * });
 * const decision = await twoFactor.policy(agent.id);
 * if (decision.next === 'verify') {
 *   const result = await twoFactor.verifyTotp(agent.id, form.code);
 *   if (!result.ok) return showError(result.reason === 'locked' ? 'Try again later' : 'Wrong code');
 * }
 * ```
 */
export function createTwoFactor(options: TwoFactorOptions): TwoFactor {
  const config = resolveOptions(options);
  return {
    policy: (agentId) => policy(config, agentId),
    skipSetup: (agentId) => skipSetup(config, agentId),
    beginTotpSetup: (agentId, opts) => beginTotpSetup(config, agentId, opts),
    confirmTotpSetup: (agentId, code, opts) => confirmTotpSetup(config, agentId, code, opts),
    verifyTotp: (agentId, code) => verifyTotp(config, agentId, code),
    sendEmailCode: (agentId, opts) => sendEmailCode(config, agentId, opts),
    verifyEmailCode: (agentId, code) => verifyEmailCode(config, agentId, code),
    status: (agentId) => status(config, agentId),
    generateRecoveryCodes: (agentId, opts) => generateRecoveryCodes(config, agentId, opts),
    verifyRecoveryCode: (agentId, code) => verifyRecoveryCode(config, agentId, code),
    admin: {
      provisionTotp: (agentId, opts) => admin.provisionTotp(config, agentId, opts),
      setEnforced: (agentId, on, actor) => admin.setEnforced(config, agentId, on, actor),
      remove: (agentId, opts) => admin.remove(config, agentId, opts),
      unlock: (agentId, actor) => admin.unlock(config, agentId, actor),
    },
    validateSettings: (settings) => serviceSettingsProblems(config, settings),
  };
}
