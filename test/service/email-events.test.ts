/**
 * Audit events of email codes: email.code.sent / refused / undelivered, email.setup.confirmed,
 * email.verified, email.failed and throttle.locked, each with method 'email', the agent id, the
 * time and the outcome; emitted only once the change is saved; and never carrying a code, an
 * address, a hash or a TOTP secret.
 */
import { describe, expect, it } from 'vitest';
import type { EmailMessage, Mailer, TwoFactorEvent, TwoFactorEventType } from '../../src/ports.js';
import type { TwoFactorOptions } from '../../src/index.js';
import {
  ADDRESS,
  COOLDOWN_MS,
  HOUR_MS,
  T0,
  TOTP_ONLY,
  codeAt,
  emailHarness,
  enroll,
  enrollEmail,
  otherCode,
  sendCode,
  settle,
  stored,
  wrongCode,
  type EmailHarness,
} from './_helpers.js';

const now = (h: EmailHarness) => h.clock.now().getTime();

type Expected = Array<[TwoFactorEventType, 'success' | 'failure', string?]>;

interface Case {
  name: string;
  overrides?: Partial<TwoFactorOptions>;
  /** Brings agent 'a' to the starting state; may return a code. */
  setup: (h: EmailHarness) => Promise<string | undefined>;
  run: (h: EmailHarness, code: string | undefined) => Promise<unknown>;
  expected: Expected;
}

const none = async () => undefined;
const setupCode = (h: EmailHarness) => sendCode(h, 'a');
const loginCode = async (h: EmailHarness) => {
  await enrollEmail(h, 'a');
  return sendCode(h, 'a');
};
const lockedByTotp = async (h: EmailHarness) => {
  const secret = await enroll(h, 'a');
  const code = await sendCode(h, 'a', ADDRESS, { sessionVerified: true });
  for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
  h.clock.advance(1_000);
  return code;
};
const send = (h: EmailHarness, to = ADDRESS) => h.tf.sendEmailCode('a', { to });
const verify = (h: EmailHarness, code: string) => h.tf.verifyEmailCode('a', code);

const CASES: Case[] = [
  { name: 'a setup code sent', setup: none, run: (h) => send(h), expected: [['email.code.sent', 'success', 'setup']] },
  {
    name: 'a login code sent',
    setup: async (h) => {
      await enrollEmail(h, 'a');
      return undefined;
    },
    run: (h) => send(h),
    expected: [['email.code.sent', 'success', 'login']],
  },
  {
    name: 'a send refused: method-disabled',
    overrides: { settings: TOTP_ONLY },
    setup: none,
    run: (h) => send(h),
    expected: [['email.code.refused', 'failure', 'method-disabled']],
  },
  { name: 'a send refused: invalid-address', setup: none, run: (h) => send(h, 'ann@localhost'), expected: [['email.code.refused', 'failure', 'invalid-address']] },
  {
    name: 'a send refused: address-mismatch',
    setup: async (h) => {
      await enrollEmail(h, 'a');
      return undefined;
    },
    run: (h) => send(h, 'bob@example.com'),
    expected: [['email.code.refused', 'failure', 'address-mismatch']],
  },
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
    setup: async (h) => {
      h.mailer.failNext();
      return undefined;
    },
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
  { name: 'a setup code verified', setup: setupCode, run: (h, c) => verify(h, c!), expected: [['email.setup.confirmed', 'success']] },
  { name: 'a login code verified', setup: loginCode, run: (h, c) => verify(h, c!), expected: [['email.verified', 'success']] },
  { name: 'a wrong code', setup: loginCode, run: (h, c) => verify(h, otherCode(c!)), expected: [['email.failed', 'failure', 'invalid-code']] },
  {
    name: 'the wrong code that burns the code (throttle out of the way)',
    overrides: { throttle: { freeFailures: 50 } },
    setup: async (h) => {
      const c = await setupCode(h);
      for (let i = 0; i < 4; i++) await verify(h, otherCode(c));
      return c;
    },
    run: (h, c) => verify(h, otherCode(c!)),
    expected: [['email.failed', 'failure', 'too-many-attempts']],
  },
  {
    name: 'the wrong code that burns the code and locks (defaults)',
    setup: async (h) => {
      const c = await setupCode(h);
      for (let i = 0; i < 4; i++) await verify(h, otherCode(c));
      return c;
    },
    run: (h, c) => verify(h, otherCode(c!)),
    expected: [
      ['email.failed', 'failure', 'too-many-attempts'],
      ['throttle.locked', 'failure', 'too-many-failures'],
    ],
  },
  {
    name: 'the wrong code that locks without burning (maxAttempts 10)',
    overrides: { email: { maxAttempts: 10 } },
    setup: async (h) => {
      const c = await setupCode(h);
      for (let i = 0; i < 4; i++) await verify(h, otherCode(c));
      return c;
    },
    run: (h, c) => verify(h, otherCode(c!)),
    expected: [
      ['email.failed', 'failure', 'invalid-code'],
      ['throttle.locked', 'failure', 'too-many-failures'],
    ],
  },
  {
    name: 'a verification refused: too-many-attempts (code already burned)',
    overrides: { throttle: { freeFailures: 50 } },
    setup: async (h) => {
      const c = await setupCode(h);
      for (let i = 0; i < 5; i++) await verify(h, otherCode(c));
      return c;
    },
    run: (h, c) => verify(h, c!),
    expected: [['email.failed', 'failure', 'too-many-attempts']],
  },
  { name: 'a verification refused: no-challenge', setup: none, run: (h) => verify(h, '123456'), expected: [['email.failed', 'failure', 'no-challenge']] },
  {
    name: 'a verification refused: expired',
    setup: async (h) => {
      const c = await setupCode(h);
      h.clock.advance(10 * 60_000);
      return c;
    },
    run: (h, c) => verify(h, c!),
    expected: [['email.failed', 'failure', 'expired']],
  },
  { name: 'a verification refused: malformed', setup: setupCode, run: (h) => verify(h, '12ab56'), expected: [['email.failed', 'failure', 'malformed']] },
  {
    name: 'a verification refused: method-disabled',
    overrides: { settings: TOTP_ONLY },
    setup: none,
    run: (h) => verify(h, '123456'),
    expected: [['email.failed', 'failure', 'method-disabled']],
  },
  { name: 'a verification refused: locked', setup: lockedByTotp, run: (h, c) => verify(h, c!), expected: [['email.failed', 'failure', 'locked']] },
];

