/**
 * @module Audit events (src/service/events.ts), over every method: one for every state change,
 * every refusal and every failed verification, with type, agentId, method, time and outcome;
 * emitted only once the change is saved; never a secret, a submitted or mailed code, an address
 * or a hash; and a failing handler neither fails nor undoes the operation, and is reported
 * through onEventError.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EmailMessage, Mailer, TwoFactorEvent, TwoFactorEventType, TwoFactorOptions } from '../../src/index.js';
import {
  ADDRESS, BOTH, COOLDOWN_MS, GRACE_DAYS, expiredSetupCode, HOUR_MS, STEP_MS, T0, TOTP_ONLY, codeAt, emailHarness, enroll, enrollEmail, harness, lockedAgent, now, otherCode, sendCode, settle, stored,
  wrongCode, codeOf, type EmailHarness, type Harness,
} from '../support/harness.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** The types whose outcome is a success. */
const SUCCESSES = new Set<TwoFactorEventType>(['email.code.sent', 'email.setup.confirmed', 'email.verified']);

/**
 * Checks the fields every event must carry; `method` is the method whose failures a
 * throttle.locked event in `events` counts.
 */
function expectWellFormed(events: readonly TwoFactorEvent[], at: number, method: 'totp' | 'email' = 'totp'): void {
  for (const e of events) {
    expect(e.agentId).toBe('a');
    expect(e.at).toEqual(new Date(at));
    expect(['success', 'failure']).toContain(e.outcome);
    expect(typeof e.type).toBe('string');
    if (e.type.startsWith('totp.') || e.type === 'admin.totp.provisioned') expect(e.method).toBe('totp');
    if (e.type === 'throttle.locked') expect(e.method).toBe(method);
    if (e.type.startsWith('email.') || e.type === 'throttle.locked') expect(e.outcome).toBe(SUCCESSES.has(e.type) ? 'success' : 'failure');
    if (e.type.startsWith('email.')) expect(e.method).toBe('email');
    if (e.type === 'throttle.locked' || e.reason === 'locked') expect(e.lockedUntil).toBeInstanceOf(Date);
    else expect(e.lockedUntil).toBeUndefined();
  }
}

/** The events as [type, outcome, reason?]. */
const summary = (events: readonly TwoFactorEvent[]) => events.map((e) => [e.type, e.outcome, ...(e.reason === undefined ? [] : [e.reason])]);

interface Change {
  name: string;
  overrides?: Partial<TwoFactorOptions>;
  /** Brings agent 'a' to the starting state; may return a secret or a code. */
  setup: (h: EmailHarness) => Promise<unknown>;
  run: (h: EmailHarness, ctx: unknown) => Promise<unknown>;
  /** The events, in order: [type, outcome, reason?]. */
  expected: Array<[TwoFactorEventType, 'success' | 'failure', string?]>;
}

