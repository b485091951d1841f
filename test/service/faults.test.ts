/**
 * @module Faults, over every operation: a storage that throws on the Nth call, for every N an
 * operation reaches, with and without a lost compare-and-set first; a save that never wins; a
 * mailer that fails on each send of a sequence. Each time, the operation reports the failure and
 * the record at rest is exactly what it was.
 *
 * One path cannot keep that rule (docs/storage.md: an operation that fails with STORAGE_FAILED
 * has written nothing): sendEmailCode saves the challenge, then the mailer fails (or the
 * template throws), then the undo's own storage call fails. docs/email-codes.md describes the
 * state that results (the unsent challenge and the counted send stay); the table pins it down.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import { TwoFactorError, type AgentRecord, type PolicySettings, type TwoFactorOptions, type TwoFactorStorage } from '../../src/index.js';
import { emptyRecord } from '../../src/record/schema.js';
import { ADDRESS, BOTH, COOLDOWN_MS, GRACE_DAYS, T0, TOTP_ONLY, begin, codeAt, emailHarness, enroll, enrollEmail, expiredSetupCode, lockedAgent, now, otherCode, rejectsWith, sendCode, stored, wrongCode, type EmailHarness } from '../support/harness.js';
import { FaultyStorage, NeverWinsOver } from '../support/storages.js';

/** A template that breaks for one address, so a case can make rendering throw. */
const BROKEN_TO = 'broken@example.com';
const TEMPLATE_ERROR = new Error('template bug');
const OPTIONS: Partial<TwoFactorOptions> = {
  email: {
    renderEmail: (input) => {
      if (input.to === BROKEN_TO) throw TEMPLATE_ERROR;
      return { subject: 'Your code', text: input.code, html: input.code };
    },
  },
};

/** A record without its `updatedAt`, for "back as it was" comparisons. */
const content = (r: AgentRecord | undefined) => (r === undefined ? undefined : { ...r, updatedAt: 0 });

interface FaultCase {
  name: string;
  /** The settings (TOTP only unless given; both methods for the email rows). */
  settings?: PolicySettings;
  throttle?: TwoFactorOptions['throttle'];
  /** Brings agent 'a' to the state the operation starts from (storage not faulty yet); may return a code or a secret. */
  setup: (h: EmailHarness) => Promise<unknown>;
  /** The operation; `ctx` is what setup returned. */
  run: (h: EmailHarness, ctx: unknown) => Promise<unknown>;
  /** Makes the mailer fail on the operation's send. */
  mailerFails?: boolean;
  /** What the operation does when no storage call fails: resolve, or reject with this error. */
  rejects?: unknown;
  /** The operation writes nothing (so a save that never wins cannot stop it). */
  readOnly?: boolean;
}

/** A service with the row's settings over `storage` (by default the MemoryStorage itself). */
function service(c: Pick<FaultCase, 'settings' | 'throttle'>, memory = new MemoryStorage(), storage: TwoFactorStorage = memory): EmailHarness {
  return emailHarness({ ...OPTIONS, storage, settings: c.settings ?? TOTP_ONLY, ...(c.throttle === undefined ? {} : { throttle: c.throttle }) }, memory);
}

/** A service whose storage goes through a FaultyStorage over `h.storage`. */
function faultyService(c: Pick<FaultCase, 'settings' | 'throttle'>): EmailHarness & { faulty: FaultyStorage } {
  const memory = new MemoryStorage();
  const faulty = new FaultyStorage(memory);
  return { ...service(c, memory, faulty), faulty };
}

