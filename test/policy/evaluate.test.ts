// The rule table of issue 3 as data: one row per rule and per grace boundary.
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type PolicyDecision, type PolicyInput } from '../../src/index.js';
import { AGENT, DAY, END, GRACE_DAYS, START, at, input } from './_fixtures.js';

interface Row {
  readonly rule: 1 | 2 | 3 | 4 | 5;
  readonly name: string;
  readonly input: PolicyInput;
  readonly expected: PolicyDecision;
}

const BOTH = ['totp', 'email'] as const;
const UNTIL = { until: at(END) };
const DAYS = { days: GRACE_DAYS };
const require_ = (graceEndsAt: number) =>
  ({ action: 'require', next: 'setup', reason: 'grace-period', setupMethods: BOTH, graceEndsAt: at(graceEndsAt), startsGrace: false }) as const;
const over = { action: 'enforce', next: 'setup', reason: 'grace-period-over', setupMethods: BOTH } as const;

const ROWS: readonly Row[] = [
  {
    rule: 1,
    name: 'both methods off -> skip',
    input: input({ totp: false, email: false }),
    expected: { action: 'skip', next: 'none', reason: 'no-method-enabled' },
  },
  {
    rule: 1,
    name: 'both off beats enrolled, enforced and requireAll',
    input: input({ totp: false, email: false, requireAll: true }, { enforced: true, enrolled: ['totp', 'email'] }),
    expected: { action: 'skip', next: 'none', reason: 'no-method-enabled' },
  },
  {
    rule: 2,
    name: 'enrolled in TOTP -> verify with TOTP',
    input: input({}, { enrolled: ['totp'] }),
    expected: { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['totp'], suspended: false, recoveryCode: false },
  },
  {
    rule: 2,
    name: 'enrolled and suspended -> still verify, and the decision says suspended',
    input: input({}, { enrolled: ['totp'], suspended: true }),
    expected: { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['totp'], suspended: true, recoveryCode: false },
  },
  {
    rule: 2,
    name: 'enrolled with recovery codes -> verify, and the decision offers a recovery code (never as a method)',
    input: input({}, { enrolled: ['totp'], recoveryCode: true }),
    expected: { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['totp'], suspended: false, recoveryCode: true },
  },
  {
    rule: 2,
    name: 'enrolled in both, listed out of order and twice -> verify with TOTP first, once each',
    input: input({}, { enrolled: ['email', 'totp', 'email'] }),
    expected: { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['totp', 'email'], suspended: false, recoveryCode: false },
  },
  {
    rule: 2,
    name: 'enrolled in both, email switched off -> verify with TOTP only',
    input: input({ email: false }, { enrolled: ['totp', 'email'] }),
    expected: { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['totp'], suspended: false, recoveryCode: false },
  },
  {
    rule: 2,
    name: 'beats enforced and an expired grace period',
    input: input({ requireAll: true, gracePeriod: UNTIL }, { enforced: true, enrolled: ['email'] }, at(END + DAY)),
    expected: { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: ['email'], suspended: false, recoveryCode: false },
  },
  {
    rule: 2,
    name: 'enrolled only in a switched-off method does not count -> optional set-up of the other',
    input: input({ email: false }, { enrolled: ['email'] }),
    expected: { action: 'skip', next: 'none', reason: 'optional', setupMethods: ['totp'] },
  },
  {
    rule: 3,
    name: 'enforced agent, not enrolled -> must set up',
    input: input({}, { enforced: true }),
    expected: { action: 'enforce', next: 'setup', reason: 'agent-enforced', setupMethods: BOTH },
  },
  {
    rule: 3,
    name: 'enforced agent gets no grace, even inside the org grace period',
    input: input({ requireAll: true, gracePeriod: UNTIL }, { enforced: true }, at(END - DAY)),
    expected: { action: 'enforce', next: 'setup', reason: 'agent-enforced', setupMethods: BOTH },
  },
  {
    rule: 3,
    name: 'enforced agent enrolled only in a switched-off method -> must set up an allowed one',
    input: input({ totp: false }, { enforced: true, enrolled: ['totp'] }),
    expected: { action: 'enforce', next: 'setup', reason: 'agent-enforced', setupMethods: ['email'] },
  },
  {
    rule: 4,
    name: 'required with no grace period -> must set up',
    input: input({ requireAll: true }),
    expected: { action: 'enforce', next: 'setup', reason: 'required-for-all', setupMethods: BOTH },
  },
  { rule: 4, name: 'until: 1 ms before the end -> require', input: input({ requireAll: true, gracePeriod: UNTIL }, {}, at(END - 1)), expected: require_(END) },
  { rule: 4, name: 'until: at the end -> enforce', input: input({ requireAll: true, gracePeriod: UNTIL }, {}, at(END)), expected: over },
  { rule: 4, name: 'until: 1 ms after the end -> enforce', input: input({ requireAll: true, gracePeriod: UNTIL }, {}, at(END + 1)), expected: over },
  {
    rule: 4,
    name: 'until: graceStartedAt is ignored',
    input: input({ requireAll: true, gracePeriod: UNTIL }, { graceStartedAt: at(END) }, at(END - 1)),
    expected: require_(END),
  },
  {
    rule: 4,
    name: 'days: 1 ms before the end -> require',
    input: input({ requireAll: true, gracePeriod: DAYS }, { graceStartedAt: at(START) }, at(END - 1)),
    expected: require_(END),
  },
  {
    rule: 4,
    name: 'days: at the end -> enforce',
    input: input({ requireAll: true, gracePeriod: DAYS }, { graceStartedAt: at(START) }, at(END)),
    expected: over,
  },
  {
    rule: 4,
    name: 'days: 1 ms after the end -> enforce',
    input: input({ requireAll: true, gracePeriod: DAYS }, { graceStartedAt: at(START) }, at(END + 1)),
    expected: over,
  },
  {
    rule: 4,
    name: 'days: no graceStartedAt yet -> the grace starts now, and says so',
    input: input({ requireAll: true, gracePeriod: DAYS }, {}, at(START)),
    expected: { ...require_(END), startsGrace: true, graceStartedAt: at(START) },
  },
  {
    rule: 4,
    name: 'days: fractional days (1.5) count in milliseconds',
    input: input({ requireAll: true, gracePeriod: { days: 1.5 } }, { graceStartedAt: at(START) }, at(START)),
    expected: require_(START + 1.5 * DAY),
  },
  {
    rule: 4,
    name: 'days: a grace start in the future (clock moved back) still ends start + days',
    input: input({ requireAll: true, gracePeriod: DAYS }, { graceStartedAt: at(END) }, at(START)),
    expected: require_(END + GRACE_DAYS * DAY),
  },
  {
    rule: 4,
    name: 'days: a grace reaching past the last Date ends at the last Date',
    input: input({ requireAll: true, gracePeriod: { days: 1e300 } }, { graceStartedAt: at(START) }, at(END)),
    expected: require_(8.64e15),
  },
  {
    rule: 4,
    name: 'days: a grace under half a millisecond rounds to none, even when it starts now',
    input: input({ requireAll: true, gracePeriod: { days: 1e-9 } }, {}, at(END)),
    expected: over,
  },
  {
    rule: 4,
    name: 'only email on -> set-up offers email only',
    input: input({ totp: false, requireAll: true }),
    expected: { action: 'enforce', next: 'setup', reason: 'required-for-all', setupMethods: ['email'] },
  },
  {
    rule: 5,
    name: 'nothing required -> skip, set-up optional',
    input: input(),
    expected: { action: 'skip', next: 'none', reason: 'optional', setupMethods: BOTH },
  },
  {
    rule: 5,
    name: 'a grace period without requireAll has no effect',
    input: input({ gracePeriod: UNTIL }, {}, at(END + 1)),
    expected: { action: 'skip', next: 'none', reason: 'optional', setupMethods: BOTH },
  },
  {
    rule: 5,
    name: 'only TOTP on -> optional TOTP',
    input: input({ email: false }),
    expected: { action: 'skip', next: 'none', reason: 'optional', setupMethods: ['totp'] },
  },
];

