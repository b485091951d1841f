/**
 * Cross-process proofs on real servers: 4 Node processes, each with its own connection, call
 * the service for one agent at the same moment (they wait at a shared start barrier first).
 * The compare-and-set in the database, not any in-process lock, must then give exactly one
 * accepted code, and exactly the failure count and lock that the same calls give one by one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage, manualClock } from '../../src/memory.js';
import { totp, type TwoFactorOptions, type TwoFactorStorage } from '../../src/index.js';
import { EMAIL_ONLY, STEP_MS, T0, TOTP_ONLY, createTwoFactor, wrongCode } from '../support/harness.js';
import { serverUrl } from './_env.js';
import { outcome } from './_scenarios.js';
import { connect, runId, type Backend, type Connection } from './_servers.js';
import { Workers, tally } from './_workers.js';

const WORKERS = 4;

/** Provisions TOTP for `agentId` at T0 through `storage`; returns the secret. */
async function provision(storage: TwoFactorStorage, agentId: string): Promise<string> {
  const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock: manualClock(T0) });
  const r = await tf.admin.provisionTotp(agentId, { account: `${agentId}@example.com` });
  if (!r.ok) throw new Error(`provisionTotp refused: ${r.reason}`);
  return r.secret;
}

/** Sends a set-up email code to `agentId` at T0 through `storage`; returns the code. */
async function emailCode(storage: TwoFactorStorage, agentId: string): Promise<string> {
  const mailer = new MemoryMailer();
  const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: EMAIL_ONLY, clock: manualClock(T0), mailer });
  const r = await tf.sendEmailCode(agentId, { to: `${agentId}@example.com` });
  if (!r.ok) throw new Error(`sendEmailCode refused: ${r.reason}`);
  return mailer.lastCode(`${agentId}@example.com`)!;
}

/**
 * The reference: the same `total` wrong codes, one after another, in one process on
 * MemoryStorage. Returns the outcomes and the throttle state they leave.
 */
async function sequentialWrongCodes(total: number, at: number, throttle: TwoFactorOptions['throttle']) {
  const storage = new MemoryStorage();
  const secret = await provision(storage, 'ref');
  const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock: manualClock(at), ...(throttle ? { throttle } : {}) });
  const code = wrongCode(secret, at);
  const outcomes: string[] = [];
  for (let i = 0; i < total; i++) outcomes.push(await outcome(tf.verifyTotp('ref', code)));
  return { outcomes: tally(outcomes), throttle: (await storage.load('ref'))!.record.throttle };
}

const BACKENDS: Array<{ backend: Backend; url: string | undefined }> = [
  { backend: 'postgres', url: serverUrl('postgres') },
  { backend: 'redis', url: serverUrl('redis') },
];

