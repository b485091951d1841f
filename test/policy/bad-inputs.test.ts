// Malformed input must make evaluatePolicy throw TypeError/RangeError (never return a skip),
// and make validateSettings report the field without throwing.
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, validateSettings, type SettingsProblemCode } from '../../src/index.js';
import { BAD_TIMES, BAD_VALUES, type BadInput } from '../_bad-inputs.js';
import { END, at } from './_fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const MESSAGE = /^"([\w.[\]]+)" expected .+, got .+$/;

/** Two valid inputs whose decision is a skip, so a malformed field that got through would show. */
const BASES = {
  'rule 1 (no method)': () => ({
    settings: { totp: false, email: false, requireAll: false },
    agent: { enforced: false, enrolled: [] },
    now: at(END),
  }),
  'rule 5 (optional)': () => ({
    settings: { totp: true, email: true, requireAll: false },
    agent: { enforced: false, enrolled: [] },
    now: at(END),
  }),
};

interface Target {
  readonly path: string;
  /** Names of entries in the bad lists that are valid values for this field. */
  readonly valid: readonly string[];
  readonly set: (input: Loose, value: unknown) => void;
  /** The problem validateSettings must report (settings fields only). */
  readonly problem?: (value: unknown) => { code: SettingsProblemCode; field?: string };
}

const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
const flag = (name: 'totp' | 'email' | 'requireAll'): Target => ({
  path: `settings.${name}`,
  valid: ['boolean'],
  set: (i, v) => (i.settings[name] = v),
  problem: () => ({ code: 'invalid-flag', field: name }),
});

const TARGETS: readonly Target[] = [
  { path: 'input', valid: [], set: () => undefined },
  {
    path: 'settings',
    valid: [],
    set: (i, v) => (i.settings = v),
    problem: (v) => (isObject(v) ? { code: 'invalid-flag', field: 'totp' } : { code: 'invalid-settings' }),
  },
  flag('totp'),
  flag('email'),
  flag('requireAll'),
  {
    path: 'settings.gracePeriod',
    // null is JSON's "no grace period", read as absent (tested in settings.test.ts).
    valid: ['undefined', 'null', 'time: null'],
    set: (i, v) => (i.settings.gracePeriod = v),
    problem: () => ({ code: 'invalid-grace-period', field: 'gracePeriod' }),
  },
  {
    path: 'settings.gracePeriod.until',
    valid: [],
    set: (i, v) => (i.settings.gracePeriod = { until: v }),
    problem: (v) =>
      v === undefined ? { code: 'invalid-grace-period', field: 'gracePeriod' } : { code: 'invalid-grace-until', field: 'gracePeriod.until' },
  },
  {
    path: 'settings.gracePeriod.days',
    valid: ['number', 'fractional number', 'fractional'],
    set: (i, v) => (i.settings.gracePeriod = { days: v }),
    problem: (v) =>
      v === undefined ? { code: 'invalid-grace-period', field: 'gracePeriod' } : { code: 'invalid-grace-days', field: 'gracePeriod.days' },
  },
  { path: 'agent', valid: [], set: (i, v) => (i.agent = v) },
  { path: 'agent.enforced', valid: ['boolean'], set: (i, v) => (i.agent.enforced = v) },
  { path: 'agent.enrolled', valid: [], set: (i, v) => (i.agent.enrolled = v) },
  { path: 'agent.enrolled[0]', valid: [], set: (i, v) => (i.agent.enrolled = ['totp', v].reverse()) },
  { path: 'agent.graceStartedAt', valid: ['undefined', 'null'], set: (i, v) => (i.agent.graceStartedAt = v) },
  { path: 'agent.suspended', valid: ['undefined', 'boolean'], set: (i, v) => (i.agent.suspended = v) },
  { path: 'agent.recoveryCode', valid: ['undefined', 'boolean'], set: (i, v) => (i.agent.recoveryCode = v) },
  { path: 'now', valid: [], set: (i, v) => (i.now = v) },
];

const ALL_BAD: readonly BadInput[] = [...BAD_VALUES, ...BAD_TIMES.map((b) => ({ ...b, name: `time: ${b.name}` }))];
const validHere = (t: Target, b: BadInput) => t.valid.includes(b.name.replace(/^time: /, ''));

function build(base: () => Loose, t: Target, value: unknown): Loose {
  if (t.path === 'input') return value;
  const i = base();
  t.set(i, value);
  return i;
}