const none = async () => undefined;
/** The set-up token of each harness's latest `pending` set-up (what the host keeps in its session). */
const setupTokens = new WeakMap<Harness, string>();
const tokenOf = (h: Harness) => setupTokens.get(h) ?? '';
const pending = async (h: Harness) => {
  const r = await h.tf.beginTotpSetup('a', { account: 'a@example.com' });
  if (r.ok) setupTokens.set(h, r.setupToken);
  return r.ok ? r.secret : undefined;
};
/** A hard limit of 3 failures: the 2nd locks for 30 s, the 3rd (after the lock) suspends. */
const LOW_LIMIT: TwoFactorOptions['throttle'] = { freeFailures: 2, maxConsecutiveFailures: 3 };
/** Under LOW_LIMIT: one failure short of the hard limit, the lock over once the clock moves a step. */
const nearLimit = async (h: Harness) => {
  const secret = await enroll(h, 'a');
  for (let i = 0; i < 2; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
  return secret;
};

/** TOTP, policy and admin changes: each writes the record, one step after its set-up (so valid codes are not replays). */
const TOTP_CHANGES: Change[] = [
  { name: 'policy starts a { days } grace', overrides: { settings: GRACE_DAYS }, setup: none, run: (h) => h.tf.policy('a'), expected: [['grace.started', 'success']] },
  {
    name: 'skipSetup that starts the grace',
    overrides: { settings: GRACE_DAYS },
    setup: none,
    run: (h) => h.tf.skipSetup('a'),
    expected: [['grace.started', 'success'], ['setup.skipped', 'success']],
  },
  { name: 'beginTotpSetup', setup: none, run: (h) => h.tf.beginTotpSetup('a', { account: 'a@example.com' }), expected: [['totp.setup.started', 'success']] },
  {
    // Without the set-up token a new set-up begins beside the pending one (what `restart` was).
    name: 'beginTotpSetup again without the set-up token (a restart)',
    setup: pending,
    run: (h) => h.tf.beginTotpSetup('a', { account: 'a@example.com' }),
    expected: [['totp.setup.started', 'success']],
  },
  {
    name: 'beginTotpSetup that drops the oldest of 3 pending set-ups',
    setup: async (h) => {
      for (let i = 0; i < 3; i++) await pending(h);
    },
    run: (h) => h.tf.beginTotpSetup('a', { account: 'a@example.com' }),
    expected: [['totp.setup.started', 'success', 'oldest-dropped']],
  },
  {
    name: 'confirmTotpSetup',
    setup: pending,
    run: (h, s) => h.tf.confirmTotpSetup('a', codeAt(s as string, now(h)), { setupToken: tokenOf(h) }),
    expected: [['totp.setup.confirmed', 'success']],
  },
  { name: 'verifyTotp success', setup: (h) => enroll(h, 'a'), run: (h, s) => h.tf.verifyTotp('a', codeAt(s as string, now(h))), expected: [['totp.verified', 'success']] },
  {
    name: 'verifyTotp wrong code',
    setup: (h) => enroll(h, 'a'),
    run: (h, s) => h.tf.verifyTotp('a', wrongCode(s as string, now(h))),
    expected: [['totp.failed', 'failure', 'invalid-code']],
  },
  {
    name: 'verifyTotp wrong code that locks',
    setup: async (h) => {
      const s = await enroll(h, 'a');
      for (let i = 0; i < 4; i++) await h.tf.verifyTotp('a', wrongCode(s, now(h)));
      return s;
    },
    run: (h, s) => h.tf.verifyTotp('a', wrongCode(s as string, now(h))),
    expected: [['totp.failed', 'failure', 'invalid-code'], ['throttle.locked', 'failure', 'too-many-failures']],
  },
  { name: 'admin.provisionTotp', setup: none, run: (h) => h.tf.admin.provisionTotp('a', { account: 'a@example.com' }), expected: [['admin.totp.provisioned', 'success']] },
  { name: 'admin.setEnforced(true)', setup: none, run: (h) => h.tf.admin.setEnforced('a', true), expected: [['admin.enforced.changed', 'success', 'enforced']] },
  {
    name: 'admin.setEnforced(false)',
    setup: (h) => h.tf.admin.setEnforced('a', true),
    run: (h) => h.tf.admin.setEnforced('a', false),
    expected: [['admin.enforced.changed', 'success', 'not-enforced']],
  },
  { name: 'admin.remove', setup: (h) => enroll(h, 'a'), run: (h) => h.tf.admin.remove('a'), expected: [['admin.removed', 'success', 'totp']] },
  { name: 'admin.unlock', setup: (h) => lockedAgent(h), run: (h) => h.tf.admin.unlock('a'), expected: [['admin.unlocked', 'success']] },
  {
    name: 'verifyTotp wrong code that reaches the hard limit',
    overrides: { throttle: LOW_LIMIT },
    setup: nearLimit,
    run: (h, s) => h.tf.verifyTotp('a', wrongCode(s as string, now(h))),
    expected: [['totp.failed', 'failure', 'invalid-code'], ['throttle.suspended', 'failure', 'too-many-failures']],
  },
  {
    name: 'admin.unlock of a suspended agent',
    overrides: { throttle: LOW_LIMIT },
    setup: async (h) => {
      const s = await nearLimit(h);
      h.clock.advance(STEP_MS);
      await h.tf.verifyTotp('a', wrongCode(s, now(h)));
      return s;
    },
    run: (h) => h.tf.admin.unlock('a'),
    expected: [['admin.unlocked', 'success', 'suspended']],
  },
];

const setupCode = (h: EmailHarness) => sendCode(h, 'a');
const enrolledEmail = (h: EmailHarness) => enrollEmail(h, 'a');
const loginCode = async (h: EmailHarness) => {
  await enrollEmail(h, 'a');
  return sendCode(h, 'a');
};
/** A setup code with four wrong codes typed: the next wrong one is the fifth. */
const fourWrong = async (h: EmailHarness) => {
  const c = await setupCode(h);
  for (let i = 0; i < 4; i++) await verify(h, otherCode(c));
  return c;
};
const lockedByTotp = async (h: EmailHarness) => {
  const secret = await enroll(h, 'a');
  const code = await sendCode(h, 'a', ADDRESS, { sessionVerified: true });
  for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
  h.clock.advance(1_000);
  return code;
};
const send = (h: EmailHarness, to = ADDRESS) => h.tf.sendEmailCode('a', { to });
const verify = (h: EmailHarness, code: unknown) => h.tf.verifyEmailCode('a', code as string);

/** Email sends and verifications, refused or not. */
const EMAIL_CHANGES: Change[] = [
  { name: 'a setup code sent', setup: none, run: (h) => send(h), expected: [['email.code.sent', 'success', 'setup']] },
  { name: 'a login code sent', setup: enrolledEmail, run: (h) => send(h), expected: [['email.code.sent', 'success', 'login']] },
  { name: 'a send refused: method-disabled', overrides: { settings: TOTP_ONLY }, setup: none, run: (h) => send(h), expected: [['email.code.refused', 'failure', 'method-disabled']] },
  { name: 'a send refused: invalid-address', setup: none, run: (h) => send(h, 'ann@localhost'), expected: [['email.code.refused', 'failure', 'invalid-address']] },
  { name: 'a send refused: address-mismatch', setup: enrolledEmail, run: (h) => send(h, 'bob@example.com'), expected: [['email.code.refused', 'failure', 'address-mismatch']] },
  { name: 'a send refused: cooldown', setup: setupCode, run: (h) => send(h), expected: [['email.code.refused', 'failure', 'cooldown']] },
  {
    name: 'a send refused: too-many-sends',
    overrides: { email: { resendCooldownMs: 0, maxSendsPerHour: 1 } },
    setup: setupCode,
    run: (h) => send(h),
    expected: [['email.code.refused', 'failure', 'too-many-sends']],
  },
  { name: 'a send refused: locked', setup: lockedByTotp, run: (h) => send(h), expected: [['email.code.refused', 'failure', 'locked']] },
  {
    name: 'a send whose mail fails',
    setup: async (h) => h.mailer.failNext(),
    run: (h) => send(h),
    expected: [['email.code.undelivered', 'failure', 'delivery-failed']],
  },
  {
    name: 'a send whose template throws: no event',
    overrides: {
      email: {
        renderEmail: () => {
          throw new Error('template bug');
        },
      },
    },
    setup: none,
    run: (h) => send(h).catch(() => undefined),
    expected: [],
  },
  { name: 'a setup code verified', setup: setupCode, run: verify, expected: [['email.setup.confirmed', 'success']] },
  { name: 'a login code verified', setup: loginCode, run: verify, expected: [['email.verified', 'success']] },
  { name: 'a wrong code', setup: loginCode, run: (h, c) => verify(h, otherCode(c as string)), expected: [['email.failed', 'failure', 'invalid-code']] },
  {
    name: 'the wrong code that burns the code (throttle out of the way)',
    overrides: { throttle: { freeFailures: 50 } },
    setup: fourWrong,
    run: (h, c) => verify(h, otherCode(c as string)),
    expected: [['email.failed', 'failure', 'too-many-attempts']],
  },
  {
    name: 'the wrong code that burns the code and locks (defaults)',
    setup: fourWrong,
    run: (h, c) => verify(h, otherCode(c as string)),
    expected: [['email.failed', 'failure', 'too-many-attempts'], ['throttle.locked', 'failure', 'too-many-failures']],
  },
  {
    name: 'the wrong code that locks without burning (maxAttempts 10)',
    overrides: { email: { maxAttempts: 10 } },
    setup: fourWrong,
    run: (h, c) => verify(h, otherCode(c as string)),
    expected: [['email.failed', 'failure', 'invalid-code'], ['throttle.locked', 'failure', 'too-many-failures']],
  },
  {
    name: 'a verification refused: too-many-attempts (code already burned)',
    overrides: { throttle: { freeFailures: 50 } },
    setup: async (h) => {
      const c = await fourWrong(h);
      await verify(h, otherCode(c));
      return c;
    },
    run: verify,
    expected: [['email.failed', 'failure', 'too-many-attempts']],
  },
  { name: 'a verification refused: no-challenge', setup: none, run: (h) => verify(h, '123456'), expected: [['email.failed', 'failure', 'no-challenge']] },
  { name: 'a verification refused: expired', setup: (h) => expiredSetupCode(h), run: verify, expected: [['email.failed', 'failure', 'expired']] },
  { name: 'a verification refused: malformed', setup: setupCode, run: (h) => verify(h, '12ab56'), expected: [['email.failed', 'failure', 'malformed']] },
  {
    name: 'a verification refused: method-disabled',
    overrides: { settings: TOTP_ONLY },
    setup: none,
    run: (h) => verify(h, '123456'),
    expected: [['email.failed', 'failure', 'method-disabled']],
  },
  { name: 'a verification refused: locked', setup: lockedByTotp, run: verify, expected: [['email.failed', 'failure', 'locked']] },
];

/** Every operation, as a row: the method whose failures it counts, and whether it must write. */
const CHANGES: Array<Change & { method: 'totp' | 'email'; writes: boolean }> = [
  ...TOTP_CHANGES.map((c) => ({
    ...c,
    overrides: { settings: TOTP_ONLY, ...c.overrides },
    setup: async (h: EmailHarness) => {
      const ctx = await c.setup(h);
      h.clock.advance(STEP_MS); // a fresh step, so valid codes are not replays
      return ctx;
    },
    method: 'totp' as const,
    writes: true,
  })),
  ...EMAIL_CHANGES.map((c) => ({ ...c, overrides: { settings: BOTH, ...c.overrides }, method: 'email' as const, writes: false })),
];

describe('every operation emits its events', () => {
  it.each(CHANGES)('$name', async (c) => {
    const h = emailHarness(c.overrides);
    const ctx = await c.setup(h);
    const before = h.storage.raw('a');
    h.events.length = 0;
    await c.run(h, ctx);
    if (c.writes) expect(h.storage.raw('a')).not.toBe(before); // it was a state change
    expect(summary(h.events)).toEqual(c.expected);
    expectWellFormed(h.events, now(h), c.method);
  });

  it('skipSetup in a running grace changes nothing but still emits setup.skipped', async () => {
    const h = harness({ settings: GRACE_DAYS });
    await h.tf.policy('a');
    const before = h.storage.raw('a');
    h.events.length = 0;
    await h.tf.skipSetup('a');
    expect(h.storage.raw('a')).toBe(before);
    expect(h.events.map((e) => [e.type, e.outcome])).toEqual([['setup.skipped', 'success']]);
  });

  it('a set-up refresh that changes the stored account name is a state change and emits an event', async () => {
    const h = harness();
    await pending(h);
    const before = stored(h.storage, 'a')!;
    h.events.length = 0;
    await h.tf.beginTotpSetup('a', { account: 'renamed@example.com', setupToken: tokenOf(h) });
    expect(stored(h.storage, 'a')!.totpSetups).toHaveLength(1); // a refresh, not a new set-up
    expect(stored(h.storage, 'a')!.totpSetups[0]!.account).not.toBe(before.totpSetups[0]!.account); // the record changed ...
    expect(h.events.length).toBeGreaterThan(0); // ... so an audit event is due (the type is the implementer's call)
    expectWellFormed(h.events, now(h));
    expect(h.events.every((e) => e.method === 'totp' && e.outcome === 'success')).toBe(true);
  });

  it('admin.remove({ method: email }) emits admin.removed with the method, or pending-email-code', async () => {
    const h = emailHarness();
    await sendCode(h, 'a');
    h.events.length = 0;
    await h.tf.admin.remove('a', { method: 'email' });
    expect(h.events).toMatchObject([{ type: 'admin.removed', method: 'email', outcome: 'success', reason: 'pending-email-code' }]);
    h.clock.advance(COOLDOWN_MS);
    await enrollEmail(h, 'a');
    h.events.length = 0;
    await h.tf.admin.remove('a', { method: 'email' });
    expect(h.events).toMatchObject([{ type: 'admin.removed', method: 'email', outcome: 'success', reason: 'email' }]);
  });

  it('calls that change nothing emit nothing (refresh, status, repeated setEnforced, unlock of a clean agent)', async () => {
    const h = harness();
    await pending(h);
    await h.tf.admin.setEnforced('b', true);
    h.events.length = 0;
    await h.tf.beginTotpSetup('a', { account: 'a@example.com', setupToken: tokenOf(h) });
    await h.tf.status('a');
    await h.tf.policy('a');
    await h.tf.admin.setEnforced('b', true);
    await h.tf.admin.unlock('c');
    expect(h.events).toEqual([]);
  });

  it('a lost compare-and-set emits nothing: 20 parallel sends give one sent and 19 refused', async () => {
    const h = emailHarness();
    await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));
    expect(h.events.filter((e) => e.type === 'email.code.sent')).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'email.code.refused' && e.reason === 'cooldown')).toHaveLength(19);
    expect(h.events).toHaveLength(20);
  });
});

