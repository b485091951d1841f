/**
 * Email codes under faults: a storage that throws on the Nth call, for every N that
 * sendEmailCode and verifyEmailCode reach (with and without a lost compare-and-set first), and
 * a mailer that fails on each send of a sequence.
 *
 * The general rule (docs/storage.md): an operation that fails with STORAGE_FAILED has written
 * nothing. One path cannot keep it: sendEmailCode saves the challenge, then the mailer fails,
 * then the undo's own storage call fails. docs/email-codes.md describes the state that
 * results (the unsent challenge and the counted send stay); the tests below pin it down.
 */
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/memory.js';
import { emptyRecord, type AgentRecord } from '../../src/record/schema.js';
import type { TwoFactorOptions } from '../../src/index.js';
import {
  ADDRESS,
  COOLDOWN_MS,
  FaultyStorage,
  T0,
  emailHarness,
  enroll,
  enrollEmail,
  otherCode,
  sendCode,
  stored,
  type EmailHarness,
} from './_helpers.js';

type FaultyEmailHarness = EmailHarness & { faulty: FaultyStorage };

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

function faultyHarness(): FaultyEmailHarness {
  const memory = new MemoryStorage();
  const faulty = new FaultyStorage(memory);
  const h = emailHarness({ ...OPTIONS, storage: faulty }, memory);
  return { ...h, faulty };
}

const content = (r: AgentRecord | undefined) => (r === undefined ? undefined : { ...r, updatedAt: 0 });

interface FaultCase {
  name: string;
  /** Brings agent 'a' to the starting state (storage not faulty yet); may return a code. */
  setup: (h: FaultyEmailHarness) => Promise<string | undefined>;
  run: (h: FaultyEmailHarness, code: string | undefined) => Promise<unknown>;
  /** Makes the mailer fail on the operation's send. */
  mailerFails?: boolean;
  /** What the operation does when no storage call fails: resolve, or reject with this error. */
  rejects?: unknown;
}

const fresh = async () => undefined;
const seedEmpty = async (h: FaultyEmailHarness) => {
  await h.storage.save('a', emptyRecord(T0), null);
  return undefined;
};
const setupCode = (h: FaultyEmailHarness) => sendCode(h, 'a');
const loginCode = async (h: FaultyEmailHarness) => {
  await enrollEmail(h, 'a');
  return sendCode(h, 'a');
};
/** Enrolled TOTP and email, a login code outstanding, past the cooldown. */
const outstanding = async (h: FaultyEmailHarness) => {
  await enroll(h, 'a');
  const code = await loginCode(h);
  h.clock.advance(COOLDOWN_MS);
  return code;
};
const send = (h: FaultyEmailHarness, to = ADDRESS) => h.tf.sendEmailCode('a', { to });

const CASES: FaultCase[] = [
  { name: 'sendEmailCode: setup (fresh agent)', setup: fresh, run: (h) => send(h) },
  { name: 'sendEmailCode: setup (existing record)', setup: seedEmpty, run: (h) => send(h) },
  { name: 'sendEmailCode: login, replacing an outstanding code', setup: outstanding, run: (h) => send(h) },
  { name: 'sendEmailCode: refused by the cooldown', setup: setupCode, run: (h) => send(h) },
  { name: 'sendEmailCode: refused, invalid address', setup: outstanding, run: (h) => send(h, 'nope') },
  { name: 'sendEmailCode: mailer fails (fresh agent)', setup: fresh, run: (h) => send(h), mailerFails: true },
  { name: 'sendEmailCode: mailer fails (outstanding code)', setup: outstanding, run: (h) => send(h), mailerFails: true },
  { name: 'sendEmailCode: template throws', setup: seedEmpty, run: (h) => send(h, BROKEN_TO), rejects: TEMPLATE_ERROR },
  { name: 'verifyEmailCode: right setup code', setup: setupCode, run: (h, c) => h.tf.verifyEmailCode('a', c!) },
  { name: 'verifyEmailCode: right login code', setup: outstanding, run: (h, c) => h.tf.verifyEmailCode('a', c!) },
  { name: 'verifyEmailCode: wrong code', setup: outstanding, run: (h, c) => h.tf.verifyEmailCode('a', otherCode(c!)) },
  {
    name: 'verifyEmailCode: the wrong code that burns the code and locks',
    setup: async (h) => {
      const c = await setupCode(h);
      for (let i = 0; i < 4; i++) await h.tf.verifyEmailCode('a', otherCode(c));
      return c;
    },
    run: (h, c) => h.tf.verifyEmailCode('a', otherCode(c!)),
  },
  {
    name: 'verifyEmailCode: expired',
    setup: async (h) => {
      const c = await setupCode(h);
      h.clock.advance(10 * 60_000);
      return c;
    },
    run: (h, c) => h.tf.verifyEmailCode('a', c!),
  },
  { name: 'verifyEmailCode: malformed', setup: setupCode, run: (h) => h.tf.verifyEmailCode('a', 'abc') },
  { name: 'admin.remove({ method: email })', setup: outstanding, run: (h) => h.tf.admin.remove('a', { method: 'email' }) },
  { name: 'status with a code outstanding', setup: outstanding, run: (h) => h.tf.status('a') },
];