function expectWellFormed(events: readonly TwoFactorEvent[], at: number): void {
  for (const e of events) {
    expect(e.agentId).toBe('a');
    expect(e.at).toEqual(new Date(at));
    expect(e.method).toBe('email');
    expect(e.outcome).toBe(e.type === 'email.code.sent' || e.type === 'email.setup.confirmed' || e.type === 'email.verified' ? 'success' : 'failure');
    if (e.type === 'throttle.locked' || e.reason === 'locked') expect(e.lockedUntil).toBeInstanceOf(Date);
    else expect(e.lockedUntil).toBeUndefined();
  }
}

describe('every email operation emits its events', () => {
  it.each(CASES)('$name', async (c) => {
    const h = emailHarness(c.overrides);
    const code = await c.setup(h);
    h.events.length = 0;
    await c.run(h, code);
    expect(h.events.map((e) => [e.type, e.outcome, ...(e.reason === undefined ? [] : [e.reason])])).toEqual(c.expected);
    expectWellFormed(h.events, now(h));
  });
});

describe('event details', () => {
  it('throttle.locked and a locked refusal carry the lock end', async () => {
    const h = emailHarness();
    const code = await sendCode(h, 'a');
    for (let i = 0; i < 4; i++) await h.tf.verifyEmailCode('a', otherCode(code));
    h.events.length = 0;
    await h.tf.verifyEmailCode('a', otherCode(code));
    const lockEnd = new Date(T0 + 30_000);
    expect(h.events.find((e) => e.type === 'throttle.locked')).toMatchObject({ method: 'email', lockedUntil: lockEnd });
    h.events.length = 0;
    await h.tf.sendEmailCode('a', { to: ADDRESS });
    expect(h.events).toEqual([{ type: 'email.code.refused', method: 'email', outcome: 'failure', reason: 'locked', lockedUntil: lockEnd, agentId: 'a', at: new Date(T0) }]);
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

  it('a lost compare-and-set emits nothing: 20 parallel sends give one sent and 19 refused', async () => {
    const h = emailHarness();
    await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));
    expect(h.events.filter((e) => e.type === 'email.code.sent')).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'email.code.refused' && e.reason === 'cooldown')).toHaveLength(19);
    expect(h.events).toHaveLength(20);
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
});

describe('no event carries a code, an address, a hash or a secret', () => {
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
    const lastCode = () => captured.at(-1)!.code;

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
    for (const t of [
      'email.code.sent', 'email.code.refused', 'email.code.undelivered', 'email.setup.confirmed', 'email.verified', 'email.failed', 'throttle.locked',
    ] as const) {
      expect(types, t).toContain(t);
    }
    expect(h.events.some((e) => e.type === 'throttle.locked' && e.method === 'totp')).toBe(true);

    const text = h.events.map((e) => `${JSON.stringify(e)} ${Object.values(e).map(String).join(' ')}`).join('\n');
    const codes = [...captured.map((m) => m.code), ...submitted].filter((c) => /^[0-9]{6}$/.test(c));
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) expect(text).not.toContain(code);
    for (const a of [address, typed, address.toLowerCase(), 'zq.lee', 'mailbox-host', 'other@']) expect(text.toLowerCase()).not.toContain(a.toLowerCase());
    for (const s of [secret, begun.formattedSecret, secret.toLowerCase(), setupToken]) expect(text).not.toContain(s);
    expect(hashes.length).toBeGreaterThan(4);
    for (const x of hashes) expect(text).not.toContain(x);
  });
});