for (const { backend, url } of BACKENDS) {
  describe.runIf(url !== undefined)(`${backend}: ${WORKERS} processes, one agent`, { timeout: 60_000 }, () => {
    let workers: Workers;
    let parent: Connection;
    const run = runId();

    beforeAll(async () => {
      parent = await connect(backend, url!);
      workers = await Workers.start(backend, url!, WORKERS);
    }, 60_000);

    afterAll(async () => {
      await workers?.stop();
      await parent?.close();
    });

    it('the same valid code, all loaded before any saves: exactly one accepted, three lost the compare-and-set', async () => {
      const agentId = `xp-${run}-hold`;
      const secret = await provision(parent.storage, agentId);
      const at = T0 + STEP_MS;
      const results = await workers.run<string[]>('verify-totp', {
        agentId, code: totp(secret, { at }), at, settings: TOTP_ONLY, calls: 1, holdAfterLoad: true,
      });

      expect(new Set([process.pid, ...results.map((r) => r.pid)]).size).toBe(WORKERS + 1);
      expect(tally(results.flatMap((r) => r.value))).toEqual({ ok: 1, replayed: WORKERS - 1 });
      // Every worker read the same version, so every save but one was refused by the database.
      expect(results.reduce((n, r) => n + r.stats.lostSaves, 0)).toBe(WORKERS - 1);
      const stored = (await parent.storage.load(agentId))!.record;
      expect(stored.totp!.lastStep).toBe(at / STEP_MS);
      expect(stored.throttle.failures).toBe(0);
    });

    it('the same valid code, 10 calls from each process at once, 5 rounds: exactly one accepted per round', async () => {
      const agentId = `xp-${run}-free`;
      const secret = await provision(parent.storage, agentId);
      for (let round = 1; round <= 5; round++) {
        const at = T0 + round * STEP_MS; // a new step each round
        const results = await workers.run<string[]>('verify-totp', {
          agentId, code: totp(secret, { at }), at, settings: TOTP_ONLY, calls: 10,
        });
        expect(tally(results.flatMap((r) => r.value)), `round ${round}`).toEqual({ ok: 1, replayed: WORKERS * 10 - 1 });
        expect((await parent.storage.load(agentId))!.record.totp!.lastStep).toBe(at / STEP_MS);
      }
    });

    it(`${WORKERS} × 50 wrong codes at once (default throttle): the failures and lock of 200 wrong codes in a row`, async () => {
      const agentId = `xp-${run}-wrong`;
      const secret = await provision(parent.storage, agentId);
      const at = T0 + STEP_MS;
      const results = await workers.run<string[]>('verify-totp', {
        agentId, code: wrongCode(secret, at), at, settings: TOTP_ONLY, calls: 50,
      });

      const reference = await sequentialWrongCodes(WORKERS * 50, at, undefined);
      expect(reference.outcomes).toEqual({ 'invalid-code': 5, locked: 195 });
      expect(tally(results.flatMap((r) => r.value))).toEqual(reference.outcomes);
      expect((await parent.storage.load(agentId))!.record.throttle).toEqual(reference.throttle);
      expect(reference.throttle).toEqual({ failures: 5, lockedUntil: at + 30_000, lastFailureAt: at, suspendedAt: null });
    });

    it('one email code, 10 calls from each process at once: exactly one accepted, the challenge consumed', async () => {
      const agentId = `xp-${run}-email`;
      const code = await emailCode(parent.storage, agentId);
      const results = await workers.run<string[]>('verify-email', {
        agentId, code, at: T0 + 1000, settings: EMAIL_ONLY, calls: 10,
      });
      expect(tally(results.flatMap((r) => r.value))).toEqual({ ok: 1, 'no-challenge': WORKERS * 10 - 1 });
      const stored = (await parent.storage.load(agentId))!.record;
      expect(stored.emailChallenge).toBeNull();
      expect(stored.email).toMatchObject({ address: `${agentId}@example.com` });
    });

    it('one email code, 10 wrong codes from each process at once: at most 5 checked, as many attempts stored', async () => {
      const agentId = `xp-${run}-email-wrong`;
      const code = await emailCode(parent.storage, agentId);
      const wrong = code === '000000' ? '111111' : '000000';
      const results = await workers.run<string[]>('verify-email', {
        agentId, code: wrong, at: T0 + 1000, settings: EMAIL_ONLY, calls: 10,
        throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 }, storageAttempts: 100,
      });
      const outcomes = tally(results.flatMap((r) => r.value));
      // Each checked code is one used attempt; the 5th burns the challenge, the rest are refused unchecked.
      expect(outcomes).toEqual({ 'invalid-code': 4, 'too-many-attempts': WORKERS * 10 - 4 });
      const stored = (await parent.storage.load(agentId))!.record;
      expect(stored.emailChallenge!.attempts).toBe(5);
      expect(stored.throttle.failures).toBe(5);
    });

    it(`${WORKERS} × 50 wrong codes (freeFailures 100, each process one after another): no failure lost or counted twice`, async () => {
      // 100 counted failures written by 4 racing processes: a lost update would show as fewer.
      const agentId = `xp-${run}-wrong100`;
      const secret = await provision(parent.storage, agentId);
      const at = T0 + STEP_MS;
      const throttle = { freeFailures: 100, maxConsecutiveFailures: 1000 };
      const results = await workers.run<string[]>('verify-totp', {
        agentId, code: wrongCode(secret, at), at, settings: TOTP_ONLY, calls: 50, parallel: false, throttle, storageAttempts: 100,
      });

      const reference = await sequentialWrongCodes(WORKERS * 50, at, throttle);
      expect(reference.outcomes).toEqual({ 'invalid-code': 100, locked: 100 });
      expect(tally(results.flatMap((r) => r.value))).toEqual(reference.outcomes);
      expect((await parent.storage.load(agentId))!.record.throttle).toEqual(reference.throttle);
      expect(reference.throttle).toEqual({ failures: 100, lockedUntil: at + 30_000, lastFailureAt: at, suspendedAt: null });
    });
  });
}
