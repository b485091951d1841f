/**
 * Audit events: one for every state change and every failed verification, with type, agentId,
 * method, time and outcome; never a secret or a submitted code; a failing handler neither
 * fails nor undoes the operation, and is reported through onEventError.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicySettings } from '../../src/policy/types.js';
import type { TwoFactorEvent, TwoFactorEventType } from '../../src/ports.js';
import type { TwoFactor, TwoFactorOptions } from '../../src/index.js';
import { STEP_MS, T0, TOTP_ONLY, codeAt, enroll, harness, settle, stored, wrongCode, type Harness } from './_helpers.js';

const now = (h: Harness) => h.clock.now().getTime();
const GRACE_DAYS: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } };

afterEach(() => {
  vi.restoreAllMocks();
});

/** Checks the fields every event must carry. */
function expectWellFormed(events: readonly TwoFactorEvent[], agentId: string, at: number): void {
  for (const e of events) {
    expect(e.agentId).toBe(agentId);
    expect(e.at).toEqual(new Date(at));
    expect(['success', 'failure']).toContain(e.outcome);
    expect(typeof e.type).toBe('string');
    if (e.type.startsWith('totp.') || e.type === 'throttle.locked' || e.type === 'admin.totp.provisioned') expect(e.method).toBe('totp');
  }
}

