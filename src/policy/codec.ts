/**
 * Settings as JSON: `parseSettings` reads what a database or an API returned (already parsed
 * JSON) into `PolicySettings`, and `serializeSettings` writes `PolicySettings` as a plain JSON
 * object. A grace date travels as an ISO 8601 string with a time zone.
 * @module
 */
import { _describe } from '../shared/validate.js';
import { validateSettings, type SettingsProblem } from './settings.js';
import type { GracePeriod, PolicySettings } from './types.js';

/** Settings as JSON stores them: the grace date as an ISO 8601 string. */
export interface SettingsJson {
  totp: boolean;
  email: boolean;
  requireAll: boolean;
  /** Absent: no grace period. */
  gracePeriod?: { until: string } | { days: number };
}

/** The outcome of {@link parseSettings}. */
export type ParseSettingsResult = { ok: true; settings: PolicySettings } | { ok: false; problems: SettingsProblem[] };

/**
 * An ISO 8601 date-time with a time zone (`Z` or `±hh:mm`): a bare date or local time is
 * ambiguous. The year is 4 digits, or `+` and 6 (the expanded form `toISOString` writes
 * after 9999).
 */
const ISO_WITH_ZONE = /^(\d{4}|\+\d{6})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

const _isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads settings from a parsed JSON value (what `JSON.parse` or a jsonb column returned).
 * Unknown keys are ignored, so settings written by a later version (which adds optional
 * fields with defaults) still read. `gracePeriod.until` is read only as an ISO 8601 string with
 * a time zone; `gracePeriod: null` means none. Never throws: anything unusable comes back as
 * problems, with the codes of {@link validateSettings}.
 *
 * @example
 * ```ts
 * const parsed = parseSettings(row.settings); // { totp: true, ..., gracePeriod: { until: '2026-04-01T00:00:00Z' } }
 * if (!parsed.ok) return showProblems(parsed.problems);
 * createTwoFactor({ ..., settings: parsed.settings });
 * ```
 */
export function parseSettings(value: unknown): ParseSettingsResult {
  try {
    if (!_isPlainObject(value)) return { ok: false, problems: validateSettings(value) };
    const settings: Record<string, unknown> = { totp: value.totp, email: value.email, requireAll: value.requireAll };
    const problems: SettingsProblem[] = [];
    const grace = value.gracePeriod;
    if (_isPlainObject(grace)) {
      const read: Record<string, unknown> = {};
      if ('days' in grace) read.days = grace.days;
      if ('until' in grace) {
        const until = _isoDate(grace.until);
        if (until === null) {
          problems.push({
            code: 'invalid-grace-until',
            field: 'gracePeriod.until',
            message: `"gracePeriod.until" expected an ISO 8601 date-time with a time zone, got ${_describe(grace.until)}`,
          });
        } else read.until = until;
      }
      if (problems.length === 0) settings.gracePeriod = read;
    } else if (grace !== undefined && grace !== null) {
      settings.gracePeriod = grace; // not an object: validateSettings names the problem
    }
    problems.push(...validateSettings(settings));
    return problems.length > 0 ? { ok: false, problems } : { ok: true, settings: settings as unknown as PolicySettings };
  } catch {
    // A getter that throws, a proxy: not JSON at all.
    return { ok: false, problems: [{ code: 'invalid-settings', message: '"settings" could not be read as JSON' }] };
  }
}

/**
 * Writes settings as a plain JSON object, the form {@link parseSettings} reads: the grace date
 * as an ISO 8601 UTC string, no grace period as no `gracePeriod` key.
 *
 * @throws TypeError with the first problem {@link validateSettings} reports.
 */
export function serializeSettings(settings: PolicySettings): SettingsJson {
  const problem = validateSettings(settings)[0];
  if (problem !== undefined) throw new TypeError(problem.message);
  const { totp, email, requireAll } = settings;
  const grace = settings.gracePeriod as GracePeriod | null | undefined;
  if (grace === undefined || grace === null) return { totp, email, requireAll };
  if (grace.until !== undefined) return { totp, email, requireAll, gracePeriod: { until: grace.until.toISOString() } };
  return { totp, email, requireAll, gracePeriod: { days: grace.days } };
}

/** The instant of an ISO 8601 date-time with a zone, or null. Every field is range-checked:
 * `Date.parse` alone turns 2026-02-30 into 2 March and accepts 24:00. */
function _isoDate(value: unknown): Date | null {
  const m = typeof value === 'string' ? ISO_WITH_ZONE.exec(value) : null;
  if (m === null) return null;
  const [year, month, day, hour, minute, second = 0, zoneHour = 0, zoneMinute = 0] = m.slice(1).map((x) => (x === undefined ? undefined : Number(x))) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth) return null;
  if (hour! > 23 || minute! > 59 || second > 59 || zoneHour > 23 || zoneMinute > 59) return null;
  const ms = Date.parse(value as string);
  return Number.isNaN(ms) || ms < 0 ? null : new Date(ms);
}