function expectRefused(input: Loose, path: string): Error {
  let result: unknown;
  try {
    result = evaluatePolicy(input);
  } catch (e) {
    expect(e instanceof TypeError || e instanceof RangeError, String(e)).toBe(true);
    const err = e as Error;
    const m = MESSAGE.exec(err.message);
    expect(m, err.message).not.toBeNull();
    expect(err.message.length).toBeLessThan(200);
    const named = m![1]!;
    // The message names the field, its parent (a grace object with neither form) or a child
    // (an object in place of settings has no flags).
    if (path !== 'input') expect(named.startsWith(path) || path.startsWith(named), `${named} vs ${path}`).toBe(true);
    return err;
  }
  throw new Error(`expected a throw, got ${JSON.stringify(result)}`);
}

describe('evaluatePolicy: shared bad inputs at every field', () => {
  for (const [baseName, base] of Object.entries(BASES)) {
    for (const t of TARGETS) {
      for (const b of ALL_BAD) {
        if (validHere(t, b)) continue;
        it(`${baseName}: ${t.path} = ${b.name} -> throws`, () => {
          expectRefused(build(base, t, b.value), t.path);
        });
      }
    }
  }
});

describe('validateSettings: shared bad inputs at every settings field', () => {
  for (const t of TARGETS) {
    if (!t.problem) continue;
    for (const b of ALL_BAD) {
      if (validHere(t, b)) continue;
      it(`${t.path} = ${b.name} -> ${t.problem(b.value).code}`, () => {
        const problems = validateSettings(build(BASES['rule 5 (optional)'], t, b.value).settings);
        expect(problems).toContainEqual(expect.objectContaining(t.problem!(b.value)));
        for (const p of problems) expect(p.message).toMatch(MESSAGE);
      });
    }
  }
});

interface Case {
  readonly name: string;
  readonly mutate: (i: Loose) => void;
  readonly error: typeof TypeError | typeof RangeError;
  /** validateSettings' codes for the settings, in order (settings cases only). */
  readonly codes?: readonly SettingsProblemCode[];
}

const del = (o: Loose, k: string) => void delete o[k];
const CASES: readonly Case[] = [
  { name: 'missing settings', mutate: (i) => del(i, 'settings'), error: TypeError, codes: ['invalid-settings'] },
  { name: 'missing settings.totp', mutate: (i) => del(i.settings, 'totp'), error: TypeError, codes: ['invalid-flag'] },
  { name: 'missing settings.email', mutate: (i) => del(i.settings, 'email'), error: TypeError, codes: ['invalid-flag'] },
  { name: 'missing settings.requireAll', mutate: (i) => del(i.settings, 'requireAll'), error: TypeError, codes: ['invalid-flag'] },
  { name: 'all three flags missing', mutate: (i) => (i.settings = {}), error: TypeError, codes: ['invalid-flag', 'invalid-flag', 'invalid-flag'] },
  { name: 'flag as the string "true"', mutate: (i) => (i.settings.requireAll = 'true'), error: TypeError, codes: ['invalid-flag'] },
  { name: 'flag as 1', mutate: (i) => (i.settings.totp = 1), error: TypeError, codes: ['invalid-flag'] },
  { name: 'missing agent', mutate: (i) => del(i, 'agent'), error: TypeError },
  { name: 'missing agent.enforced', mutate: (i) => del(i.agent, 'enforced'), error: TypeError },
  { name: 'missing agent.enrolled', mutate: (i) => del(i.agent, 'enrolled'), error: TypeError },
  { name: 'missing now', mutate: (i) => del(i, 'now'), error: TypeError },
  { name: 'days NaN', mutate: (i) => (i.settings.gracePeriod = { days: Number.NaN }), error: RangeError, codes: ['invalid-grace-days'] },
  { name: 'days -1', mutate: (i) => (i.settings.gracePeriod = { days: -1 }), error: RangeError, codes: ['invalid-grace-days'] },
  { name: 'days 0', mutate: (i) => (i.settings.gracePeriod = { days: 0 }), error: RangeError, codes: ['invalid-grace-days'] },
  { name: 'days -0', mutate: (i) => (i.settings.gracePeriod = { days: -0 }), error: RangeError, codes: ['invalid-grace-days'] },
  { name: 'days Infinity', mutate: (i) => (i.settings.gracePeriod = { days: Infinity }), error: RangeError, codes: ['invalid-grace-days'] },
  { name: 'days -Infinity', mutate: (i) => (i.settings.gracePeriod = { days: -Infinity }), error: RangeError, codes: ['invalid-grace-days'] },
  { name: 'days as the string "7"', mutate: (i) => (i.settings.gracePeriod = { days: '7' }), error: TypeError, codes: ['invalid-grace-days'] },
  { name: 'until invalid Date', mutate: (i) => (i.settings.gracePeriod = { until: new Date('x') }), error: RangeError, codes: ['invalid-grace-until'] },
  { name: 'until before 1970', mutate: (i) => (i.settings.gracePeriod = { until: new Date(-1) }), error: RangeError, codes: ['invalid-grace-until'] },
  { name: 'until as an ISO string (JSON)', mutate: (i) => (i.settings.gracePeriod = { until: '2026-03-01T00:00:00Z' }), error: TypeError, codes: ['invalid-grace-until'] },
  { name: 'until as epoch ms', mutate: (i) => (i.settings.gracePeriod = { until: END }), error: TypeError, codes: ['invalid-grace-until'] },
  { name: 'both until and days', mutate: (i) => (i.settings.gracePeriod = { until: at(END), days: 7 }), error: TypeError, codes: ['conflicting-grace-period'] },
  {
    name: 'both until and days, days invalid too',
    mutate: (i) => (i.settings.gracePeriod = { until: at(END), days: -7 }),
    error: TypeError,
    codes: ['conflicting-grace-period', 'invalid-grace-days'],
  },
  { name: 'gracePeriod {}', mutate: (i) => (i.settings.gracePeriod = {}), error: TypeError, codes: ['invalid-grace-period'] },
  { name: 'gracePeriod { until: undefined, days: undefined }', mutate: (i) => (i.settings.gracePeriod = { until: undefined, days: undefined }), error: TypeError, codes: ['invalid-grace-period'] },
  { name: 'gracePeriod as a number of days', mutate: (i) => (i.settings.gracePeriod = 7), error: TypeError, codes: ['invalid-grace-period'] },
  { name: 'unknown method "sms"', mutate: (i) => (i.agent.enrolled = ['totp', 'sms']), error: RangeError },
  { name: 'method in upper case', mutate: (i) => (i.agent.enrolled = ['TOTP']), error: RangeError },
  { name: 'null in enrolled', mutate: (i) => (i.agent.enrolled = [null]), error: TypeError },
  { name: 'sparse enrolled', mutate: (i) => (i.agent.enrolled = new Array(2)), error: TypeError },
  { name: 'enrolled as a Set', mutate: (i) => (i.agent.enrolled = new Set(['totp'])), error: TypeError },
  { name: 'enrolled as a string', mutate: (i) => (i.agent.enrolled = 'totp'), error: TypeError },
  { name: 'graceStartedAt epoch ms', mutate: (i) => (i.agent.graceStartedAt = END), error: TypeError },
  { name: 'graceStartedAt invalid Date', mutate: (i) => (i.agent.graceStartedAt = new Date(Number.NaN)), error: RangeError },
  { name: 'now as epoch ms', mutate: (i) => (i.now = END), error: TypeError },
  { name: 'now invalid Date', mutate: (i) => (i.now = new Date(Number.NaN)), error: RangeError },
  { name: 'now before 1970', mutate: (i) => (i.now = new Date(-1)), error: RangeError },
];