describe('evaluatePolicy: the rule table', () => {
  for (const row of ROWS) {
    it(`rule ${row.rule}: ${row.name}`, () => {
      expect(evaluatePolicy(row.input)).toStrictEqual(row.expected);
    });
  }

  it('every rule has a row', () => {
    expect(new Set(ROWS.map((r) => r.rule))).toStrictEqual(new Set([1, 2, 3, 4, 5]));
  });
});

describe('evaluatePolicy: returned values are fresh', () => {
  it('graceEndsAt is a new Date, not the caller\'s `until`', () => {
    const until = at(END);
    const d = evaluatePolicy(input({ requireAll: true, gracePeriod: { until } }, {}, at(START)));
    if (d.action !== 'require') throw new Error(`expected require, got ${d.action}`);
    expect(d.graceEndsAt).not.toBe(until);
    d.graceEndsAt.setTime(0);
    expect(until.getTime()).toBe(END);
    const again = evaluatePolicy(input({ requireAll: true, gracePeriod: { until } }, {}, at(START)));
    expect(again).toMatchObject({ graceEndsAt: at(END) });
  });

  it('graceStartedAt is a new Date, not the caller\'s `now`', () => {
    const now = at(START);
    const d = evaluatePolicy(input({ requireAll: true, gracePeriod: { days: 1 } }, {}, now));
    if (d.action !== 'require' || !d.startsGrace) throw new Error('expected a require that starts the grace');
    expect(d.graceStartedAt).not.toBe(now);
    expect(d.graceStartedAt).toStrictEqual(now);
    d.graceStartedAt.setTime(0);
    expect(now.getTime()).toBe(START);
  });

  it('method lists are new arrays on every call', () => {
    const enrolled: ('totp' | 'email')[] = ['totp'];
    const a = evaluatePolicy(input({}, { enrolled }));
    const b = evaluatePolicy(input({}, { enrolled }));
    if (a.next !== 'verify' || b.next !== 'verify') throw new Error('expected verify');
    expect(a.verifyMethods).not.toBe(b.verifyMethods);
    expect(a.verifyMethods).not.toBe(enrolled);
    (a.verifyMethods as unknown as string[]).push('email');
    expect(b.verifyMethods).toStrictEqual(['totp']);
    expect(evaluatePolicy(input({}, { enrolled }))).toMatchObject({ verifyMethods: ['totp'] });
  });

  it('does not touch deeply frozen inputs', () => {
    const frozen = Object.freeze({
      settings: Object.freeze({ totp: true, email: true, requireAll: true, gracePeriod: Object.freeze({ days: 3 }) }),
      agent: Object.freeze({ ...AGENT, enrolled: Object.freeze([] as const) }),
      now: at(END),
    });
    expect(evaluatePolicy(frozen)).toMatchObject({ action: 'require', startsGrace: true });
  });

  it('ignores unknown keys', () => {
    const extra = { settings: { ...input().settings, sms: true }, agent: { ...AGENT, id: 'a1' }, now: at(END), x: 1 };
    expect(evaluatePolicy(extra)).toStrictEqual(evaluatePolicy(input()));
  });
});
