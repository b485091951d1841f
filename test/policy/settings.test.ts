// validateSettings as a table: settings in, exact problems out.
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, validateSettings, type SettingsProblem } from '../../src/index.js';
import { END, at } from './_fixtures.js';

interface Row {
  readonly name: string;
  readonly settings: unknown;
  readonly problems: readonly Omit<SettingsProblem, 'message'>[];
}

const ON = { totp: true, email: true, requireAll: false };
const OFF = { totp: false, email: false, requireAll: false };

const ROWS: readonly Row[] = [
  { name: 'both methods on, nothing required', settings: ON, problems: [] },
  { name: 'required with a grace date', settings: { ...ON, requireAll: true, gracePeriod: { until: at(END) } }, problems: [] },
  { name: 'required with fractional grace days', settings: { ...ON, requireAll: true, gracePeriod: { days: 0.5 } }, problems: [] },
  { name: 'a grace date long past (no clock, so not reported)', settings: { ...ON, requireAll: true, gracePeriod: { until: at(0) } }, problems: [] },
  { name: 'a grace period without requireAll (prepared in advance)', settings: { ...ON, gracePeriod: { days: 3 } }, problems: [] },
  { name: 'everything off: 2FA switched off, which is valid', settings: OFF, problems: [] },
  { name: 'unknown keys are ignored', settings: { ...ON, sms: true }, problems: [] },
  { name: 'a null-prototype object', settings: Object.assign(Object.create(null), ON), problems: [] },
  { name: 'required with no method on', settings: { ...OFF, requireAll: true }, problems: [{ code: 'no-method-enabled', field: 'requireAll' }] },
  {
    name: 'a grace period with no method on',
    settings: { ...OFF, gracePeriod: { days: 3 } },
    problems: [{ code: 'no-method-enabled', field: 'gracePeriod' }],
  },
  {
    name: 'required with a grace period and no method on: reported once, on requireAll',
    settings: { ...OFF, requireAll: true, gracePeriod: { days: 3 } },
    problems: [{ code: 'no-method-enabled', field: 'requireAll' }],
  },
  {
    name: 'no-method-enabled is not guessed when a flag is malformed',
    settings: { totp: false, email: 'no', requireAll: true },
    problems: [{ code: 'invalid-flag', field: 'email' }],
  },
  { name: 'settings null', settings: null, problems: [{ code: 'invalid-settings' }] },
  { name: 'settings an array', settings: [ON], problems: [{ code: 'invalid-settings' }] },
  {
    name: 'every field wrong at once, in field order',
    settings: { totp: 'yes', email: 0, requireAll: null, gracePeriod: { until: 'tomorrow', days: -1 } },
    problems: [
      { code: 'invalid-flag', field: 'totp' },
      { code: 'invalid-flag', field: 'email' },
      { code: 'invalid-flag', field: 'requireAll' },
      { code: 'conflicting-grace-period', field: 'gracePeriod' },
      { code: 'invalid-grace-until', field: 'gracePeriod.until' },
      { code: 'invalid-grace-days', field: 'gracePeriod.days' },
    ],
  },
  {
    name: 'both grace forms, both valid',
    settings: { ...ON, requireAll: true, gracePeriod: { until: at(END), days: 7 } },
    problems: [{ code: 'conflicting-grace-period', field: 'gracePeriod' }],
  },
  { name: 'grace days as a numeric string', settings: { ...ON, gracePeriod: { days: '7' } }, problems: [{ code: 'invalid-grace-days', field: 'gracePeriod.days' }] },
  { name: 'grace date from JSON (a string)', settings: { ...ON, gracePeriod: { until: at(END).toJSON() } }, problems: [{ code: 'invalid-grace-until', field: 'gracePeriod.until' }] },
  { name: 'grace days 0', settings: { ...ON, gracePeriod: { days: 0 } }, problems: [{ code: 'invalid-grace-days', field: 'gracePeriod.days' }] },
  { name: 'grace period empty', settings: { ...ON, gracePeriod: {} }, problems: [{ code: 'invalid-grace-period', field: 'gracePeriod' }] },
];

describe('validateSettings', () => {
  for (const row of ROWS) {
    it(`${row.name} -> [${row.problems.map((p) => p.code).join(', ')}]`, () => {
      const problems = validateSettings(row.settings);
      expect(problems.map(({ message: _, ...rest }) => rest)).toStrictEqual(row.problems);
      for (const p of problems) expect(p.message).toMatch(/^"[\w.]+" (expected .+, got .+|could not be read \(\w+\))$/);
    });
  }

  it('messages name the field without a "settings." prefix and do not echo strings', () => {
    const [p] = validateSettings({ ...ON, totp: 'a secret-looking string' });
    expect(p?.message).toBe('"totp" expected a boolean, got a string of length 23');
  });

  it('returns a new array every time', () => {
    const a = validateSettings(ON);
    expect(a).toStrictEqual([]);
    expect(validateSettings(ON)).not.toBe(a);
  });
});

describe('gracePeriod: null means no grace period (as JSON stores "none")', () => {
  const base = { totp: true, email: false, requireAll: true };
  it('validateSettings reports nothing for it', () => {
    expect(validateSettings({ ...base, gracePeriod: null })).toEqual([]);
  });
  it('evaluatePolicy decides exactly as without a grace period', () => {
    const agent = { enforced: false, enrolled: [] as const };
    const now = at(END);
    const withNull = evaluatePolicy({ settings: { ...base, gracePeriod: null }, agent: { ...agent, enrolled: [] }, now });
    const without = evaluatePolicy({ settings: base, agent: { ...agent, enrolled: [] }, now });
    expect(withNull).toEqual(without);
    expect(withNull).toMatchObject({ action: 'enforce', next: 'setup', reason: 'required-for-all' });
  });
});
