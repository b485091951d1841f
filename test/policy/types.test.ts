// Type-level tests: checked by `tsc --noEmit` (the @ts-expect-error lines and expectTypeOf
// calls fail compilation if the types loosen); the runtime assertions run under vitest.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  evaluatePolicy,
  type EnforceSetupDecision,
  type EnforceVerifyDecision,
  type Method,
  type MethodList,
  type PolicyDecision,
  type PolicyReason,
  type PolicySettings,
  type SettingsProblemCode,
} from '../../src/index.js';
import { END, at, input } from './_fixtures.js';

/** What a host's login handler looks like; returns a label so the runtime part can check it. */
function route(d: PolicyDecision): string {
  switch (d.action) {
    case 'skip':
      // @ts-expect-error graceEndsAt exists only on require
      void d.graceEndsAt;
      // @ts-expect-error verifyMethods exists only on next: 'verify'
      void d.verifyMethods;
      expectTypeOf(d.next).toEqualTypeOf<'none'>();
      // setupMethods exists on the optional skip, not on rule 1's skip.
      if (d.reason === 'optional') return `offer ${d.setupMethods.join('+')}`;
      // @ts-expect-error no setupMethods when no method is on
      void d.setupMethods;
      return 'in';
    case 'require':
      expectTypeOf(d.graceEndsAt).toEqualTypeOf<Date>();
      expectTypeOf(d.reason).toEqualTypeOf<'grace-period'>();
      expectTypeOf(d.setupMethods).toEqualTypeOf<MethodList>();
      // @ts-expect-error graceStartedAt is only there when startsGrace is true
      void d.graceStartedAt;
      if (d.startsGrace) expectTypeOf(d.graceStartedAt).toEqualTypeOf<Date>();
      return `setup until ${d.graceEndsAt.toISOString()}`;
    case 'enforce':
      // @ts-expect-error graceEndsAt is not accessible on enforce
      void d.graceEndsAt;
      expectTypeOf(d).toEqualTypeOf<EnforceVerifyDecision | EnforceSetupDecision>();
      if (d.next === 'verify') {
        expectTypeOf(d.reason).toEqualTypeOf<'enrolled'>();
        // @ts-expect-error no setupMethods on verify
        void d.setupMethods;
        return `verify ${d.verifyMethods.join('+')}`;
      }
      expectTypeOf(d.reason).toEqualTypeOf<'agent-enforced' | 'required-for-all' | 'grace-period-over'>();
      // @ts-expect-error verifyMethods only on next: 'verify'
      void d.verifyMethods;
      // @ts-expect-error no graceEndsAt once the grace is over (or for an enforced agent)
      void d.graceEndsAt;
      return `setup ${d.setupMethods.join('+')}`;
    default: {
      // Exhaustive: adding an action without handling it fails compilation here.
      const unreachable: never = d;
      return unreachable;
    }
  }
}

describe('PolicyDecision types', () => {
  it('a host switch narrows every variant (and routes correctly at runtime)', () => {
    expect(route(evaluatePolicy(input({ totp: false, email: false })))).toBe('in');
    expect(route(evaluatePolicy(input()))).toBe('offer totp+email');
    expect(route(evaluatePolicy(input({ requireAll: true, gracePeriod: { until: at(END) } }, {}, at(END - 1))))).toBe(
      `setup until ${at(END).toISOString()}`,
    );
    expect(route(evaluatePolicy(input({}, { enrolled: ['email'] })))).toBe('verify email');
    expect(route(evaluatePolicy(input({ email: false }, { enforced: true })))).toBe('setup totp');
  });

  it('input types reject what the runtime rejects', () => {
    expectTypeOf<Method>().toEqualTypeOf<'totp' | 'email'>();
    expectTypeOf<MethodList[0]>().toEqualTypeOf<Method>();
    expectTypeOf<PolicyReason>().toEqualTypeOf<
      'no-method-enabled' | 'optional' | 'grace-period' | 'enrolled' | 'agent-enforced' | 'required-for-all' | 'grace-period-over'
    >();
    expectTypeOf<SettingsProblemCode>().toExtend<string>();
    const base = { totp: true, email: true, requireAll: true };
    // @ts-expect-error both grace forms at once
    const both: PolicySettings = { ...base, gracePeriod: { until: new Date(), days: 3 } };
    // @ts-expect-error until must be a Date, not epoch ms
    const epoch: PolicySettings = { ...base, gracePeriod: { until: 0 } };
    // @ts-expect-error unknown method
    const sms = input({}, { enrolled: ['sms'] });
    // The runtime agrees with each of those refusals.
    expect(() => evaluatePolicy({ ...input(), settings: both })).toThrow(TypeError);
    expect(() => evaluatePolicy({ ...input(), settings: epoch })).toThrow(TypeError);
    expect(() => evaluatePolicy(sms)).toThrow(RangeError);
    expect(() =>
      // @ts-expect-error now must be a Date
      evaluatePolicy({ ...input(), now: 0 }),
    ).toThrow(TypeError);
  });
});