describe('a lock event carries lockedUntil, and so does a refusal while locked', () => {
  it.each([
    {
      method: 'totp' as const,
      make: () => harness(),
      lock: (h: EmailHarness) => lockedAgent(h),
      refuse: (h: EmailHarness, secret: string) => h.tf.verifyTotp('a', codeAt(secret, now(h))),
      refusal: 'totp.failed',
    },
    {
      method: 'email' as const,
      make: () => emailHarness(),
      lock: async (h: EmailHarness) => {
        const code = await sendCode(h, 'a');
        for (let i = 0; i < 5; i++) await h.tf.verifyEmailCode('a', otherCode(code));
        return code;
      },
      refuse: (h: EmailHarness) => h.tf.sendEmailCode('a', { to: ADDRESS }),
      refusal: 'email.code.refused',
    },
  ])('$method: throttle.locked, then $refusal', async ({ method, make, lock, refuse, refusal }) => {
    const h = make() as EmailHarness;
    const ctx = await lock(h);
    const lockEnd = new Date(now(h) + 30_000);
    expect(h.events.find((e) => e.type === 'throttle.locked')).toMatchObject({ method, lockedUntil: lockEnd });
    h.events.length = 0;
    await refuse(h, ctx);
    expect(h.events).toEqual([{ type: refusal, method, outcome: 'failure', reason: 'locked', lockedUntil: lockEnd, agentId: 'a', at: new Date(now(h)) }]);
  });
});

