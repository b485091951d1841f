// Every combination of the policy's inputs, checked against an oracle that is written
// differently from the implementation: a list of (condition, outcome) pairs over a symbolic
// description of the case, with the grace state read off the case instead of computed
// from times.
import { describe, expect, it } from 'vitest';
import { evaluatePolicy, type Method, type PolicyInput } from '../../src/index.js';
import { DAY, END, GRACE_DAYS, START, at } from './_fixtures.js';

type Grace = 'none' | 'until' | 'days, started' | 'days, not started';
type Position = 'before' | 'at' | 'after';

interface Case {
  totp: boolean;
  email: boolean;
  requireAll: boolean;
  enforced: boolean;
  enrolled: readonly Method[];
  grace: Grace;
  position: Position;
  suspended: boolean;
}

const BOOLS = [false, true] as const;
// {totp, email} is listed email first on purpose: output order must not follow input order.
const ENROLLED: readonly (readonly Method[])[] = [[], ['totp'], ['email'], ['email', 'totp']];
const GRACES: readonly Grace[] = ['none', 'until', 'days, started', 'days, not started'];
const POSITIONS: readonly Position[] = ['before', 'at', 'after'];
const NOW_MS: Record<Position, number> = { before: END - 1, at: END, after: END + 1 };

function toInput(c: Case): PolicyInput {
  const gracePeriod =
    c.grace === 'none' ? undefined : c.grace === 'until' ? { until: at(END) } : { days: GRACE_DAYS };
  return {
    settings: { totp: c.totp, email: c.email, requireAll: c.requireAll, ...(gracePeriod && { gracePeriod }) },
    agent: {
      enforced: c.enforced,
      enrolled: c.enrolled,
      ...(c.grace === 'days, started' && { graceStartedAt: at(START) }),
      ...(c.suspended && { suspended: true }),
    },
    now: at(NOW_MS[c.position]),
  };
}

// The oracle. `graceOpen` comes from the case's symbols: a grace that has not started yet is
// open (it starts now); otherwise it is open only strictly before its end.
function oracle(c: Case): Record<string, unknown> {
  const on: Method[] = [];
  if (c.totp) on.push('totp');
  if (c.email) on.push('email');
  const mine = on.filter((m) => c.enrolled.includes(m));
  const graceOpen = c.grace === 'days, not started' || (c.grace !== 'none' && c.position === 'before');
  const nowMs = NOW_MS[c.position];
  const rules: [boolean, () => Record<string, unknown>][] = [
    [on.length === 0, () => ({ action: 'skip', next: 'none', reason: 'no-method-enabled' })],
    [mine.length > 0, () => ({ action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: mine, suspended: c.suspended, recoveryCode: false })],
    [c.enforced, () => ({ action: 'enforce', next: 'setup', reason: 'agent-enforced', setupMethods: on })],
    [
      c.requireAll && graceOpen && c.grace === 'days, not started',
      () => ({
        action: 'require', next: 'setup', reason: 'grace-period', setupMethods: on,
        graceEndsAt: at(nowMs + GRACE_DAYS * DAY), startsGrace: true, graceStartedAt: at(nowMs),
      }),
    ],
    [
      c.requireAll && graceOpen,
      () => ({ action: 'require', next: 'setup', reason: 'grace-period', setupMethods: on, graceEndsAt: at(END), startsGrace: false }),
    ],
    [c.requireAll && c.grace !== 'none', () => ({ action: 'enforce', next: 'setup', reason: 'grace-period-over', setupMethods: on })],
    [c.requireAll, () => ({ action: 'enforce', next: 'setup', reason: 'required-for-all', setupMethods: on })],
    [true, () => ({ action: 'skip', next: 'none', reason: 'optional', setupMethods: on })],
  ];
  return rules.find(([when]) => when)![1]();
}

// The keys each reason's decision carries, and nothing else.
const KEYS: Record<string, readonly string[]> = {
  'no-method-enabled': ['action', 'next', 'reason'],
  optional: ['action', 'next', 'reason', 'setupMethods'],
  'grace-period': ['action', 'graceEndsAt', 'next', 'reason', 'setupMethods', 'startsGrace'],
  'grace-period (starts)': ['action', 'graceEndsAt', 'graceStartedAt', 'next', 'reason', 'setupMethods', 'startsGrace'],
  enrolled: ['action', 'next', 'reason', 'recoveryCode', 'suspended', 'verifyMethods'],
  'agent-enforced': ['action', 'next', 'reason', 'setupMethods'],
  'required-for-all': ['action', 'next', 'reason', 'setupMethods'],
  'grace-period-over': ['action', 'next', 'reason', 'setupMethods'],
};

const CASES: Case[] = [];
for (const totp of BOOLS)
  for (const email of BOOLS)
    for (const requireAll of BOOLS)
      for (const enforced of BOOLS)
        for (const enrolled of ENROLLED)
          for (const grace of GRACES)
            for (const position of POSITIONS)
              for (const suspended of BOOLS) CASES.push({ totp, email, requireAll, enforced, enrolled, grace, position, suspended });

const nameOf = (c: Case): string =>
  `totp=${+c.totp} email=${+c.email} requireAll=${+c.requireAll} enforced=${+c.enforced} ` +
  `enrolled=[${c.enrolled.join(',')}] grace=${c.grace} now=${c.position} end suspended=${+c.suspended}`;

describe('evaluatePolicy: every combination', () => {
  it('covers 2^4 flags x 4 enrolled sets x 4 grace forms x 3 times x suspended or not', () => {
    expect(CASES).toHaveLength(16 * 4 * 4 * 3 * 2);
    expect(new Set(CASES.map(nameOf)).size).toBe(CASES.length);
  });

  for (const c of CASES) {
    it(nameOf(c), () => {
      const decision = evaluatePolicy(toInput(c));
      expect(decision).toStrictEqual(oracle(c));

      // Shape, asserted separately from the values: exactly the keys of its variant.
      const variant =
        decision.reason === 'grace-period' && decision.startsGrace ? 'grace-period (starts)' : decision.reason;
      expect(Object.keys(decision).sort()).toStrictEqual(KEYS[variant]);
      if (decision.action === 'require') expect(decision.graceEndsAt).toBeInstanceOf(Date);
    });
  }
});
