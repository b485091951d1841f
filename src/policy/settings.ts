/**
 * The org settings: `validateSettings` for an admin screen, and the checks the
 * evaluator and the service share (`_checkSettings`), which reduce the grace period to one form.
 * @module
 */
import { _boolean, _describe, _instantMs } from '../shared/validate.js';

/**
 * Stable codes for the problems {@link validateSettings} reports. Hosts map them to their own
 * (translated) text; the set only grows.
 *
 * - `invalid-settings`: the settings are not an object (or could not be read at all).
 * - `invalid-flag`: `totp`, `email` or `requireAll` is missing or not a boolean.
 * - `invalid-grace-period`: `gracePeriod` is present but is not an object with `until` or `days`.
 * - `conflicting-grace-period`: `gracePeriod` has both `until` and `days`.
 * - `invalid-grace-until`: `gracePeriod.until` is not a valid `Date` at or after 1970.
 * - `invalid-grace-days`: `gracePeriod.days` is not a positive finite number.
 * - `no-method-enabled`: "require" (or a grace period) is set while both methods are off, so
 *   nobody can be asked to set up anything (the evaluator then skips 2FA by rule 1).
 * - `email-without-mailer`: Email 2FA is switched on, but the service was created without a
 *   `mailer`; the service counts Email as off. Reported by the service's own check
 *   (`twoFactor.validateSettings`) and by `status().problems`, not by the pure function.
 */
export type SettingsProblemCode =
  | 'invalid-settings'
  | 'invalid-flag'
  | 'invalid-grace-period'
  | 'conflicting-grace-period'
  | 'invalid-grace-until'
  | 'invalid-grace-days'
  | 'no-method-enabled'
  | 'email-without-mailer';

/** The settings field a problem is about, as a dotted path from the settings object. */
export type SettingsField = 'totp' | 'email' | 'requireAll' | 'gracePeriod' | 'gracePeriod.until' | 'gracePeriod.days';

/** One thing wrong with a settings object, for an admin screen or a log. */
export interface SettingsProblem {
  readonly code: SettingsProblemCode;
  /** The field to highlight; absent when the problem is the settings object as a whole. */
  readonly field?: SettingsField;
  /** A developer-facing English message, `"gracePeriod.days" expected ..., got ...`. */
  readonly message: string;
}

/** @internal Settings after checking: the grace period reduced to one tagged form. */
export interface _CheckedSettings {
  readonly totp: boolean;
  readonly email: boolean;
  readonly requireAll: boolean;
  readonly grace:
    | { readonly kind: 'none' }
    | { readonly kind: 'until'; readonly untilMs: number }
    | { readonly kind: 'days'; readonly days: number };
}

/** @internal A failed check: the problem code and the error the evaluator throws for it. */
interface _Finding {
  readonly code: SettingsProblemCode;
  readonly field?: SettingsField;
  readonly error: TypeError | RangeError;
}

/** @internal Throws unless `value` is a valid `Date` at or after 1970; returns epoch ms. */
export function _date(name: string, value: unknown): number {
  // The API takes `Date` only (times are epoch ms in records, `Date` in the API): a number or
  // an ISO string from JSON is a mistake the host should fix where it reads the data.
  if (!(value instanceof Date)) throw new TypeError(`"${name}" expected a Date, got ${_describe(value)}`);
  return _instantMs(name, value);
}

/** @internal Throws unless `value` is a non-null, non-array object. */
export function _object(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`"${name}" expected an object, got ${_describe(value)}`);
  }
  return value as Record<string, unknown>;
}

function _days(name: string, value: unknown): number {
  if (typeof value !== 'number') {
    throw new TypeError(`"${name}" expected a positive finite number of days, got ${_describe(value)}`);
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`"${name}" expected a positive finite number of days, got ${_describe(value)}`);
  }
  return value;
}

/**
 * @internal The one settings check behind both {@link validateSettings} (which lists every
 * finding) and `evaluatePolicy` (which throws the first), so the two can never disagree about
 * what is malformed. `prefix` is prepended to field names in messages (`settings.`).
 * Only TypeError/RangeError from the checks become findings; anything else (a throwing
 * getter) propagates.
 */