describe('every failed TOTP verification emits a totp.failed event', () => {
  it.each([
    { name: 'wrong code', reason: 'invalid-code', prepare: 'enrolled', code: 'wrong' },
    { name: 'replayed code', reason: 'replayed', prepare: 'enrolled', code: 'replay' },
    { name: 'malformed code', reason: 'malformed', prepare: 'enrolled', code: '12ab56' },
    { name: 'locked', reason: 'locked', prepare: 'locked', code: 'good' },
    { name: 'not enrolled', reason: 'not-enrolled', prepare: 'none', code: '123456' },
    { name: 'TOTP switched off', reason: 'method-disabled', prepare: 'enrolled-off', code: 'good' },
  ] as const)('verifyTotp: $name', async ({ reason, prepare, code }) => {
    let totpOn = true;
    const h = harness({ settings: () => ({ totp: totpOn, email: true, requireAll: false }) });
    let secret = '';
    if (prepare === 'enrolled' || prepare === 'enrolled-off') secret = await enroll(h, 'a');
    if (prepare === 'locked') secret = await lockedAgent(h);
    if (code === 'replay') await h.tf.verifyTotp('a', codeAt(secret, now(h)));
    if (prepare === 'enrolled-off') totpOn = false;
    const submitted = code === 'wrong' ? wrongCode(secret, now(h)) : code === 'good' || code === 'replay' ? codeAt(secret, now(h)) : code;
    h.events.length = 0;

    const result = await h.tf.verifyTotp('a', submitted);
    expect(result).toMatchObject({ ok: false, reason });
    expect(h.events.map((e) => [e.type, e.method, e.outcome, e.reason])).toEqual(
      expect.arrayContaining([['totp.failed', 'totp', 'failure', reason]]),
    );
    expectWellFormed(h.events, now(h));
  });

  it.each([
    { name: 'no pending set-up', reason: 'no-pending-setup', prepare: 'none' },
    { name: 'an unknown set-up token', reason: 'no-pending-setup', prepare: 'pending' },
    { name: 'already enrolled', reason: 'already-enrolled', prepare: 'enrolled' },
  ] as const)('confirmTotpSetup: $name', async ({ reason, prepare }) => {
    const h = harness();
    if (prepare === 'enrolled') await enroll(h, 'a');
    if (prepare === 'pending') await pending(h);
    h.events.length = 0;
    expect(await h.tf.confirmTotpSetup('a', '123456', { setupToken: 'not-a-token-of-this-agent' })).toMatchObject({ ok: false, reason });
    expect(h.events.map((e) => [e.type, e.outcome, e.reason])).toEqual([['totp.failed', 'failure', reason]]);
  });
});