const fresh = async () => undefined;
const seedEmpty = (h: EmailHarness) => h.storage.save('a', emptyRecord(T0), null).then(() => undefined);
/** A pending set-up: its secret (the agent's app) and its set-up token (the host's session). */
type Pending = Awaited<ReturnType<typeof begin>>;
const pending = (h: EmailHarness): Promise<Pending> => begin(h, 'a');
const enrolled = (h: EmailHarness) => enroll(h, 'a');
/** TOTP enrolled and `n` wrong codes sent. */
const wrongTotpCodes = (n: number) => async (h: EmailHarness) => {
  const secret = await enroll(h, 'a');
  for (let i = 0; i < n; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
  return secret;
};
const setupCode = (h: EmailHarness) => sendCode(h, 'a');
const loginCode = async (h: EmailHarness) => {
  await enrollEmail(h, 'a');
  return sendCode(h, 'a');
};
/** Enrolled TOTP and email, a login code outstanding, past the cooldown. */
const outstanding = async (h: EmailHarness) => {
  await enroll(h, 'a');
  const code = await loginCode(h);
  h.clock.advance(COOLDOWN_MS);
  return code;
};
const send = (h: EmailHarness, to = ADDRESS) => h.tf.sendEmailCode('a', { to });
const verifyEmail = (h: EmailHarness, code: unknown) => h.tf.verifyEmailCode('a', code as string);

const TOTP_CASES: FaultCase[] = [
  { name: 'policy starting a { days } grace (fresh agent)', settings: GRACE_DAYS, setup: fresh, run: (h) => h.tf.policy('a') },
  { name: 'policy starting a { days } grace (existing record)', settings: GRACE_DAYS, setup: seedEmpty, run: (h) => h.tf.policy('a') },
  { name: 'skipSetup starting a { days } grace', settings: GRACE_DAYS, setup: seedEmpty, run: (h) => h.tf.skipSetup('a') },
  { name: 'beginTotpSetup (fresh agent)', setup: fresh, run: (h) => h.tf.beginTotpSetup('a', { account: 'a@example.com' }) },
  { name: 'beginTotpSetup (existing record)', setup: seedEmpty, run: (h) => h.tf.beginTotpSetup('a', { account: 'a@example.com' }) },
  {
    name: 'beginTotpSetup refresh with a new account',
    setup: pending,
    run: (h, p) => h.tf.beginTotpSetup('a', { account: 'new@example.com', setupToken: (p as Pending).setupToken }),
  },
  // Without the set-up token, a new set-up begins beside the pending one (what `restart` was).
  { name: 'beginTotpSetup restart (no set-up token)', setup: pending, run: (h) => h.tf.beginTotpSetup('a', { account: 'a@example.com' }) },
  {
    name: 'confirmTotpSetup with a valid code',
    setup: pending,
    run: (h, p) => h.tf.confirmTotpSetup('a', codeAt((p as Pending).secret, now(h)), { setupToken: (p as Pending).setupToken }),
  },
  {
    name: 'confirmTotpSetup with a wrong code',
    setup: pending,
    run: (h, p) => h.tf.confirmTotpSetup('a', wrongCode((p as Pending).secret, now(h)), { setupToken: (p as Pending).setupToken }),
  },
  { name: 'verifyTotp with a valid code', setup: enrolled, run: (h, secret) => h.tf.verifyTotp('a', codeAt(secret as string, now(h))) },
  { name: 'verifyTotp with a wrong code', setup: enrolled, run: (h, secret) => h.tf.verifyTotp('a', wrongCode(secret as string, now(h))) },
  {
    name: 'verifyTotp with the wrong code that starts the lock',
    setup: wrongTotpCodes(4),
    run: (h, secret) => h.tf.verifyTotp('a', wrongCode(secret as string, now(h))),
  },
  {
    // A hard limit of 3: the 2nd failure locks for 30 s, the 3rd (after the lock) suspends.
    name: 'verifyTotp with the wrong code that reaches the hard limit (suspends)',
    throttle: { freeFailures: 2, maxConsecutiveFailures: 3 },
    setup: async (h) => {
      const secret = await wrongTotpCodes(2)(h);
      h.clock.advance(30_000);
      return secret;
    },
    run: (h, secret) => h.tf.verifyTotp('a', wrongCode(secret as string, now(h))),
  },
  { name: 'admin.provisionTotp (fresh agent)', setup: fresh, run: (h) => h.tf.admin.provisionTotp('a', { account: 'a@example.com' }) },
  { name: 'admin.provisionTotp over a pending set-up', setup: pending, run: (h) => h.tf.admin.provisionTotp('a', { account: 'a@example.com' }) },
  { name: 'admin.setEnforced(true) (fresh agent)', setup: fresh, run: (h) => h.tf.admin.setEnforced('a', true) },
  { name: 'admin.setEnforced(true) (existing record)', setup: seedEmpty, run: (h) => h.tf.admin.setEnforced('a', true) },
  { name: 'admin.setEnforced(false)', setup: (h) => h.tf.admin.setEnforced('a', true), run: (h) => h.tf.admin.setEnforced('a', false) },
  { name: 'admin.remove (all)', setup: enrolled, run: (h) => h.tf.admin.remove('a') },
  { name: 'admin.remove ({ method: totp })', setup: enrolled, run: (h) => h.tf.admin.remove('a', { method: 'totp' }) },
  { name: 'admin.unlock', setup: (h) => lockedAgent(h), run: (h) => h.tf.admin.unlock('a') },
  { name: 'status', setup: (h) => lockedAgent(h), run: (h) => h.tf.status('a'), readOnly: true },
];

const EMAIL_CASES: FaultCase[] = [
  { name: 'sendEmailCode: setup (fresh agent)', setup: fresh, run: (h) => send(h) },
  { name: 'sendEmailCode: setup (existing record)', setup: seedEmpty, run: (h) => send(h) },
  { name: 'sendEmailCode: login, replacing an outstanding code', setup: outstanding, run: (h) => send(h) },
  { name: 'sendEmailCode: refused by the cooldown', setup: setupCode, run: (h) => send(h), readOnly: true },
  { name: 'sendEmailCode: refused, invalid address', setup: outstanding, run: (h) => send(h, 'nope'), readOnly: true },
  { name: 'sendEmailCode: mailer fails (fresh agent)', setup: fresh, run: (h) => send(h), mailerFails: true },
  { name: 'sendEmailCode: mailer fails (outstanding code)', setup: outstanding, run: (h) => send(h), mailerFails: true },
  { name: 'sendEmailCode: template throws', setup: seedEmpty, run: (h) => send(h, BROKEN_TO), rejects: TEMPLATE_ERROR },
  { name: 'verifyEmailCode: right setup code', setup: setupCode, run: verifyEmail },
  { name: 'verifyEmailCode: right login code', setup: outstanding, run: verifyEmail },
  { name: 'verifyEmailCode: wrong code', setup: outstanding, run: (h, c) => verifyEmail(h, otherCode(c as string)) },
  {
    name: 'verifyEmailCode: the wrong code that burns the code and locks',
    setup: async (h) => {
      const c = await setupCode(h);
      for (let i = 0; i < 4; i++) await verifyEmail(h, otherCode(c));
      return c;
    },
    run: (h, c) => verifyEmail(h, otherCode(c as string)),
  },
  { name: 'verifyEmailCode: expired', setup: (h) => expiredSetupCode(h), run: verifyEmail, readOnly: true },
  { name: 'verifyEmailCode: malformed', setup: setupCode, run: (h) => verifyEmail(h, 'abc'), readOnly: true },
  { name: 'admin.remove({ method: email })', setup: outstanding, run: (h) => h.tf.admin.remove('a', { method: 'email' }) },
  { name: 'status with a code outstanding', setup: outstanding, run: (h) => h.tf.status('a'), readOnly: true },
];

/** Every operation, TOTP and admin rows first: a new method adds its rows here. */
const CASES: FaultCase[] = [...TOTP_CASES, ...EMAIL_CASES.map((c) => ({ settings: BOTH, ...c }))];

describe.each([
  { variant: 'straight through', conflictOnce: false },
  { variant: 'after one lost compare-and-set', conflictOnce: true },
])('storage throws on the Nth call, $variant', ({ conflictOnce }) => {
  it.each(CASES)('$name: STORAGE_FAILED with the cause, record unchanged, no event, no mail', async (c) => {
    let tested = 0;
    let undoFailures = 0;
    for (let n = 1; ; n++) {
      const h = faultyService(c);
      const ctx = await c.setup(h);
      const before = h.storage.raw('a');
      const mails = h.mailer.sent.length;
      h.events.length = 0;
      if (c.mailerFails) h.mailer.failNext();
      h.faulty.reset(n, conflictOnce);

      let caught: unknown;
      try {
        await c.run(h, ctx);
      } catch (e) {
        caught = e;
      }
      if (h.faulty.calls < n) {
        // The operation finished before reaching call n: every call it makes has been failed once.
        expect(caught).toBe(c.rejects);
        expect(tested).toBeGreaterThan(0);
        break;
      }
      tested++;
      expect(caught, `call ${n}`).toBeInstanceOf(TwoFactorError);
      expect((caught as TwoFactorError).code).toBe('STORAGE_FAILED');
      expect(h.mailer.sent, 'no mail after a failed save').toHaveLength(mails);

      const reachedMailer = h.deliveryErrors.length > 0;
      const rendered = c.rejects === TEMPLATE_ERROR && stored(h.storage, 'a')?.emailChallenge != null;
      if (!reachedMailer && !rendered) {
        expect((caught as TwoFactorError).cause).toBe(h.faulty.error);
        expect(h.events, `events after a failure at call ${n}`).toEqual([]);
        expect(h.storage.raw('a'), `record after a failure at call ${n}`).toBe(before);
        continue;
      }
      if (reachedMailer) {
        // The send was attempted and failed: that is audited even though the undo then failed.
        expect((caught as TwoFactorError).cause).toBe(h.faulty.error);
        expect(h.events.map((e) => [e.type, e.reason])).toEqual([['email.code.undelivered', 'delivery-failed']]);
      } else {
        // A throwing template whose undo failed: both errors reach the caller.
        const cause = (caught as TwoFactorError).cause as AggregateError;
        expect(cause).toBeInstanceOf(AggregateError);
        expect(cause.errors).toEqual([TEMPLATE_ERROR, expect.objectContaining({ code: 'STORAGE_FAILED', cause: h.faulty.error })]);
        expect(h.events).toEqual([]);
      }
      // The undo after a failed delivery (or a throwing template) is what failed. As
      // docs/email-codes.md says: the call rejects with STORAGE_FAILED, and the record keeps
      // the unsent challenge and the counted send; nobody knows that code, and the cooldown
      // runs out as usual. (So here STORAGE_FAILED did write: see the note at the top.)
      undoFailures++;
      const at = now(h);
      const after = stored(h.storage, 'a')!;
      const prior = before === undefined ? emptyRecord(at) : (JSON.parse(before) as AgentRecord);
      expect(content({ ...after, emailChallenge: null, emailSends: [] })).toEqual(content({ ...prior, emailChallenge: null, emailSends: [] }));
      expect(after.emailChallenge).toMatchObject({ issuedAt: at, attempts: 0 });
      expect(after.emailChallenge!.hash).not.toBe(prior.emailChallenge?.hash);
      expect(after.emailSends).toEqual([...prior.emailSends, at]);
      const healthy = service(c, h.storage);
      healthy.clock.set(at);
      expect(await healthy.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'cooldown', retryAt: new Date(at + COOLDOWN_MS) });
      if (c.mailerFails) expect(h.deliveryErrors).toHaveLength(1); // reported even though the call rejects
    }
    if (c.mailerFails || c.rejects === TEMPLATE_ERROR) expect(undoFailures, 'the undo path was reached').toBe(2);
  });
});