export function _checkSettings(
  value: unknown,
  prefix: string,
): { findings: _Finding[]; settings?: _CheckedSettings; raw?: Record<string, unknown> } {
  const findings: _Finding[] = [];
  const attempt = <T>(code: SettingsProblemCode, field: SettingsField | undefined, check: () => T): T | undefined => {
    try {
      return check();
    } catch (e) {
      if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
      findings.push(field === undefined ? { code, error: e } : { code, field, error: e });
      return undefined;
    }
  };

  const obj = attempt('invalid-settings', undefined, () => _object('settings', value));
  if (obj === undefined) return { findings };

  // Read each field once: a getter must not be able to answer differently to two reads.
  const raw = { totp: obj.totp, email: obj.email, requireAll: obj.requireAll, gracePeriod: obj.gracePeriod };
  const totp = attempt('invalid-flag', 'totp', () => _boolean(`${prefix}totp`, raw.totp));
  const email = attempt('invalid-flag', 'email', () => _boolean(`${prefix}email`, raw.email));
  const requireAll = attempt('invalid-flag', 'requireAll', () => _boolean(`${prefix}requireAll`, raw.requireAll));

  let grace: _CheckedSettings['grace'] | undefined = { kind: 'none' };
  // `null` is how JSON (and most settings tables) say "no grace period": read it as absent.
  if (raw.gracePeriod !== undefined && raw.gracePeriod !== null) {
    grace = undefined;
    const gp = attempt('invalid-grace-period', 'gracePeriod', () => _object(`${prefix}gracePeriod`, raw.gracePeriod));
    if (gp !== undefined) {
      const until = gp.until;
      const days = gp.days;
      // A key holding `undefined` counts as absent, as it would after JSON or an object spread.
      const hasUntil = until !== undefined;
      const hasDays = days !== undefined;
      if (hasUntil && hasDays) {
        findings.push({
          code: 'conflicting-grace-period',
          field: 'gracePeriod',
          error: new TypeError(`"${prefix}gracePeriod" expected either "until" or "days", got both`),
        });
      } else if (!hasUntil && !hasDays) {
        findings.push({
          code: 'invalid-grace-period',
          field: 'gracePeriod',
          error: new TypeError(`"${prefix}gracePeriod" expected { until: Date } or { days: number }, got neither`),
        });
      }
      // Check each present form even when both are present, so every problem is listed.
      const untilMs = hasUntil
        ? attempt('invalid-grace-until', 'gracePeriod.until', () => _date(`${prefix}gracePeriod.until`, until))
        : undefined;
      const dayCount = hasDays
        ? attempt('invalid-grace-days', 'gracePeriod.days', () => _days(`${prefix}gracePeriod.days`, days))
        : undefined;
      if (hasUntil !== hasDays) {
        if (untilMs !== undefined) grace = { kind: 'until', untilMs };
        if (dayCount !== undefined) grace = { kind: 'days', days: dayCount };
      }
    }
  }

  if (findings.length > 0 || totp === undefined || email === undefined || requireAll === undefined || !grace) {
    return { findings, raw };
  }
  return { findings, settings: { totp, email, requireAll, grace }, raw };
}

/**
 * Lists what is wrong with an organization's 2FA settings, for an admin screen to show before
 * saving them. An empty list means the settings are fine. Never throws, whatever it is given.
 *
 * Besides malformed fields (each of which would make {@link evaluatePolicy} throw), it reports
 * `no-method-enabled` when "require" or a grace period is set while both methods are off:
 * valid, but the evaluator then skips 2FA for everyone (rule 1), which is not what the admin
 * meant. It takes no clock, so it does not report a grace `until` in the past; compare that
 * with your own clock if you want to warn about it. Problems come in field order
 * (`totp`, `email`, `requireAll`, `gracePeriod`), then `no-method-enabled`.
 *
 * @example
 * ```ts
 * validateSettings({ totp: false, email: false, requireAll: true });
 * // [{ code: 'no-method-enabled', field: 'requireAll', message: '"requireAll" expected ...' }]
 * ```
 */
export function validateSettings(settings: unknown): SettingsProblem[] {
  try {
    const { findings, raw } = _checkSettings(settings, '');
    const problems: SettingsProblem[] = findings.map(({ code, field, error }) =>
      field === undefined ? { code, message: error.message } : { code, field, message: error.message },
    );
    // Rule 1 would skip 2FA for everyone although the admin asked for it.
    if (raw && raw.totp === false && raw.email === false && (raw.requireAll === true || raw.gracePeriod !== undefined)) {
      const field = raw.requireAll === true ? 'requireAll' : 'gracePeriod';
      problems.push({
        code: 'no-method-enabled',
        field,
        message: `"${field}" expected "totp" or "email" on, got both off`,
      });
    }
    return problems;
  } catch (e) {
    // A getter or proxy that throws: report it rather than throw from an admin screen.
    const what = e instanceof Error ? e.name : typeof e;
    return [{ code: 'invalid-settings', message: `"settings" could not be read (${what})` }];
  }
}