describe('events never carry a secret, a code, an address or a hash', () => {
  it('across a whole TOTP life cycle', async () => {
    const h = harness({ settings: GRACE_DAYS });
    const submitted: string[] = [];
    const secrets: string[] = [];
    const verifyCode = async (code: string) => {
      submitted.push(code);
      return h.tf.verifyTotp('a', code);
    };
    await h.tf.policy('a');
    await h.tf.skipSetup('a');
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    secrets.push(begun.secret);
    const confirmCode = codeAt(begun.secret, now(h));
    submitted.push(confirmCode);
    await h.tf.confirmTotpSetup('a', confirmCode, { setupToken: begun.setupToken });
    h.clock.advance(STEP_MS);
    await verifyCode(codeAt(begun.secret, now(h)));
    await verifyCode(codeAt(begun.secret, now(h))); // replay
    await verifyCode('12 34 5x');
    for (let i = 0; i < 6; i++) await verifyCode(wrongCode(begun.secret, now(h)));
    await h.tf.admin.unlock('a');
    await h.tf.admin.setEnforced('a', true);
    await h.tf.admin.remove('a');
    const provisioned = await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
    if (!provisioned.ok) throw new Error('refused');
    secrets.push(provisioned.secret);
    await verifyCode(codeAt(provisioned.secret, now(h)));

    expect(new Set(h.events.map((e) => e.type)).size).toBeGreaterThanOrEqual(10); // the cycle touched most event types
    const text = JSON.stringify(h.events);
    for (const secret of secrets) expect(text).not.toContain(secret.slice(0, 10));
    for (const code of submitted) expect(text).not.toContain(code);
    expect(text).not.toContain(begun.setupToken);
    expect(text).not.toContain('ann@example.com');
  });

  it('over a long session with both methods, every refusal and a failing mailer', async () => {
    const address = 'zq.lee+help@mailbox-host.example';
    const typed = 'ZQ.Lee+help@MAILBOX-host.example';
    const captured: EmailMessage[] = [];
    let failNext = 0;
    const mailer: Mailer = {
      send: async (m) => {
        captured.push(m);
        if (failNext > 0) {
          failNext--;
          throw new Error(`could not deliver to ${m.to}`);
        }
      },
    };
    const h = emailHarness({ mailer, email: { maxAttempts: 3 } });
    const submitted: string[] = [];
    const hashes: string[] = [];
    const remember = () => {
      const c = stored(h.storage, 'a')?.emailChallenge;
      if (c) hashes.push(c.hash, ...(c.salt === null ? [] : [c.salt]));
    };
    const v = async (code: string) => {
      submitted.push(code);
      remember();
      return h.tf.verifyEmailCode('a', code);
    };
    const lastCode = () => codeOf(captured.at(-1));

    // TOTP set-up, then email set-up with a failed delivery first.
    const begun = await h.tf.beginTotpSetup('a', { account: address });
    if (!begun.ok) throw new Error('refused');
    const secret = begun.secret;
    const { setupToken } = begun;
    await h.tf.confirmTotpSetup('a', wrongCode(secret, now(h)), { setupToken });
    h.clock.advance(30_000);
    expect(await h.tf.confirmTotpSetup('a', codeAt(secret, now(h)), { setupToken })).toMatchObject({ ok: true });
    failNext = 1;
    await h.tf.sendEmailCode('a', { to: address }); // refused: TOTP is active, the session not verified
    await h.tf.sendEmailCode('a', { to: address, sessionVerified: true });
    await h.tf.sendEmailCode('a', { to: address, sessionVerified: true });
    await v(otherCode(lastCode()));
    await v(lastCode());
    // Refusals of every kind.
    await h.tf.sendEmailCode('a', { to: 'other@mailbox-host.example' });
    await h.tf.sendEmailCode('a', { to: `${address} ` });
    await h.tf.sendEmailCode('a', { to: typed }); // cooldown
    h.clock.advance(COOLDOWN_MS);
    await h.tf.sendEmailCode('a', { to: typed });
    for (let i = 0; i < 3; i++) await v(otherCode(lastCode()));
    await v(lastCode()); // burned
    await v('12ab56');
    h.clock.advance(COOLDOWN_MS);
    await h.tf.sendEmailCode('a', { to: address });
    h.clock.advance(10 * 60_000);
    await v(lastCode()); // expired
    for (let i = 0; i < 3; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h))); // 5 failures: locked
    await h.tf.sendEmailCode('a', { to: address });
    await v('000000');
    h.clock.advance(HOUR_MS);
    await h.tf.sendEmailCode('a', { to: address });
    await v(lastCode());
    await h.tf.admin.remove('a', { method: 'email' });

    const types = new Set(h.events.map((e) => e.type));
    for (const t of ['email.code.sent', 'email.code.refused', 'email.code.undelivered', 'email.setup.confirmed', 'email.verified', 'email.failed', 'throttle.locked'] as const) {
      expect(types, t).toContain(t);
    }
    expect(h.events.some((e) => e.type === 'throttle.locked' && e.method === 'totp')).toBe(true);

    const text = h.events.map((e) => `${JSON.stringify(e)} ${Object.values(e).map(String).join(' ')}`).join('\n');
    const codes = [...captured.map(codeOf), ...submitted].filter((c) => /^[0-9]{6}$/.test(c));
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) expect(text).not.toContain(code);
    for (const a of [address, typed, address.toLowerCase(), 'zq.lee', 'mailbox-host', 'other@']) expect(text.toLowerCase()).not.toContain(a.toLowerCase());
    for (const s of [secret, begun.formattedSecret, secret.toLowerCase(), setupToken]) expect(text).not.toContain(s);
    expect(hashes.length).toBeGreaterThan(4);
    for (const x of hashes) expect(text).not.toContain(x);
  });
});

