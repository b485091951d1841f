// Properties of the evaluator over random valid inputs (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  evaluatePolicy,
  validateSettings,
  type GracePeriod,
  type Method,
  type PolicyAgent,
  type PolicyDecision,
  type PolicyInput,
  type PolicySettings,
} from '../../src/index.js';
import { DAY, RANK } from './_fixtures.js';

const MAX_MS = Date.UTC(2200, 0, 1);
const dateArb = fc.integer({ min: 0, max: MAX_MS }).map((ms) => new Date(ms));
const daysArb = fc.oneof(
  fc.integer({ min: 1, max: 3650 }),
  fc.double({ min: 1e-6, max: 3650, noNaN: true, noDefaultInfinity: true }),
);
const graceArb: fc.Arbitrary<GracePeriod | undefined> = fc.oneof(
  fc.constant(undefined),
  dateArb.map((until) => ({ until })),
  daysArb.map((days) => ({ days })),
);
const methodArb = fc.constantFrom<Method>('totp', 'email');
const settingsArb: fc.Arbitrary<PolicySettings> = fc
  .record({ totp: fc.boolean(), email: fc.boolean(), requireAll: fc.boolean(), gracePeriod: graceArb })
  .map(({ gracePeriod, ...flags }) => (gracePeriod ? { ...flags, gracePeriod } : flags));
const agentArb: fc.Arbitrary<PolicyAgent> = fc
  .record({ enforced: fc.boolean(), enrolled: fc.array(methodArb, { maxLength: 5 }), graceStartedAt: fc.option(dateArb, { nil: undefined }) })
  .map(({ graceStartedAt, ...rest }) => (graceStartedAt ? { ...rest, graceStartedAt } : rest));
const inputArb: fc.Arbitrary<PolicyInput> = fc.record({ settings: settingsArb, agent: agentArb, now: dateArb });

const rank = (d: PolicyDecision): number => RANK[d.action];
const RUNS = { numRuns: 500 };

describe('evaluatePolicy: properties', () => {
  it('is total over valid input, and action, next and the dates agree', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = evaluatePolicy(input);
        if (d.action === 'skip') expect(d.next).toBe('none');
        if (d.action === 'require') {
          expect(d.next).toBe('setup');
          expect(d.graceEndsAt.getTime()).toBeGreaterThan(input.now.getTime());
          expect(d.startsGrace).toBe(input.agent.graceStartedAt === undefined && 'days' in input.settings.gracePeriod!);
          if (d.startsGrace) expect(d.graceStartedAt).toStrictEqual(input.now);
        }
        if (d.action === 'enforce') expect(['setup', 'verify']).toContain(d.next);
      }),
      RUNS,
    );
  });

  it('a `require` ends at `until`, or at graceStartedAt (else now) + days, to the millisecond', () => {
    fc.assert(
      fc.property(inputArb, ({ settings, agent, now }) => {
        const d = evaluatePolicy({ settings: { ...settings, requireAll: true }, agent: { ...agent, enforced: false, enrolled: [] }, now });
        const gp = settings.gracePeriod;
        if (d.action !== 'require' || !gp) return;
        const expected = 'until' in gp && gp.until
          ? gp.until.getTime()
          : Math.min(8.64e15, Math.round((agent.graceStartedAt ?? now).getTime() + gp.days! * DAY));
        expect(d.graceEndsAt.getTime()).toBe(expected);
      }),
      RUNS,
    );
  });

  it('switching requireAll on never makes the decision less strict', () => {
    fc.assert(
      fc.property(inputArb, ({ settings, agent, now }) => {
        const off = evaluatePolicy({ settings: { ...settings, requireAll: false }, agent, now });
        const on = evaluatePolicy({ settings: { ...settings, requireAll: true }, agent, now });
        expect(rank(on)).toBeGreaterThanOrEqual(rank(off));
      }),
      RUNS,
    );
  });

  it('switching the agent\'s "Enforce 2FA" on never makes the decision less strict', () => {
    fc.assert(
      fc.property(inputArb, ({ settings, agent, now }) => {
        const off = evaluatePolicy({ settings, agent: { ...agent, enforced: false }, now });
        const on = evaluatePolicy({ settings, agent: { ...agent, enforced: true }, now });
        expect(rank(on)).toBeGreaterThanOrEqual(rank(off));
      }),
      RUNS,
    );
  });

  it('moving `now` later never makes the decision less strict', () => {
    fc.assert(
      fc.property(inputArb, dateArb, ({ settings, agent, now }, other) => {
        const [early, late] = now <= other ? [now, other] : [other, now];
        const a = evaluatePolicy({ settings, agent, now: early });
        const b = evaluatePolicy({ settings, agent, now: late });
        expect(rank(b)).toBeGreaterThanOrEqual(rank(a));
      }),
      RUNS,
    );
  });

  it('switching a method on never makes the decision less strict', () => {
    fc.assert(
      fc.property(inputArb, methodArb, ({ settings, agent, now }, m) => {
        const off = evaluatePolicy({ settings: { ...settings, [m]: false }, agent, now });
        const on = evaluatePolicy({ settings: { ...settings, [m]: true }, agent, now });
        expect(rank(on)).toBeGreaterThanOrEqual(rank(off));
      }),
      RUNS,
    );
  });

  it('enrolling in a switched-on method always gives `verify` listing it', () => {
    fc.assert(
      fc.property(inputArb, methodArb, ({ settings, agent, now }, m) => {
        const d = evaluatePolicy({ settings: { ...settings, [m]: true }, agent: { ...agent, enrolled: [...agent.enrolled, m] }, now });
        expect(d).toMatchObject({ action: 'enforce', next: 'verify', reason: 'enrolled' });
        if (d.next === 'verify') expect(d.verifyMethods).toContain(m);
      }),
      RUNS,
    );
  });

  it('method lists are exactly the relevant methods, TOTP first, each once', () => {
    fc.assert(
      fc.property(inputArb, ({ settings, agent, now }) => {
        const d = evaluatePolicy({ settings, agent, now });
        const allowed = (['totp', 'email'] as const).filter((m) => settings[m]);
        if (d.next === 'verify') expect(d.verifyMethods).toStrictEqual(allowed.filter((m) => agent.enrolled.includes(m)));
        if ('setupMethods' in d) expect(d.setupMethods).toStrictEqual(allowed);
      }),
      RUNS,
    );
  });

  it('is deterministic and leaves its input as it was', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const snapshot = structuredClone(input);
        expect(evaluatePolicy(input)).toStrictEqual(evaluatePolicy(input));
        expect(input).toEqual(snapshot); // toEqual: fast-check records have a null prototype
      }),
      RUNS,
    );
  });

  it('valid random settings pass validateSettings unless requireAll or a grace is set with both methods off', () => {
    fc.assert(
      fc.property(settingsArb, (settings) => {
        const expectNoMethod = !settings.totp && !settings.email && (settings.requireAll || settings.gracePeriod !== undefined);
        expect(validateSettings(settings).map((p) => p.code)).toStrictEqual(expectNoMethod ? ['no-method-enabled'] : []);
      }),
      RUNS,
    );
  });
});

