/**
 * The org settings as the service reads them: from the source (a value, or a function given
 * the agent id), checked once per call, and with Email counted as switched off when there is
 * no mailer, so a login never meets an exception for it. The service's own settings check for
 * an admin screen adds that problem to those of `validateSettings`.
 * @module
 */
import type { _CheckedSettings, SettingsProblem } from '../policy/settings.js';
import { validateSettings } from '../policy/settings.js';
import { _readSettings, type ServiceConfig } from './options.js';

const EMAIL_WITHOUT_MAILER: SettingsProblem = Object.freeze({
  code: 'email-without-mailer',
  field: 'email',
  message: '"email" is switched on, but the service has no mailer: email codes cannot be sent, so Email counts as off',
});

/**
 * The settings that apply to `agentId` now, and the problems a status page should show.
 * @throws TypeError / RangeError when the source returns invalid settings.
 */
export async function agentSettings(config: ServiceConfig, agentId: string): Promise<{ settings: _CheckedSettings; problems: SettingsProblem[] }> {
  const source = config.settingsSource;
  const settings = _readSettings(typeof source === 'function' ? await source(agentId) : source);
  if (settings.email && config.mailer === undefined) return { settings: { ...settings, email: false }, problems: [{ ...EMAIL_WITHOUT_MAILER }] };
  return { settings, problems: [] };
}

/** `validateSettings`, plus what only this service knows: Email switched on without a mailer. */
export function serviceSettingsProblems(config: ServiceConfig, settings: unknown): SettingsProblem[] {
  const problems = validateSettings(settings);
  const email = (settings as { email?: unknown } | null | undefined)?.email;
  if (email === true && config.mailer === undefined) problems.push({ ...EMAIL_WITHOUT_MAILER });
  return problems;
}