describe('a failing event handler', () => {
  it.each([
    { name: 'throws synchronously', handler: (error: Error) => () => { throw error; } },
    { name: 'rejects asynchronously', handler: (error: Error) => async () => { throw error; } },
  ])('that $name does not fail or undo the operation; onEventError gets the error and the event', async ({ handler }) => {
    const error = new Error('audit sink down');
    const reported: Array<[unknown, TwoFactorEvent]> = [];
    const h = harness({ onEvent: handler(error), onEventError: (e, event) => reported.push([e, event]) });
    const secret = await enroll(h, 'a');
    const result = await h.tf.verifyTotp('a', codeAt(secret, now(h)));
    await settle();

    expect(result).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ activatedAt: expect.any(Number), lastStep: now(h) / STEP_MS }); // active
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
    // One report per event: set-up started, set-up confirmed, verified.
    expect(reported.map(([e, event]) => [e, event.type])).toEqual([
      [error, 'totp.setup.started'],
      [error, 'totp.setup.confirmed'],
      [error, 'totp.verified'],
    ]);
    expect(reported[2]![1]).toMatchObject({ agentId: 'a', method: 'totp', outcome: 'success', at: new Date(now(h)) });
  });

  it('a throwing handler on a failed verification does not hide the result or the counted failure', async () => {
    const reported: unknown[] = [];
    const h = harness({
      onEvent: () => {
        throw new Error('nope');
      },
      onEventError: (e) => reported.push(e),
    });
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect((await h.tf.status('a')).lockedUntil).toEqual(new Date(now(h) + 30_000));
    expect(reported.length).toBeGreaterThanOrEqual(6);
  });

  it('a throwing or rejecting onEvent changes no email result and no mail', async () => {
    const reported: unknown[] = [];
    let calls = 0;
    const h = emailHarness({
      onEvent: () => {
        calls++;
        if (calls % 2 === 0) return Promise.reject(new Error('sink down'));
        throw new Error('sink broken');
      },
      onEventError: (error) => {
        reported.push(error);
      },
    });
    const code = await sendCode(h, 'a');
    expect(await h.tf.verifyEmailCode('a', otherCode(code))).toEqual({ ok: false, reason: 'invalid-code' });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
    await settle();
    expect(calls).toBe(3);
    expect(reported).toHaveLength(3);
    expect(stored(h.storage, 'a')!.email!.address).toBe(ADDRESS);
  });

  it('an onEventError that throws too is contained', async () => {
    const h = harness({
      onEvent: () => {
        throw new Error('first');
      },
      onEventError: () => {
        throw new Error('second');
      },
    });
    await expect(h.tf.admin.setEnforced('a', true)).resolves.toEqual({ ok: true, enforced: true });
    expect(stored(h.storage, 'a')!.enforced).toBe(true);
  });

  it('a handler that never settles does not block the operation', async () => {
    const h = harness({ onEvent: () => new Promise<void>(() => {}) });
    await expect(h.tf.admin.setEnforced('a', true)).resolves.toEqual({ ok: true, enforced: true });
  });

  it('without onEventError, the failure goes to console.error with the error', async () => {
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const error = new Error('audit sink down');
    const h = harness({
      onEvent: () => {
        throw error;
      },
    });
    await h.tf.admin.setEnforced('a', true);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]).toContain(error);
  });

  it('events are emitted only after the change is saved (the handler sees the new state)', async () => {
    const seen: Array<boolean | undefined> = [];
    const h = harness({
      onEvent: (e) => {
        if (e.type === 'admin.enforced.changed') seen.push(stored(h.storage, 'a')?.enforced);
      },
    });
    await h.tf.admin.setEnforced('a', true);
    expect(seen).toEqual([true]);
  });
});

it('events use the service clock for `at`', async () => {
  const h = harness();
  h.clock.set(T0 + 12_345);
  await h.tf.admin.setEnforced('a', true);
  expect(h.events[0]!.at).toEqual(new Date(T0 + 12_345));
});
