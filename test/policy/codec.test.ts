/**
 * The settings codec, src/policy/codec.ts: parseSettings reads parsed JSON and never throws;
 * serializeSettings writes plain JSON and refuses what validateSettings refuses; a round trip
 * gives the settings back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSettings, serializeSettings, validateSettings, type PolicySettings } from '../../src/index.js';
import { BAD_VALUES } from '../_bad-inputs.js';

const until = new Date('2026-04-01T00:00:00.000Z');

describe('parseSettings', () => {
  it.each([
    ['no grace period', { totp: true, email: false, requireAll: false }, { totp: true, email: false, requireAll: false }],
    ['gracePeriod null', { totp: true, email: true, requireAll: true, gracePeriod: null }, { totp: true, email: true, requireAll: true }],
    ['until in UTC', { totp: true, email: true, requireAll: true, gracePeriod: { until: '2026-04-01T00:00:00Z' } }, { totp: true, email: true, requireAll: true, gracePeriod: { until } }],
    ['until with an offset and fractions', { totp: true, email: false, requireAll: true, gracePeriod: { until: '2026-04-01T02:00:00.000+02:00' } }, { totp: true, email: false, requireAll: true, gracePeriod: { until } }],
    ['until without seconds', { totp: true, email: false, requireAll: true, gracePeriod: { until: '2026-03-31T19:00-05:00' } }, { totp: true, email: false, requireAll: true, gracePeriod: { until } }],
    ['until after 9999, in the expanded form toISOString writes', { totp: true, email: false, requireAll: true, gracePeriod: { until: '+010000-01-01T00:00:00.000Z' } }, { totp: true, email: false, requireAll: true, gracePeriod: { until: new Date(Date.UTC(10000, 0, 1)) } }],
    ['days', { totp: false, email: true, requireAll: true, gracePeriod: { days: 14 } }, { totp: false, email: true, requireAll: true, gracePeriod: { days: 14 } }],
    ['unknown keys at both levels are ignored', { totp: true, email: false, requireAll: true, sso: 'okta', gracePeriod: { days: 1.5, note: 'x' } }, { totp: true, email: false, requireAll: true, gracePeriod: { days: 1.5 } }],
  ])('%s', (_name, json, expected) => {
    const parsed = parseSettings(json);
    expect(parsed).toEqual({ ok: true, settings: expected });
    if (parsed.ok) expect(validateSettings(parsed.settings)).toEqual([]);
  });

  it.each([
    ['a date only', '2026-04-01'],
    ['no time zone', '2026-04-01T00:00:00'],
    ['a space for T', '2026-04-01 00:00:00Z'],
    ['30 February', '2026-02-30T00:00:00Z'],
    ['hour 24', '2026-04-01T24:00:00Z'],
    ['minute 60', '2026-04-01T00:60:00Z'],
    ['an offset of 25 hours', '2026-04-01T00:00:00+25:00'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['before 1970', '1969-12-31T23:59:59Z'],
    ['epoch milliseconds', 1_775_001_600_000],
    ['a Date object (not JSON)', until],
    ['RFC 2822 text', 'Wed, 01 Apr 2026 00:00:00 GMT'],
    ['null', null],
  ])('gracePeriod.until as %s: invalid-grace-until', (_name, value) => {
    const parsed = parseSettings({ totp: true, email: false, requireAll: true, gracePeriod: { until: value } });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => [p.code, p.field])).toContainEqual(['invalid-grace-until', 'gracePeriod.until']);
  });

  it.each([
    ['not an object', 'totp', 'invalid-settings'],
    ['an array', [true, false, true], 'invalid-settings'],
    ['a flag as a string', { totp: 'true', email: false, requireAll: false }, 'invalid-flag'],
    ['a flag missing', { email: false, requireAll: false }, 'invalid-flag'],
    ['gracePeriod a string', { totp: true, email: false, requireAll: true, gracePeriod: '14 days' }, 'invalid-grace-period'],
    ['both until and days', { totp: true, email: false, requireAll: true, gracePeriod: { until: '2026-04-01T00:00:00Z', days: 3 } }, 'conflicting-grace-period'],
    ['days negative', { totp: true, email: false, requireAll: true, gracePeriod: { days: -1 } }, 'invalid-grace-days'],
    ['require with no method', { totp: false, email: false, requireAll: true }, 'no-method-enabled'],
  ])('%s: refused with %s', (_name, value, code) => {
    const parsed = parseSettings(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.code)).toContain(code);
  });

  it.each(BAD_VALUES)('never throws: $name as the settings, or as any field', ({ value }) => {
    for (const input of [value, { totp: value, email: true, requireAll: false }, { totp: true, email: true, requireAll: true, gracePeriod: value }, { totp: true, email: true, requireAll: true, gracePeriod: { until: value } }]) {
      const parsed = parseSettings(input);
      expect(typeof parsed.ok).toBe('boolean');
    }
  });

  it('a value whose getters throw is invalid-settings, not an exception', () => {
    const hostile = { get totp(): boolean { throw new Error('boom'); } };
    expect(parseSettings(hostile)).toEqual({ ok: false, problems: [{ code: 'invalid-settings', message: '"settings" could not be read as JSON' }] });
  });

  it('property: never throws on any JSON value', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => typeof parseSettings(v).ok === 'boolean'));
    fc.assert(fc.property(fc.jsonValue(), (g) => typeof parseSettings({ totp: true, email: false, requireAll: true, gracePeriod: g }).ok === 'boolean'));
  });
});

describe('serializeSettings', () => {
  it.each([
    [{ totp: true, email: false, requireAll: false }, { totp: true, email: false, requireAll: false }],
    [{ totp: true, email: false, requireAll: false, gracePeriod: null }, { totp: true, email: false, requireAll: false }],
    [{ totp: true, email: true, requireAll: true, gracePeriod: { until } }, { totp: true, email: true, requireAll: true, gracePeriod: { until: '2026-04-01T00:00:00.000Z' } }],
    [{ totp: true, email: true, requireAll: true, gracePeriod: { days: 0.5 } }, { totp: true, email: true, requireAll: true, gracePeriod: { days: 0.5 } }],
  ] as const)('%j -> %j (plain JSON)', (settings, json) => {
    const out = serializeSettings(settings as PolicySettings);
    expect(out).toEqual(json);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });

  it.each([
    ['a flag missing', { totp: true, email: false }],
    ['an invalid Date', { totp: true, email: false, requireAll: true, gracePeriod: { until: new Date(Number.NaN) } }],
    ['both until and days', { totp: true, email: false, requireAll: true, gracePeriod: { until, days: 1 } }],
    ['require with no method', { totp: false, email: false, requireAll: true }],
    ['not an object', 'settings'],
  ])('throws TypeError for %s, with validateSettings\' message', (_name, value) => {
    const problem = validateSettings(value)[0]!;
    expect(() => serializeSettings(value as never)).toThrow(new TypeError(problem.message));
  });
});

describe('round trip', () => {
  const settings = fc
    .record({
      totp: fc.boolean(),
      email: fc.boolean(),
      requireAll: fc.boolean(),
      grace: fc.oneof(
        fc.constant(undefined),
        fc.constant(null),
        fc.date({ min: new Date(0), max: new Date(8.64e15), noInvalidDate: true }).map((d) => ({ until: d })),
        fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }).map((days) => ({ days })),
      ),
    })
    .map(({ grace, ...flags }) => ({ ...flags, ...(grace === undefined ? {} : { gracePeriod: grace }) }) as PolicySettings)
    .filter((s) => validateSettings(s).length === 0);

  it('property: parse(JSON of serialize(s)) gives s back (no grace period as no key)', () => {
    fc.assert(
      fc.property(settings, (s) => {
        const json = JSON.parse(JSON.stringify(serializeSettings(s)));
        const { gracePeriod, ...flags } = s;
        expect(parseSettings(json)).toEqual({ ok: true, settings: gracePeriod == null ? flags : { ...flags, gracePeriod } });
      }),
    );
  });

  it('property: serialize(parse(j)) gives the JSON back for what parse accepts', () => {
    fc.assert(
      fc.property(settings, (s) => {
        const json = serializeSettings(s);
        const parsed = parseSettings(json);
        expect(parsed.ok && serializeSettings(parsed.settings)).toEqual(json);
      }),
    );
  });
});
