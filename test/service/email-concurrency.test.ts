/**
 * Email codes under concurrency: parallel calls for one agent really interleave (MemoryStorage
 * awaits inside load and save; DelayedStorage adds random timers and microtask yields), and
 * the compare-and-set still gives one winner per state: a code is accepted once, no more than
 * the attempt limit of wrong codes is ever checked, and one of many parallel sends goes out.
 *
 * "Checked against the hash" is observed without mocking: every checked wrong code adds one
 * to the challenge's stored `attempts` and one to the throttle's `failures`, and refusals
 * (burned, locked, no challenge) change neither.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import type { TwoFactorStorage } from '../../src/ports.js';
import type { TwoFactorOptions } from '../../src/index.js';
import {
  ADDRESS,
  COOLDOWN_MS,
  DelayedStorage,
  T0,
  emailHarness,
  enrollEmail,
  otherCode,
  sendCode,
  stored,
  type EmailHarness,
} from './_helpers.js';

const PARALLEL = 100;

const STORAGES: Array<{ name: string; make: (memory: MemoryStorage) => TwoFactorStorage }> = [
  { name: 'MemoryStorage', make: (memory) => memory },
  { name: 'DelayedStorage (seed 1)', make: (memory) => new DelayedStorage(memory, 1) },
  { name: 'DelayedStorage (seed 2)', make: (memory) => new DelayedStorage(memory, 2) },
  { name: 'DelayedStorage (seed 3)', make: (memory) => new DelayedStorage(memory, 3) },
];

/** An email harness whose service talks to `make(memory)`; `h.storage` is the MemoryStorage. */
function harnessOn(make: (memory: MemoryStorage) => TwoFactorStorage, overrides: Partial<TwoFactorOptions> = {}): EmailHarness {
  const memory = new MemoryStorage();
  return emailHarness({ storage: make(memory), ...overrides }, memory);
}