interface Change {
  name: string;
  settings?: PolicySettings;
  throttle?: TwoFactorOptions['throttle'];
  setup: (h: Harness) => Promise<string | undefined>;
  run: (tf: TwoFactor, secret: string | undefined, h: Harness) => Promise<unknown>;
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
const lockedAgent = async (h: Harness) => {
  const secret = await enroll(h, 'a');
  for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
  return secret;
};
/** A hard limit of 3 failures: the 2nd locks for 30 s, the 3rd (after the lock) suspends. */
const LOW_LIMIT: TwoFactorOptions['throttle'] = { freeFailures: 2, maxConsecutiveFailures: 3 };
/** Under LOW_LIMIT: one failure short of the hard limit, the lock over once the clock moves a step. */
const nearLimit = async (h: Harness) => {
  const secret = await enroll(h, 'a');
  for (let i = 0; i < 2; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
  return secret;
};

const CHANGES: Change[] = [
  { name: 'policy starts a { days } grace', settings: GRACE_DAYS, setup: none, run: (tf) => tf.policy('a'), expected: [['grace.started', 'success']] },
  {
    name: 'skipSetup that starts the grace',
    settings: GRACE_DAYS,
    setup: none,
    run: (tf) => tf.skipSetup('a'),
    expected: [['grace.started', 'success'], ['setup.skipped', 'success']],
  },
  { name: 'beginTotpSetup', setup: none, run: (tf) => tf.beginTotpSetup('a', { account: 'a@example.com' }), expected: [['totp.setup.started', 'success']] },
  {
    // Without the set-up token a new set-up begins beside the pending one (what `restart` was).
    name: 'beginTotpSetup again without the set-up token (a restart)',
    setup: pending,
    run: (tf) => tf.beginTotpSetup('a', { account: 'a@example.com' }),
    expected: [['totp.setup.started', 'success']],
  },
  {
    name: 'beginTotpSetup that drops the oldest of 3 pending set-ups',
    setup: async (h) => {
      for (let i = 0; i < 3; i++) await pending(h);
      return undefined;
    },
    run: (tf) => tf.beginTotpSetup('a', { account: 'a@example.com' }),
    expected: [['totp.setup.started', 'success', 'oldest-dropped']],
  },
  {
    name: 'confirmTotpSetup',
    setup: pending,
    run: (tf, s, h) => tf.confirmTotpSetup('a', codeAt(s!, now(h)), { setupToken: tokenOf(h) }),
    expected: [['totp.setup.confirmed', 'success']],
  },
  {
    name: 'verifyTotp success',
    setup: (h) => enroll(h, 'a'),
    run: (tf, s, h) => tf.verifyTotp('a', codeAt(s!, now(h))),
    expected: [['totp.verified', 'success']],
  },
  {
    name: 'verifyTotp wrong code',
    setup: (h) => enroll(h, 'a'),
    run: (tf, s, h) => tf.verifyTotp('a', wrongCode(s!, now(h))),
    expected: [['totp.failed', 'failure', 'invalid-code']],
  },
  {
    name: 'verifyTotp wrong code that locks',
    setup: async (h) => {
      const s = await enroll(h, 'a');
      for (let i = 0; i < 4; i++) await h.tf.verifyTotp('a', wrongCode(s, now(h)));
      return s;
    },
    run: (tf, s, h) => tf.verifyTotp('a', wrongCode(s!, now(h))),
    expected: [['totp.failed', 'failure', 'invalid-code'], ['throttle.locked', 'failure', 'too-many-failures']],
  },
  {
    name: 'admin.provisionTotp',
    setup: none,
    run: (tf) => tf.admin.provisionTotp('a', { account: 'a@example.com' }),
    expected: [['admin.totp.provisioned', 'success']],
  },
  { name: 'admin.setEnforced(true)', setup: none, run: (tf) => tf.admin.setEnforced('a', true), expected: [['admin.enforced.changed', 'success', 'enforced']] },
  {
    name: 'admin.setEnforced(false)',
    setup: (h) => h.tf.admin.setEnforced('a', true).then(() => undefined),
    run: (tf) => tf.admin.setEnforced('a', false),
    expected: [['admin.enforced.changed', 'success', 'not-enforced']],
  },
  { name: 'admin.remove', setup: (h) => enroll(h, 'a'), run: (tf) => tf.admin.remove('a'), expected: [['admin.removed', 'success', 'totp']] },
  { name: 'admin.unlock', setup: lockedAgent, run: (tf) => tf.admin.unlock('a'), expected: [['admin.unlocked', 'success']] },
  {
    name: 'verifyTotp wrong code that reaches the hard limit',
    throttle: LOW_LIMIT,
    setup: nearLimit,
    run: (tf, s, h) => tf.verifyTotp('a', wrongCode(s!, now(h))),
    expected: [['totp.failed', 'failure', 'invalid-code'], ['throttle.suspended', 'failure', 'too-many-failures']],
  },
  {
    name: 'admin.unlock of a suspended agent',
    throttle: LOW_LIMIT,
    setup: async (h) => {
      const s = await nearLimit(h);
      h.clock.advance(STEP_MS);
      await h.tf.verifyTotp('a', wrongCode(s, now(h)));
      return s;
    },
    run: (tf) => tf.admin.unlock('a'),
    expected: [['admin.unlocked', 'success', 'suspended']],
  },
];

describe('every state change emits its events', () => {
  it.each(CHANGES)('$name', async (c) => {
    const h = harness({ settings: c.settings ?? TOTP_ONLY, ...(c.throttle === undefined ? {} : { throttle: c.throttle }) });
    const secret = await c.setup(h);
    h.clock.advance(STEP_MS); // a fresh step, so valid codes are not replays
    const before = h.storage.raw('a');
    h.events.length = 0;
    await c.run(h.tf, secret, h);
    expect(h.storage.raw('a')).not.toBe(before); // it was a state change
    expect(h.events.map((e) => [e.type, e.outcome, ...(e.reason === undefined ? [] : [e.reason])])).toEqual(c.expected);
    expectWellFormed(h.events, 'a', now(h));
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
    expectWellFormed(h.events, 'a', now(h));
    expect(h.events.every((e) => e.method === 'totp' && e.outcome === 'success')).toBe(true);
  });

  it('a lock event carries lockedUntil, and so do refusals while locked', async () => {
    const h = harness();
    const secret = await lockedAgent(h);
    const lockEnd = now(h) + 30_000;
    expect(h.events.find((e) => e.type === 'throttle.locked')!.lockedUntil).toEqual(new Date(lockEnd));
    h.events.length = 0;
    await h.tf.verifyTotp('a', codeAt(secret, now(h)));
    expect(h.events).toEqual([
      { type: 'totp.failed', method: 'totp', outcome: 'failure', reason: 'locked', lockedUntil: new Date(lockEnd), agentId: 'a', at: new Date(now(h)) },
    ]);
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
});

describe('every failed verification emits a totp.failed event', () => {
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
    expectWellFormed(h.events, 'a', now(h));
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

describe('events never carry a secret or a submitted code', () => {
  it('across a whole life cycle', async () => {
    const h = harness({ settings: GRACE_DAYS });
    const submitted: string[] = [];
    const secrets: string[] = [];
    const verify = async (code: string) => {
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
    await verify(codeAt(begun.secret, now(h)));
    await verify(codeAt(begun.secret, now(h))); // replay
    await verify('12 34 5x');
    for (let i = 0; i < 6; i++) await verify(wrongCode(begun.secret, now(h)));
    await h.tf.admin.unlock('a');
    await h.tf.admin.setEnforced('a', true);
    await h.tf.admin.remove('a');
    const provisioned = await h.tf.admin.provisionTotp('a', { account: 'ann@example.com' });
    if (!provisioned.ok) throw new Error('refused');
    secrets.push(provisioned.secret);
    await verify(codeAt(provisioned.secret, now(h)));

    expect(new Set(h.events.map((e) => e.type)).size).toBeGreaterThanOrEqual(10); // the cycle touched most event types
    const text = JSON.stringify(h.events);
    for (const secret of secrets) expect(text).not.toContain(secret.slice(0, 10));
    for (const code of submitted) expect(text).not.toContain(code);
    expect(text).not.toContain(begun.setupToken);
    expect(text).not.toContain('ann@example.com');
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
