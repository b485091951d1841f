/**
 * @module Concurrency, over every method: parallel calls for one agent really interleave
 * (MemoryStorage awaits inside load and save; DelayedStorage adds random timers and microtask
 * yields; fast-check's scheduler picks adversarial orders), and the compare-and-set still gives
 * exactly one winner per state: a code is accepted once, no more wrong codes are checked than the
 * limits allow, and one of many parallel sends goes out.
 *
 * "Checked" is observed without mocking: every checked wrong code adds one to the throttle's
 * `failures` (and, for an email code, to the challenge's `attempts`), and refusals (replayed,
 * burned, locked, no challenge) change neither.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import { TwoFactorError, type AgentRecord, type TwoFactorOptions, type TwoFactorStorage } from '../../src/index.js';
import { ADDRESS, COOLDOWN_MS, STEP_MS, T0, begin, codeAt, codeOf, emailHarness, enroll, enrollEmail, harness, now, otherCode, sendCode, stored, wrongCode, type EmailHarness } from '../support/harness.js';
import { DelayedStorage, ScheduledStorage } from '../support/storages.js';

const STORAGES: Array<{ name: string; make: (memory: MemoryStorage) => TwoFactorStorage }> = [
  { name: 'MemoryStorage', make: (memory) => memory },
  { name: 'DelayedStorage (seed 1)', make: (memory) => new DelayedStorage(memory, 1) },
  { name: 'DelayedStorage (seed 2)', make: (memory) => new DelayedStorage(memory, 2) },
  { name: 'DelayedStorage (seed 3)', make: (memory) => new DelayedStorage(memory, 3) },
];

/** Counts results by outcome: `ok`, or the refusal reason. */
function tally(results: ReadonlyArray<{ ok: boolean; reason?: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.ok ? 'ok' : r.reason!;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

type Result = { ok: boolean; reason?: string; retryAt?: Date };

/** `parallel` calls at once, racing for one state; `after` checks what the race left. */
interface Race {
  name: string;
  /** TOTP only, or both methods and a mailer. */
  email?: boolean;
  overrides?: Partial<TwoFactorOptions>;
  parallel: number;
  /** Brings agent 'a' to the state raced for; returns what `call` needs. */
  prepare: (h: EmailHarness) => Promise<unknown>;
  /** The i-th call of the race. */
  call: (h: EmailHarness, ctx: unknown, i: number) => Promise<Result>;
  /** The outcomes, when they do not depend on the order. */
  expected?: Record<string, number>;
  after?: (h: EmailHarness, results: Result[], ctx: unknown) => Promise<void> | void;
}

/** A pending set-up, as the host keeps it. */
type Pending = Awaited<ReturnType<typeof begin>>;
const pending = (h: EmailHarness): Promise<Pending> => begin(h, 'a');
const ctxSecret = (ctx: unknown) => ctx as string;
const ctxCode = (ctx: unknown) => ctx as string;

/** One right code raced many times: exactly one is accepted. */
const ONE_WINNER: Race[] = [
  {
    name: 'logins with the same valid TOTP code: exactly one ok, the rest replayed',
    parallel: 200,
    prepare: async (h) => codeAt(await enroll(h, 'a'), now(h)),
    call: (h, code) => h.tf.verifyTotp('a', ctxCode(code)),
    expected: { ok: 1, replayed: 199 },
    after: (h) => {
      expect(stored(h.storage, 'a')!.totp!.lastStep).toBe(now(h) / STEP_MS);
      // Only the winning attempt's events are emitted; a lost compare-and-set emits nothing.
      expect(h.events.filter((e) => e.type === 'totp.verified')).toHaveLength(1);
      expect(h.events.filter((e) => e.reason === 'replayed')).toHaveLength(199);
      // A replay is not a guess: it does not count toward the throttle.
      expect(stored(h.storage, 'a')!.throttle.failures).toBe(0);
    },
  },
  {
    name: 'confirmTotpSetup with the same valid code: exactly one ok, the rest already-enrolled',
    parallel: 50,
    prepare: pending,
    call: (h, p) => h.tf.confirmTotpSetup('a', codeAt((p as Pending).secret, now(h)), { setupToken: (p as Pending).setupToken }),
    expected: { ok: 1, 'already-enrolled': 49 },
    after: (h, _results, p) => {
      expect(stored(h.storage, 'a')!.totp).toMatchObject({ secret: (p as Pending).secret, activatedAt: expect.any(Number) }); // active
      expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
      expect(h.events.filter((e) => e.type === 'totp.setup.confirmed')).toHaveLength(1);
    },
  },
  {
    name: 'verifications of the right email setup code: exactly one ok, the rest no-challenge',
    email: true,
    parallel: 100,
    prepare: (h) => sendCode(h, 'a'),
    call: (h, code) => h.tf.verifyEmailCode('a', ctxCode(code)),
    expected: { ok: 1, 'no-challenge': 99 },
    after: (h, results) => {
      expect(results.find((r) => r.ok)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
      const record = stored(h.storage, 'a')!;
      expect(record.emailChallenge).toBeNull();
      expect(record.email!.address).toBe(ADDRESS);
      expect(record.throttle.failures).toBe(0);
      expect(h.events.filter((e) => e.type === 'email.setup.confirmed')).toHaveLength(1);
      expect(h.events.filter((e) => e.type === 'email.failed' && e.reason === 'no-challenge')).toHaveLength(99);
    },
  },
  {
    name: 'verifications of the right email login code: exactly one ok',
    email: true,
    parallel: 100,
    prepare: async (h) => {
      await enrollEmail(h, 'a');
      return sendCode(h, 'a');
    },
    call: (h, code) => h.tf.verifyEmailCode('a', ctxCode(code)),
    expected: { ok: 1, 'no-challenge': 99 },
    after: (h) => {
      expect(stored(h.storage, 'a')!.email!.lastUsedAt).toBe(now(h));
    },
  },
];

/** One wrong code raced many times: no more are checked than the limits allow. */
const LIMITED: Race[] = [
  {
    name: 'wrong TOTP codes: exactly freeFailures (5) are checked, the rest refused locked',
    parallel: 200,
    prepare: async (h) => wrongCode(await enroll(h, 'a'), now(h)),
    call: (h, bad) => h.tf.verifyTotp('a', ctxCode(bad)),
    expected: { 'invalid-code': 5, locked: 195 },
    after: async (h, results) => {
      const lockEnd = now(h) + 30_000;
      // The fifth checked code starts the lock and says so; the four before it do not.
      const checked = results.filter((r) => !r.ok && r.reason === 'invalid-code');
      expect(checked.filter((r) => !r.ok && r.retryAt !== undefined).map((r) => !r.ok && r.retryAt?.getTime())).toEqual([lockEnd]);
      for (const r of results) if (!r.ok && r.reason === 'locked') expect(r.retryAt!.getTime()).toBe(lockEnd);

      const status = await h.tf.status('a');
      expect(status.failures).toBe(5);
      expect(status.lockedUntil?.getTime()).toBe(lockEnd);
      expect(stored(h.storage, 'a')!.throttle).toEqual({ failures: 5, lockedUntil: lockEnd, lastFailureAt: now(h), suspendedAt: null });
      expect(h.events.filter((e) => e.type === 'throttle.locked')).toHaveLength(1);
      expect(h.events.filter((e) => e.reason === 'invalid-code')).toHaveLength(5);
    },
  },
  {
    name: 'wrong email codes (default limits): 5 checked, the 5th burns and locks, the rest locked',
    email: true,
    parallel: 100,
    prepare: (h) => sendCode(h, 'a'),
    call: (h, code) => h.tf.verifyEmailCode('a', otherCode(ctxCode(code))),
    expected: { 'invalid-code': 4, 'too-many-attempts': 1, locked: 95 },
    after: async (h, results, code) => {
      const counts = tally(results);
      expect((counts['invalid-code'] ?? 0) + (counts['too-many-attempts'] ?? 0)).toBeLessThanOrEqual(5);
      const record = stored(h.storage, 'a')!;
      expect(record.emailChallenge!.attempts).toBe(5);
      expect(record.throttle.failures).toBe(5);
      expect(record.throttle.lockedUntil).toBe(T0 + 30_000);
      expect(h.events.filter((e) => e.type === 'throttle.locked')).toHaveLength(1);
      // The right code is refused afterwards: locked now, burned once the lock is over.
      expect(await h.tf.verifyEmailCode('a', ctxCode(code))).toMatchObject({ ok: false, reason: 'locked' });
      h.clock.advance(30_000);
      expect(await h.tf.verifyEmailCode('a', ctxCode(code))).toEqual({ ok: false, reason: 'too-many-attempts' });
    },
  },
  {
    name: 'wrong email codes, throttle out of the way: exactly maxAttempts checked, the rest refused unchecked',
    email: true,
    overrides: { throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } },
    parallel: 100,
    prepare: (h) => sendCode(h, 'a'),
    call: (h, code) => h.tf.verifyEmailCode('a', otherCode(ctxCode(code))),
    expected: { 'invalid-code': 4, 'too-many-attempts': 96 },
    after: (h) => {
      const record = stored(h.storage, 'a')!;
      // Checked count: one stored attempt and one throttle failure each, and no more than 5.
      expect(record.emailChallenge!.attempts).toBe(5);
      expect(record.throttle.failures).toBe(5);
      expect(record.throttle.lockedUntil).toBeNull();
      expect(h.events.filter((e) => e.type === 'email.failed')).toHaveLength(100);
    },
  },
  {
    name: 'wrong email codes with maxAttempts 3: 3 checked',
    email: true,
    overrides: { throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 }, email: { maxAttempts: 3 } },
    parallel: 50,
    prepare: (h) => sendCode(h, 'a'),
    call: (h, code) => h.tf.verifyEmailCode('a', otherCode(ctxCode(code))),
    expected: { 'invalid-code': 2, 'too-many-attempts': 48 },
    after: (h) => {
      expect(stored(h.storage, 'a')!.emailChallenge!.attempts).toBe(3);
      expect(stored(h.storage, 'a')!.throttle.failures).toBe(3);
    },
  },
];

/** Wrong codes and the right one (the 51st call) at once: the right one wins only before the limit. */
const RIGHT_AMONG_WRONG: Race[] = [
  {
    name: 'TOTP: the right one wins only if it came before the lock',
    parallel: 100,
    prepare: (h) => enroll(h, 'a'),
    call: (h, secret, i) => h.tf.verifyTotp('a', i === 50 ? codeAt(ctxSecret(secret), now(h)) : wrongCode(ctxSecret(secret), now(h))),
    after: (h, results) => {
      const counts = tally(results);
      const record = stored(h.storage, 'a')!;
      if (results[50]!.ok) {
        // The success reset the throttle; the wrong codes counted after it are what is stored.
        expect(counts['ok']).toBe(1);
        expect(record.totp!.lastStep).toBe(now(h) / STEP_MS);
        expect(record.throttle.failures).toBeLessThanOrEqual(5);
      } else {
        expect(results[50]).toMatchObject({ ok: false, reason: 'locked' });
        expect(counts['invalid-code']).toBe(5);
        expect(record.throttle.failures).toBe(5);
      }
      // Never more than 5 wrong codes in a row checked without a lock, success or not.
      expect(counts['invalid-code']! - (results[50]!.ok ? 5 : 0)).toBeLessThanOrEqual(5);
    },
  },
  {
    name: 'email: the right one wins only before the code is burned',
    email: true,
    parallel: 100,
    prepare: (h) => sendCode(h, 'a'),
    call: (h, code, i) => h.tf.verifyEmailCode('a', i === 50 ? ctxCode(code) : otherCode(ctxCode(code))),
    after: (h, results) => {
      const counts = tally(results);
      const record = stored(h.storage, 'a')!;
      if (results[50]!.ok) {
        // Up to 4 wrong codes were checked first; the success consumed the code and reset the throttle.
        expect(counts['ok']).toBe(1);
        expect(counts['invalid-code'] ?? 0).toBeLessThanOrEqual(4);
        expect(counts['no-challenge']).toBe(99 - (counts['invalid-code'] ?? 0));
        expect(record.emailChallenge).toBeNull();
        expect(record.throttle.failures).toBe(0);
      } else {
        expect(results[50]).toMatchObject({ ok: false, reason: 'locked' });
        expect(counts).toEqual({ 'invalid-code': 4, 'too-many-attempts': 1, locked: 95 });
        expect(record.emailChallenge!.attempts).toBe(5);
      }
    },
  },
];

describe.each(STORAGES)('on $name', ({ make }) => {
  /** A harness whose service talks to `make(memory)`; `h.storage` is the MemoryStorage under it. */
  const harnessOn = (email: boolean | undefined, overrides: Partial<TwoFactorOptions> = {}): EmailHarness => {
    const memory = new MemoryStorage();
    return email === true ? emailHarness({ storage: make(memory), ...overrides }, memory) : (harness({ storage: make(memory), ...overrides }, memory) as EmailHarness);
  };

  describe.each([
    { kind: 'one right code, raced', races: ONE_WINNER },
    { kind: 'one wrong code, raced', races: LIMITED },
    { kind: 'wrong codes and the right one', races: RIGHT_AMONG_WRONG },
  ])('$kind', ({ races }) => {
    it.each(races)('$parallel parallel: $name', async (race) => {
      const h = harnessOn(race.email, race.overrides);
      const ctx = await race.prepare(h);
      h.events.length = 0;

      const results = await Promise.all(Array.from({ length: race.parallel }, (_, i) => race.call(h, ctx, i)));

      if (race.expected !== undefined) expect(tally(results)).toEqual(race.expected);
      await race.after?.(h, results, ctx);
    });
  });

  it('a larger freeFailures (20): no lost update, checked codes = stored failures <= 20', async () => {
    // Over 8 writes can push a caller past the 8 compare-and-set attempts; it then gets
    // STORAGE_CONFLICT (fail closed). On MemoryStorage all 200 callers retry in lockstep and one
    // write lands per round, so only 8 codes get checked and 192 callers get STORAGE_CONFLICT.
    // Whatever the split, no guess is lost, none is accepted, and none goes past the limit.
    const h = harnessOn(false, { throttle: { freeFailures: 20 } });
    const secret = await enroll(h, 'a');
    const bad = wrongCode(secret, now(h));

    const settled = await Promise.allSettled(Array.from({ length: 200 }, () => h.tf.verifyTotp('a', bad)));

    const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const rejected = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    for (const e of rejected) {
      expect(e).toBeInstanceOf(TwoFactorError);
      expect((e as TwoFactorError).code).toBe('STORAGE_CONFLICT');
    }
    expect(results.some((r) => r.ok)).toBe(false);
    const counts = tally(results);
    const checked = counts['invalid-code'] ?? 0;
    expect(checked).toBeGreaterThanOrEqual(8); // at least one write lands per round of 8
    expect(checked).toBeLessThanOrEqual(20);
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(checked);
    expect((counts['locked'] ?? 0) + checked + rejected.length).toBe(200);
    if (checked < 20) expect(rejected.length).toBeGreaterThan(0);
  });

  it('parallel beginTotpSetup refreshes (same set-up token): one creates, all return the same secret', async () => {
    const h = harnessOn(false);
    const begun = await pending(h);
    const results = await Promise.all(
      Array.from({ length: 50 }, () => h.tf.beginTotpSetup('a', { account: 'a@example.com', setupToken: begun.setupToken })),
    );
    const secrets = new Set(results.map((r) => (r.ok ? r.secret : r.reason)));
    expect(secrets.size).toBe(1);
    const [secret] = secrets;
    expect(secret).toBe(begun.secret);
    for (const r of results) expect(r).toEqual(begun);
    const record = stored(h.storage, 'a')!;
    expect(record.totp).toBeNull();
    expect(record.totpSetups).toHaveLength(1);
    expect(record.totpSetups[0]).toMatchObject({ secret });
    expect(h.events.filter((e) => e.type === 'totp.setup.started')).toHaveLength(1);
  });

  it('parallel beginTotpSetup without a token on a fresh agent: each begins its own set-up, none is lost', async () => {
    const h = harnessOn(false);
    const results = await Promise.all(Array.from({ length: 3 }, () => h.tf.beginTotpSetup('a', { account: 'a@example.com' })));
    const secrets = results.map((r) => (r.ok ? r.secret : r.reason));
    expect(new Set(secrets).size).toBe(3);
    const record = stored(h.storage, 'a')!;
    expect(record.totp).toBeNull();
    expect(record.totpSetups.map((s) => s.secret).sort()).toEqual([...secrets].sort());
    expect(h.events.filter((e) => e.type === 'totp.setup.started')).toHaveLength(3);
  });

  it('20 parallel sends: exactly one mail goes out, the rest get cooldown until first + 60 s', async () => {
    const h = harnessOn(true);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));

    expect(tally(results)).toEqual({ ok: 1, cooldown: 19 });
    for (const r of results) if (!r.ok) expect(r).toEqual({ ok: false, reason: 'cooldown', retryAt: new Date(T0 + COOLDOWN_MS) });
    expect(h.mailer.sent).toHaveLength(1);
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0]);
    expect(h.events.filter((e) => e.type === 'email.code.sent')).toHaveLength(1);
    // The one code mailed is the one stored.
    expect(await h.tf.verifyEmailCode('a', codeOf(h.mailer.sent[0]))).toMatchObject({ ok: true });
  });

  it('20 parallel sends with cooldown 0: each stored send was mailed, and only the last code mailed works', async () => {
    const h = harnessOn(true, { email: { resendCooldownMs: 0, maxSendsPerHour: 5 } });
    const results = await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));

    const counts = tally(results);
    expect(counts['ok']).toBe(5);
    expect(counts['too-many-sends']).toBe(15);
    expect(h.mailer.sent).toHaveLength(5);
    expect(stored(h.storage, 'a')!.emailSends).toHaveLength(5);
    // Which of the five codes is outstanding depends on the save order, not the mail order:
    // exactly one of the mailed codes verifies.
    const codes = h.mailer.sent.map(codeOf);
    const verdicts = [];
    for (const c of codes) verdicts.push((await h.tf.verifyEmailCode('a', c)).ok);
    expect(verdicts.filter(Boolean).length).toBe(1);
  });

  it('20 parallel sends while the mailer fails once: one delivery-failed, at most one mail, stored sends = mails', async () => {
    const h = harnessOn(true);
    h.mailer.failNext();
    const results = await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));

    const counts = tally(results);
    expect(counts['delivery-failed']).toBe(1);
    const ok = counts['ok'] ?? 0;
    expect(ok).toBeLessThanOrEqual(1);
    expect(counts['cooldown']).toBe(20 - 1 - ok);
    expect(h.mailer.sent).toHaveLength(ok);
    const record = stored(h.storage, 'a')!;
    expect(record.emailSends).toHaveLength(ok);
    if (ok === 1) {
      expect(await h.tf.verifyEmailCode('a', codeOf(h.mailer.sent[0]))).toMatchObject({ ok: true });
    } else {
      expect(record.emailChallenge).toBeNull();
      expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toMatchObject({ ok: true });
    }
  });

  it('agents do not interfere: 100 agents in parallel, each with one good and one replayed TOTP code', async () => {
    const h = harnessOn(false);
    const ids = Array.from({ length: 100 }, (_, i) => `agent-${i}`);
    const provisioned = await Promise.all(ids.map((id) => h.tf.admin.provisionTotp(id, { account: `${id}@example.com` })));
    const secrets = provisioned.map((r) => {
      if (!r.ok) throw new Error('provision refused');
      return r.secret;
    });
    const results = await Promise.all(
      ids.flatMap((id, i) => [h.tf.verifyTotp(id, codeAt(secrets[i]!, now(h))), h.tf.verifyTotp(id, codeAt(secrets[i]!, now(h)))]),
    );
    for (let i = 0; i < ids.length; i++) {
      expect(tally([results[2 * i]!, results[2 * i + 1]!])).toEqual({ ok: 1, replayed: 1 });
    }
  });

  it('agents do not interfere: 50 agents in parallel, each sending and verifying an email code', async () => {
    const h = harnessOn(true);
    const ids = Array.from({ length: 50 }, (_, i) => `agent-${i}`);
    const address = (id: string) => `${id.replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}@example.com`;
    const sends = await Promise.all(ids.map((id) => h.tf.sendEmailCode(id, { to: address(id) })));
    expect(sends.every((s) => s.ok)).toBe(true);
    const results = await Promise.all(ids.map((id) => h.tf.verifyEmailCode(id, h.mailer.lastCode(address(id))!)));
    expect(tally(results)).toEqual({ ok: 50 });
    for (const id of ids) expect(stored(h.storage, id)!.email!.address).toBe(address(id));
  });
});