describe.each([
  { variant: 'straight through', conflictOnce: false },
  { variant: 'after one lost compare-and-set', conflictOnce: true },
])('storage throws on the Nth call, $variant', ({ conflictOnce }) => {
  it.each(CASES)('$name', async (c) => {
    let tested = 0;
    let undoFailures = 0;
    for (let n = 1; ; n++) {
      const h = faultyHarness();
      const code = await c.setup(h);
      const before = h.storage.raw('a');
      const mails = h.mailer.sent.length;
      h.events.length = 0;
      if (c.mailerFails) h.mailer.failNext();
      h.faulty.reset(n, conflictOnce);

      let caught: unknown;
      try {
        await c.run(h, code);
      } catch (e) {
        caught = e;
      }
      if (h.faulty.calls < n) {
        // Finished before reaching call n: every call it makes has been failed once.
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
      const now = h.clock.now().getTime();
      const after = stored(h.storage, 'a')!;
      const prior = before === undefined ? emptyRecord(now) : (JSON.parse(before) as AgentRecord);
      expect(content({ ...after, emailChallenge: null, emailSends: [] })).toEqual(content({ ...prior, emailChallenge: null, emailSends: [] }));
      expect(after.emailChallenge).toMatchObject({ issuedAt: now, attempts: 0 });
      expect(after.emailChallenge!.hash).not.toBe(prior.emailChallenge?.hash);
      expect(after.emailSends).toEqual([...prior.emailSends, now]);
      const healthy = emailHarness(OPTIONS, h.storage);
      healthy.clock.set(now);
      expect(await healthy.tf.sendEmailCode('a', { to: ADDRESS })).toEqual({ ok: false, reason: 'cooldown', retryAt: new Date(now + COOLDOWN_MS) });
      if (c.mailerFails) expect(h.deliveryErrors).toHaveLength(1); // reported even though the call rejects
    }
    if (c.mailerFails || c.rejects === TEMPLATE_ERROR) expect(undoFailures, 'the undo path was reached').toBe(2);
  });
});

describe('a failed storage call leaves the code usable', () => {
  it('verifyEmailCode failing at its save: the same right code works on the next call', async () => {
    const h = faultyHarness();
    const code = await setupCode(h);
    h.faulty.reset(2, false); // load ok, save throws
    await expect(h.tf.verifyEmailCode('a', code)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    h.faulty.reset(0, false);
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
  });

  it('sendEmailCode failing at its save: nothing mailed, nothing counted, the next send goes out', async () => {
    const h = faultyHarness();
    h.faulty.reset(2, false);
    await expect(send(h)).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(h.mailer.sent).toEqual([]);
    h.faulty.reset(0, false);
    await sendCode(h, 'a');
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0]);
  });

  it('a throwing template whose undo fails: STORAGE_FAILED, with both the template and the storage error as its cause', async () => {
    const h = faultyHarness();
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
        expect(content(stored(h.storage, 'a'))).toEqual(content(before ?? emptyRecord(h.clock.now().getTime())));
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