// Settings built from a mix of good and bad field values: validateSettings and evaluatePolicy
// must agree on what is malformed (they share one check, and this keeps it that way).
const garbageArb = fc.oneof(
  fc.constantFrom(undefined, null, 0, 1, -1, Number.NaN, Number.POSITIVE_INFINITY, 1.5, '', 'true', [], {}),
  dateArb,
  fc.constant(new Date(Number.NaN)),
  fc.constant(new Date(-1)),
);
const flagArb = fc.oneof({ arbitrary: fc.boolean(), weight: 8 }, { arbitrary: garbageArb, weight: 1 });
const messySettingsArb = fc.record(
  {
    totp: flagArb,
    email: flagArb,
    requireAll: flagArb,
    gracePeriod: fc.oneof(
      { arbitrary: graceArb, weight: 6 },
      { arbitrary: garbageArb, weight: 1 },
      { arbitrary: fc.record({ until: fc.oneof(dateArb, garbageArb), days: fc.oneof(daysArb, garbageArb) }, { requiredKeys: [] }), weight: 2 },
    ),
  },
  { requiredKeys: [] },
);

describe('validateSettings agrees with evaluatePolicy', () => {
  it('evaluatePolicy throws exactly when validateSettings reports a malformed field', () => {
    const seen = { threw: 0, returned: 0 };
    fc.assert(
      fc.property(messySettingsArb, agentArb, dateArb, (settings, agent, now) => {
        const malformed = validateSettings(settings).some((p) => p.code !== 'no-method-enabled');
        let thrown: unknown;
        try {
          evaluatePolicy({ settings: settings as unknown as PolicySettings, agent, now });
        } catch (e) {
          thrown = e;
        }
        seen[thrown === undefined ? 'returned' : 'threw']++;
        expect(thrown !== undefined).toBe(malformed);
        if (thrown !== undefined) expect(thrown instanceof TypeError || thrown instanceof RangeError).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Both outcomes must really have been exercised.
    expect(seen.threw).toBeGreaterThan(100);
    expect(seen.returned).toBeGreaterThan(100);
  });
});