describe('under fast-check scheduled interleavings', () => {
  it('wrong codes: checked = stored failures = freeFailures, rest locked; same good code: one ok', async () => {
    // Enrolment happens once, before the scheduler takes over; each run starts from a copy.
    const base = harness();
    const secret = await enroll(base, 'a');
    const at = now(base);
    const snapshot = base.storage.raw('a')!;
    const bad = wrongCode(secret, at);
    const good = codeAt(secret, at);

    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 2, max: 16 }),
        fc.boolean(),
        async (s, freeFailures, parallel, sameGood) => {
          const memory = new MemoryStorage();
          await memory.save('a', JSON.parse(snapshot) as AgentRecord, null);
          const h = harness({ storage: new ScheduledStorage(memory, s), throttle: { freeFailures } });
          h.clock.set(at);
          const code = sameGood ? good : bad;
          const all = Promise.allSettled(Array.from({ length: parallel }, () => h.tf.verifyTotp('a', code)));
          const settled = await s.waitFor(all);

          const record = stored(memory, 'a')!;
          const results = settled.flatMap((x) => (x.status === 'fulfilled' ? [x.value] : []));
          const conflicts = settled.length - results.length;
          const counts = tally(results);
          if (sameGood) {
            expect(conflicts).toBe(0); // one write in total: nobody can lose 8 times
            expect(counts).toEqual({ ok: 1, replayed: parallel - 1 });
          } else {
            const checked = counts['invalid-code'] ?? 0;
            expect(checked).toBe(Math.min(parallel, freeFailures));
            expect(record.throttle.failures).toBe(checked);
            expect(counts['locked'] ?? 0).toBe(parallel - checked - conflicts);
            // At most freeFailures writes happen, so at most that many lost races per caller.
            if (freeFailures < 8) expect(conflicts).toBe(0);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