it('the fault table reaches the retry path: with a lost compare-and-set, writers make 4 calls', async () => {
  // Guards the table above: if conflictOnce stopped causing a retry, this would catch it.
  const h = faultyService({});
  const secret = await enroll(h, 'a');
  h.faulty.reset(0, true);
  expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  expect(h.faulty.calls).toBe(4); // load, save (lost), load, save
});

describe('a save that always loses', () => {
  it.each(CASES.filter((c) => c.readOnly !== true))('$name: STORAGE_CONFLICT after exactly 8 attempts, record unchanged', async (c) => {
    // Set up through a working service, then run the operation through one on the same
    // records (and the same time) whose saves all lose.
    const h = service(c);
    const ctx = await c.setup(h);
    const memory = h.storage;
    const before = memory.raw('a');
    const losing = new NeverWinsOver(memory);
    const h2 = service(c, memory, losing);
    h2.clock.set(h.clock.now());

    const error = await rejectsWith(c.run(h2, ctx), 'STORAGE_CONFLICT');
    expect(error.message).toMatch(/8/);
    expect(losing.loads).toBe(8);
    expect(losing.saves).toBe(8);
    expect(memory.raw('a')).toBe(before);
    expect(h2.events).toEqual([]);
  });
});

describe('a failed storage call leaves the email code usable', () => {
  it('verifyEmailCode failing at its save: the same right code works on the next call', async () => {
    const h = faultyService({ settings: BOTH });
    const code = await setupCode(h);
    h.faulty.reset(2, false); // load ok, save throws
    await expect(h.tf.verifyEmailCode('a', code)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    h.faulty.reset(0, false);
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
  });

  it('sendEmailCode failing at its save: nothing mailed, nothing counted, the next send goes out', async () => {
    const h = faultyService({ settings: BOTH });
    h.faulty.reset(2, false);
    await expect(send(h)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(h.mailer.sent).toEqual([]);
    h.faulty.reset(0, false);
    await sendCode(h, 'a');
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0]);
  });

  it('a throwing template whose undo fails: STORAGE_FAILED, with both the template and the storage error as its cause', async () => {
    const h = faultyService({ settings: BOTH });
    await seedEmpty(h);
    h.faulty.reset(3, false); // load, save, then the undo's load throws
    const error = await send(h, BROKEN_TO).then(
      () => undefined,
      (e: unknown) => e as TwoFactorError,
    );
    expect(error).toBeInstanceOf(TwoFactorError);
    expect(error!.code).toBe('STORAGE_FAILED');
    const cause = error!.cause as AggregateError;
    expect(cause).toBeInstanceOf(AggregateError);
    expect(cause.errors[0]).toBe(TEMPLATE_ERROR);
    expect(cause.errors[1]).toMatchObject({ code: 'STORAGE_FAILED', cause: h.faulty.error });
  });
});