describe('evaluatePolicy and validateSettings: named malformed inputs', () => {
  for (const [baseName, base] of Object.entries(BASES)) {
    for (const c of CASES) {
      it(`${baseName}: ${c.name} -> ${c.error.name}`, () => {
        const i = base();
        c.mutate(i);
        const err = expectRefused(i, '');
        expect(err).toBeInstanceOf(c.error);
        // The rule-1 base has both methods off, so a grace there also earns no-method-enabled.
        const codes = validateSettings(i.settings).map((p) => p.code).filter((code) => code !== 'no-method-enabled');
        if (c.codes) expect(codes).toStrictEqual(c.codes);
      });
    }
  }

  it('a malformed field that no rule reads still throws (the grace of a no-method org)', () => {
    const i = BASES['rule 1 (no method)']();
    (i.settings as Loose).gracePeriod = { days: -1 };
    expect(() => evaluatePolicy(i)).toThrow(RangeError);
  });

  it('an error thrown by a getter propagates unchanged', () => {
    const boom = new Error('boom');
    const settings = { totp: true, email: true, get requireAll(): boolean { throw boom; } };
    expect(() => evaluatePolicy({ ...BASES['rule 5 (optional)'](), settings })).toThrow(boom);
  });
});

describe('validateSettings never throws', () => {
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const weird: readonly BadInput[] = [
    { name: 'a throwing getter', value: { totp: true, email: true, get requireAll(): boolean { throw new Error('x'); } } },
    { name: 'a revoked proxy', value: revoked.proxy },
    { name: 'a proxy whose every trap throws', value: new Proxy({}, { get() { throw 1; }, has() { throw 1; }, getPrototypeOf() { throw 1; } }) },
    { name: 'a grace getter that throws', value: { totp: true, email: true, requireAll: true, get gracePeriod() { throw new TypeError('x'); } } },
  ];
  for (const b of [...BAD_VALUES, ...weird]) {
    it(`${b.name} -> a non-empty list`, () => {
      let problems: unknown;
      expect(() => (problems = validateSettings(b.value))).not.toThrow();
      expect(Array.isArray(problems) && problems.length > 0).toBe(true);
    });
  }
});
