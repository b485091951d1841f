/**
 * Benchmark of the two-factor service (issue 4): `verifyTotp` through `createTwoFactor` on
 * MemoryStorage, against the pure `verifyTotp` of src/otp/totp.ts on the same inputs, and the
 * throughput of 1,000 agents verifying at once. `benchService()` returns a markdown table;
 * test/bench/run.ts prints it.
 */
import { MemoryStorage, manualClock } from '../../src/memory.js';
import { totp, verifyTotp } from '../../src/otp/totp.js';
import { createTwoFactor } from '../../src/index.js';
import { SETTINGS, STEP_MS, T0, provisionAgents, wrongCode } from './_agents.js';
import { fmt, median } from './_measure.js';

/** Calls per timed batch; the per-call time is the batch time divided by this. */
const BATCH = 50;
/** Timed batches of each kind (after as many untimed warm-up batches). */
const BATCHES = 200;
const AGENTS = 1000;
const ROUNDS = 7;
/** The target for the service's overhead over the pure check. */
const TARGET_RATIO = 3;

/** Median µs per wrong-code `verifyTotp`: through the service, and pure on the same inputs. */
async function wrongCodeLatency(): Promise<{ serviceUs: number; pureUs: number }> {
  const clock = manualClock(T0);
  const storage = new MemoryStorage();
  // freeFailures 100 (with maxConsecutiveFailures 1000, which it needs) and an untimed
  // admin.unlock before every batch of 50: the agent never locks or is suspended, so every timed
  // call does the full check and write.
  const tf = createTwoFactor({ storage, issuer: 'Bench', settings: SETTINGS, clock, throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } });
  const provisioned = await tf.admin.provisionTotp('bench', { account: 'bench@example.com' });
  if (!provisioned.ok) throw new Error(`provisionTotp refused: ${provisioned.reason}`);
  const secret = provisioned.secret;
  // One accepted code first, so the stored factor has a lastStep the pure call also gets.
  const accepted = await tf.verifyTotp('bench', totp(secret, { at: T0 }));
  if (!accepted.ok) throw new Error('the first code was not accepted');
  clock.advance(STEP_MS);
  const at = clock.now().getTime();
  const code = wrongCode(secret, at);
  const record = (await storage.load('bench'))!.record;
  const f = record.totp!;
  // Exactly the options the service passes (see checkTotp in src/service.ts).
  const pureOptions = {
    at: at + f.driftSteps * f.periodSeconds * 1000,
    window: { past: 1, future: 1 },
    period: f.periodSeconds,
    algorithm: f.algorithm,
    digits: f.digits,
    allowShortSecret: true,
    afterStep: f.lastStep!,
  };

  const serviceBatch = async (): Promise<number> => {
    await tf.admin.unlock('bench');
    const start = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const r = await tf.verifyTotp('bench', code);
      if (r.ok || r.reason !== 'invalid-code' || r.retryAt !== undefined) throw new Error(`unexpected result ${JSON.stringify(r)}`);
    }
    return ((performance.now() - start) * 1000) / BATCH;
  };
  const pureBatch = (): number => {
    const start = performance.now();
    for (let i = 0; i < BATCH; i++) {
      const r = verifyTotp(secret, code, pureOptions);
      if (r.valid || r.reason !== 'mismatch') throw new Error(`unexpected result ${JSON.stringify(r)}`);
    }
    return ((performance.now() - start) * 1000) / BATCH;
  };

  for (let i = 0; i < BATCHES; i++) {
    await serviceBatch();
    pureBatch();
  }
  const service: number[] = [];
  const pure: number[] = [];
  // Interleaved, so a slow phase of the machine hits both sides alike.
  for (let i = 0; i < BATCHES; i++) {
    service.push(await serviceBatch());
    pure.push(pureBatch());
  }
  return { serviceUs: median(service), pureUs: median(pure) };
}

/** Verifications per second with 1,000 enrolled agents each verifying a valid code at once. */
async function concurrentThroughput(): Promise<{ perSecond: number; roundMs: number }> {
  const clock = manualClock(T0);
  const storage = new MemoryStorage();
  const tf = createTwoFactor({ storage, issuer: 'Bench', settings: SETTINGS, clock });
  const ids = Array.from({ length: AGENTS }, (_, i) => `agent-${i}`);
  const secrets = await provisionAgents(tf, ids);
  const times: number[] = [];
  for (let round = 0; round < ROUNDS + 2; round++) {
    clock.advance(STEP_MS); // a fresh step per round, so no code is a replay
    const at = clock.now().getTime();
    const codes = secrets.map((s) => totp(s, { at }));
    const start = performance.now();
    const results = await Promise.all(ids.map((id, i) => tf.verifyTotp(id, codes[i]!)));
    const ms = performance.now() - start;
    const accepted = results.filter((r) => r.ok).length;
    if (accepted !== AGENTS) throw new Error(`only ${accepted} of ${AGENTS} valid codes were accepted`);
    if (round >= 2) times.push(ms); // the first two rounds warm up
  }
  const roundMs = median(times);
  return { perSecond: (AGENTS * 1000) / roundMs, roundMs };
}

/**
 * Runs the service benchmark and returns its results as a markdown table.
 *
 * - Wrong code: median over 200 batches of 50 sequential awaited calls for one agent
 *   (`throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 }`, `admin.unlock` before each batch, untimed, so it never locks;
 *   every call loads, checks, counts the failure and saves). The pure `verifyTotp` runs on the
 *   same secret, code, instant, window and `afterStep`, interleaved batch for batch.
 * - Throughput: 1,000 admin-provisioned agents, `Promise.all` of one valid code each, median of
 *   7 rounds after 2 warm-up rounds, the clock moved one step between rounds.
 */
export async function benchService(): Promise<string> {
  const { serviceUs, pureUs } = await wrongCodeLatency();
  const { perSecond, roundMs } = await concurrentThroughput();
  const ratio = serviceUs / pureUs;
  const rows: Array<[string, string, string]> = [
    [
      'service `verifyTotp`, wrong code',
      `${fmt(serviceUs)} µs/call`,
      `median of ${BATCHES} batches × ${BATCH}; freeFailures 100 + untimed admin.unlock per batch, never locked`,
    ],
    ['pure `verifyTotp`, same inputs', `${fmt(pureUs)} µs/call`, 'same secret, code, instant, window ±1, afterStep'],
    ['ratio service / pure', `${fmt(ratio, 2)}×`, `target ≤ ${TARGET_RATIO}× ${ratio <= TARGET_RATIO ? '(met)' : '(NOT met)'}`],
    [
      `${fmt(AGENTS, 0)} agents verifying concurrently`,
      `${fmt(perSecond, 0)} verifications/s`,
      `Promise.all of valid codes, all accepted; median round ${fmt(roundMs)} ms of ${ROUNDS}`,
    ],
  ];
  const lines = [
    '### Service `verifyTotp` (MemoryStorage)',
    '',
    '| measure | result | how |',
    '| --- | ---: | --- |',
    ...rows.map(([a, b, c]) => `| ${a} | ${b} | ${c} |`),
  ];
  return lines.join('\n');
}