describe('a mailer failing on each send of a sequence', () => {
  /**
   * A day of email 2FA for one agent: set up, log in, ask for a code twice (the first one is
   * replaced unused), log in, and a login whose code is typed wrong once. Returns the
   * results and the final record.
   */
  async function scenario(failAt: number): Promise<{ results: unknown[]; record: AgentRecord; failed: number }> {
    const h = emailHarness();
    let sends = 0;
    let failed = 0;
    const results: unknown[] = [];
    /** One send; if it is the failAt-th, the mailer fails it, and it is retried at once. */
    const sendOnce = async () => {
      if (sends++ === failAt) {
        const before = stored(h.storage, 'a');
        h.mailer.failNext();
        expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
        expect(content(stored(h.storage, 'a'))).toEqual(content(before ?? emptyRecord(now(h))));
        failed++;
      }
      return sendCode(h, 'a');
    };
    const verify = async (code: string) => {
      results.push(await h.tf.verifyEmailCode('a', code));
    };

    await verify(await sendOnce()); // set-up
    h.clock.advance(COOLDOWN_MS);
    await verify(await sendOnce()); // login
    h.clock.advance(COOLDOWN_MS);
    const unused = await sendOnce();
    h.clock.advance(COOLDOWN_MS);
    const used = await sendOnce();
    await verify(unused);
    await verify(used);
    h.clock.advance(COOLDOWN_MS);
    const last = await sendOnce();
    await verify(otherCode(last));
    await verify(last);
    return { results, record: stored(h.storage, 'a')!, failed };
  }

  it.each([0, 1, 2, 3, 4])('send %i fails: delivery-failed, nothing used up, an immediate retry goes out, same outcome', async (k) => {
    const baseline = await scenario(-1);
    const faulted = await scenario(k);
    expect(faulted.failed).toBe(1);
    expect(faulted.results).toEqual(baseline.results);
    expect(faulted.results).toEqual([
      { ok: true, method: 'email', purpose: 'setup' },
      { ok: true, method: 'email', purpose: 'login' },
      expect.objectContaining({ ok: false }), // the replaced code (invalid-code, or equal by chance)
      { ok: true, method: 'email', purpose: 'login' },
      { ok: false, reason: 'invalid-code' },
      { ok: true, method: 'email', purpose: 'login' },
    ]);
    // Same sends counted, same factor, nothing left over.
    expect(faulted.record.emailSends).toEqual(baseline.record.emailSends);
    expect(faulted.record.email).toEqual(baseline.record.email);
    expect(faulted.record.emailChallenge).toBeNull();
    expect(faulted.record.throttle).toEqual(baseline.record.throttle);
  });

  it('a mailer that always fails: every send is delivery-failed, no code is ever stored or counted', async () => {
    const h = emailHarness();
    h.mailer.failNext(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 10; i++) {
      expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'delivery-failed' });
      expect(stored(h.storage, 'a')).toMatchObject({ emailChallenge: null, emailSends: [] });
      h.clock.advance(1_000);
    }
    expect(h.deliveryErrors).toHaveLength(10);
    expect(h.events.map((e) => e.type)).toEqual(Array(10).fill('email.code.undelivered'));
  });
});
