/**
 * A run of service operations while another connection keeps killing the adapter's
 * connections (pg_terminate_backend, Redis CLIENT KILL). Each operation must either complete
 * or reject with `STORAGE_FAILED`; the caller then checks what is at rest.
 */
import type { ManualClock } from '../../src/memory.js';
import { TwoFactorError, type TwoFactor } from '../../src/index.js';
import { STEP_MS, T0 } from '../support/harness.js';

/**
 * Provisions TOTP for `id` with the clock at T0, then moves the clock one step on, where the
 * fault runs send their codes; returns the secret.
 */
export async function provisionForRun(tf: TwoFactor, clock: ManualClock, id: string): Promise<string> {
  clock.set(T0);
  const r = await tf.admin.provisionTotp(id, { account: `${id}@example.com` });
  if (!r.ok) throw new Error(r.reason);
  clock.set(T0 + STEP_MS);
  return r.secret;
}

export interface KillRunOptions {
  tf: TwoFactor;
  /** Agents and the wrong code each is sent (every completed call counts one failure). */
  agents: ReadonlyArray<{ id: string; code: string }>;
  /** Kills the adapter's connections; resolves to how many it killed. */
  kill: () => Promise<number>;
  /** Operations in flight at any time. */
  lanes?: number;
  /** Stop once this many operations ran and `minFailed` of them failed... */
  minOps?: number;
  minFailed?: number;
  /** ...or after this many operations per agent, or this long. */
  maxOpsPerAgent?: number;
  maxMs?: number;
}

export interface KillRunReport {
  ops: number;
  kills: number;
  /** Per agent: calls that completed (by outcome) and calls that rejected STORAGE_FAILED. */
  perAgent: Map<string, { completed: Record<string, number>; failed: number }>;
  failed: number;
  /** Anything else a call threw (must stay empty). */
  unexpected: unknown[];
  /** A STORAGE_FAILED error, to check its cause. */
  sampleError: TwoFactorError | undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runUnderKills(o: KillRunOptions): Promise<KillRunReport> {
  const { tf, agents, kill } = o;
  const lanes = o.lanes ?? 8;
  const minOps = o.minOps ?? 200;
  const minFailed = o.minFailed ?? 5;
  const maxOps = (o.maxOpsPerAgent ?? 90) * agents.length;
  const deadline = Date.now() + (o.maxMs ?? 15_000);
  const report: KillRunReport = {
    ops: 0,
    kills: 0,
    perAgent: new Map(agents.map((a) => [a.id, { completed: {}, failed: 0 }])),
    failed: 0,
    unexpected: [],
    sampleError: undefined,
  };
  let next = 0;
  const done = () =>
    next >= maxOps || Date.now() > deadline || (report.ops >= minOps && report.failed >= minFailed);

  const lane = async () => {
    while (!done()) {
      const agent = agents[next++ % agents.length]!;
      const tally = report.perAgent.get(agent.id)!;
      try {
        const r = await tf.verifyTotp(agent.id, agent.code);
        const label = r.ok ? 'ok' : r.reason;
        tally.completed[label] = (tally.completed[label] ?? 0) + 1;
      } catch (e) {
        if (e instanceof TwoFactorError && e.code === 'STORAGE_FAILED') {
          report.failed++;
          tally.failed++;
          report.sampleError ??= e;
        } else {
          report.unexpected.push(e);
        }
      } finally {
        report.ops++;
      }
    }
  };
  const killer = async () => {
    for (;;) {
      await sleep(5 + Math.floor(Math.random() * 20));
      if (done()) break;
      report.kills += await kill();
    }
  };
  await Promise.all([killer(), ...Array.from({ length: lanes }, lane)]);
  // Let the driver notice the connections killed while idle, so the caller's checks start clean.
  await sleep(200);
  return report;
}