function tally(results: ReadonlyArray<{ ok: boolean; reason?: string }>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) {
    const key = r.ok ? 'ok' : r.reason!;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe.each(STORAGES)('on $name', ({ make }) => {
  it(`${PARALLEL} parallel verifications of the right setup code: exactly one ok, the rest no-challenge`, async () => {
    const h = harnessOn(make);
    const code = await sendCode(h, 'a');
    h.events.length = 0;

    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.tf.verifyEmailCode('a', code)));

    expect(tally(results)).toEqual({ ok: 1, 'no-challenge': PARALLEL - 1 });
    expect(results.find((r) => r.ok)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
    const record = stored(h.storage, 'a')!;
    expect(record.emailChallenge).toBeNull();
    expect(record.email!.address).toBe(ADDRESS);
    expect(record.throttle.failures).toBe(0);
    expect(h.events.filter((e) => e.type === 'email.setup.confirmed')).toHaveLength(1);
    expect(h.events.filter((e) => e.type === 'email.failed' && e.reason === 'no-challenge')).toHaveLength(PARALLEL - 1);
  });

  it(`${PARALLEL} parallel verifications of the right login code: exactly one ok`, async () => {
    const h = harnessOn(make);
    await enrollEmail(h, 'a');
    const code = await sendCode(h, 'a');
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.tf.verifyEmailCode('a', code)));
    expect(tally(results)).toEqual({ ok: 1, 'no-challenge': PARALLEL - 1 });
    expect(stored(h.storage, 'a')!.email!.lastUsedAt).toBe(h.clock.now().getTime());
  });

  it(`${PARALLEL} parallel wrong codes (default limits): 5 checked, the 5th burns and locks, the rest locked`, async () => {
    const h = harnessOn(make);
    const code = await sendCode(h, 'a');
    const bad = otherCode(code);

    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.tf.verifyEmailCode('a', bad)));

    const counts = tally(results);
    expect(counts).toEqual({ 'invalid-code': 4, 'too-many-attempts': 1, locked: PARALLEL - 5 });
    expect((counts['invalid-code'] ?? 0) + (counts['too-many-attempts'] ?? 0)).toBeLessThanOrEqual(5);
    const record = stored(h.storage, 'a')!;
    expect(record.emailChallenge!.attempts).toBe(5);
    expect(record.throttle.failures).toBe(5);
    expect(record.throttle.lockedUntil).toBe(T0 + 30_000);
    expect(h.events.filter((e) => e.type === 'throttle.locked')).toHaveLength(1);
    // The right code is refused afterwards: locked now, burned once the lock is over.
    expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: false, reason: 'locked' });
    h.clock.advance(30_000);
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: false, reason: 'too-many-attempts' });
  });

  it(`${PARALLEL} parallel wrong codes, throttle out of the way: exactly maxAttempts checked, the rest refused unchecked`, async () => {
    const h = harnessOn(make, { throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } });
    const code = await sendCode(h, 'a');
    h.events.length = 0;

    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.tf.verifyEmailCode('a', otherCode(code))));

    expect(tally(results)).toEqual({ 'invalid-code': 4, 'too-many-attempts': PARALLEL - 4 });
    const record = stored(h.storage, 'a')!;
    // Checked count: one stored attempt and one throttle failure each, and no more than 5.
    expect(record.emailChallenge!.attempts).toBe(5);
    expect(record.throttle.failures).toBe(5);
    expect(record.throttle.lockedUntil).toBeNull();
    expect(h.events.filter((e) => e.type === 'email.failed')).toHaveLength(PARALLEL);
  });

  it('maxAttempts 3 with 50 parallel wrong codes: 3 checked', async () => {
    const h = harnessOn(make, { throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 }, email: { maxAttempts: 3 } });
    const code = await sendCode(h, 'a');
    const results = await Promise.all(Array.from({ length: 50 }, () => h.tf.verifyEmailCode('a', otherCode(code))));
    expect(tally(results)).toEqual({ 'invalid-code': 2, 'too-many-attempts': 48 });
    expect(stored(h.storage, 'a')!.emailChallenge!.attempts).toBe(3);
    expect(stored(h.storage, 'a')!.throttle.failures).toBe(3);
  });

  it('99 wrong codes and the right one in parallel: the right one wins only before the code is burned', async () => {
    const h = harnessOn(make);
    const code = await sendCode(h, 'a');
    const inputs = Array.from({ length: PARALLEL }, (_, i) => (i === 50 ? code : otherCode(code)));

    const results = await Promise.all(inputs.map((c) => h.tf.verifyEmailCode('a', c)));

    const counts = tally(results);
    const record = stored(h.storage, 'a')!;
    if (results[50]!.ok) {
      // Up to 4 wrong codes were checked first; the success consumed the code and reset the throttle.
      expect(counts['ok']).toBe(1);
      expect(counts['invalid-code'] ?? 0).toBeLessThanOrEqual(4);
      expect(counts['no-challenge']).toBe(PARALLEL - 1 - (counts['invalid-code'] ?? 0));
      expect(record.emailChallenge).toBeNull();
      expect(record.throttle.failures).toBe(0);
    } else {
      expect(results[50]).toMatchObject({ ok: false, reason: 'locked' });
      expect(counts).toEqual({ 'invalid-code': 4, 'too-many-attempts': 1, locked: PARALLEL - 5 });
      expect(record.emailChallenge!.attempts).toBe(5);
    }
  });

  it('20 parallel sends: exactly one mail goes out, the rest get cooldown until first + 60 s', async () => {
    const h = harnessOn(make);
    const results = await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));

    expect(tally(results)).toEqual({ ok: 1, cooldown: 19 });
    for (const r of results) if (!r.ok) expect(r).toEqual({ ok: false, reason: 'cooldown', retryAt: new Date(T0 + COOLDOWN_MS) });
    expect(h.mailer.sent).toHaveLength(1);
    expect(stored(h.storage, 'a')!.emailSends).toEqual([T0]);
    expect(h.events.filter((e) => e.type === 'email.code.sent')).toHaveLength(1);
    // The one code mailed is the one stored.
    expect(await h.tf.verifyEmailCode('a', h.mailer.sent[0]!.code)).toMatchObject({ ok: true });
  });

  it('20 parallel sends with cooldown 0: each stored send was mailed, and only the last code mailed works', async () => {
    const h = harnessOn(make, { email: { resendCooldownMs: 0, maxSendsPerHour: 5 } });
    const results = await Promise.all(Array.from({ length: 20 }, () => h.tf.sendEmailCode('a', { to: ADDRESS })));

    const counts = tally(results);
    expect(counts['ok']).toBe(5);
    expect(counts['too-many-sends']).toBe(15);
    expect(h.mailer.sent).toHaveLength(5);
    expect(stored(h.storage, 'a')!.emailSends).toHaveLength(5);
    // Which of the five codes is outstanding depends on the save order, not the mail order:
    // exactly one of the mailed codes verifies.
    const codes = h.mailer.sent.map((m) => m.code);
    const verdicts = [];
    for (const c of codes) verdicts.push((await h.tf.verifyEmailCode('a', c)).ok);
    expect(verdicts.filter(Boolean).length).toBe(1);
  });

  it('20 parallel sends while the mailer fails once: one delivery-failed, at most one mail, stored sends = mails', async () => {
    const h = harnessOn(make);
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
      expect(await h.tf.verifyEmailCode('a', h.mailer.sent[0]!.code)).toMatchObject({ ok: true });
    } else {
      expect(record.emailChallenge).toBeNull();
      expect(await h.tf.sendEmailCode('a', { to: ADDRESS })).toMatchObject({ ok: true });
    }
  });

  it('50 agents in parallel, each sending and verifying: no interference', async () => {
    const h = harnessOn(make);
    const ids = Array.from({ length: 50 }, (_, i) => `agent-${i}`);
    const address = (id: string) => `${id.replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)]!)}@example.com`;
    const sends = await Promise.all(ids.map((id) => h.tf.sendEmailCode(id, { to: address(id) })));
    expect(sends.every((s) => s.ok)).toBe(true);
    const results = await Promise.all(ids.map((id) => h.tf.verifyEmailCode(id, h.mailer.lastCode(address(id))!)));
    expect(tally(results)).toEqual({ ok: 50 });
    for (const id of ids) expect(stored(h.storage, id)!.email!.address).toBe(address(id));
  });
});
