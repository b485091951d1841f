/**
 * What the worker processes of the cross-process tests do, by name. A scenario gets the
 * worker's own storage connection and its parameters (JSON from the parent), builds what it
 * needs, and returns the function to fire: the worker calls it the moment every worker is
 * ready (a start barrier), and sends what it resolves to back to the parent.
 *
 * To add one: write a `Scenario` here, add it to `SCENARIOS`, and call
 * `workers.run('<name>', params)` from a test (see cross-process.test.ts).
 */
import { MemoryMailer, manualClock } from '../../src/memory.js';
import { TwoFactorError, type PolicySettings, type TwoFactor, type TwoFactorOptions, type TwoFactorStorage } from '../../src/index.js';
import { createTwoFactor } from '../support/harness.js';

/** Parameters every scenario takes: how to build the worker's service. */
export interface ServiceParams {
  /** The service's clock, fixed for the run (epoch ms). */
  at: number;
  settings: PolicySettings;
  throttle?: TwoFactorOptions['throttle'];
  storageAttempts?: number;
  email?: TwoFactorOptions['email'];
}

/** What a scenario can use inside a worker. */
export interface ScenarioContext {
  /** The worker's storage: its own connection, wrapped to count lost compare-and-sets. */
  storage: TwoFactorStorage;
  /** 0-based index of this worker, and how many there are. */
  worker: number;
  workers: number;
  /** Resolves when every worker has reached the barrier of this name (once per run). */
  barrier(name: string): Promise<void>;
  /** Makes the worker's next `load` wait at the barrier `name` after it has read the record. */
  holdAfterNextLoad(name: string): void;
}

/** Prepares, then returns the function the worker fires at the start barrier. */
export type Scenario = (ctx: ScenarioContext, params: Record<string, unknown>) => Promise<() => Promise<unknown>>;

/** A service on the worker's storage, with a fixed clock and the run's settings. */
export function workerService(storage: TwoFactorStorage, p: ServiceParams): TwoFactor {
  return createTwoFactor({
    storage,
    issuer: 'Acme Help',
    settings: p.settings,
    clock: manualClock(p.at),
    // The workers only check codes; a mailer is still needed for Email to count as on.
    mailer: new MemoryMailer(),
    ...(p.throttle === undefined ? {} : { throttle: p.throttle }),
    ...(p.storageAttempts === undefined ? {} : { storageAttempts: p.storageAttempts }),
    ...(p.email === undefined ? {} : { email: p.email }),
  });
}

/** A call's outcome as a short label: `ok`, a refusal reason, or `error:<code>`. */
export async function outcome(call: Promise<{ ok: boolean; reason?: string }>): Promise<string> {
  try {
    const r = await call;
    return r.ok ? 'ok' : (r.reason ?? 'refused');
  } catch (e) {
    if (e instanceof TwoFactorError) return `error:${e.code}`;
    throw e;
  }
}

/** Runs `calls` calls, all at once (`parallel`) or one after another, and lists the outcomes. */
async function repeat(calls: number, parallel: boolean, one: () => Promise<string>): Promise<string[]> {
  if (parallel) return Promise.all(Array.from({ length: calls }, one));
  const out: string[] = [];
  for (let i = 0; i < calls; i++) out.push(await one());
  return out;
}

interface CodeParams extends ServiceParams {
  agentId: string;
  code: string;
  /** Calls per worker (default 1). */
  calls?: number;
  /** Fire a worker's calls together (default) or one after another. */
  parallel?: boolean;
  /** Hold each worker's first load until every worker has loaded (forces the race). */
  holdAfterLoad?: boolean;
}

/** A scenario that checks `code` for `agentId` with `check`, `calls` times per worker; resolves to the outcomes. */
function checking(check: (tf: TwoFactor, agentId: string, code: string) => Promise<{ ok: boolean; reason?: string }>): Scenario {
  return async (ctx, params) => {
    const p = params as unknown as CodeParams;
    const tf = workerService(ctx.storage, p);
    return async () => {
      if (p.holdAfterLoad === true) ctx.holdAfterNextLoad('loaded');
      return repeat(p.calls ?? 1, p.parallel ?? true, () => outcome(check(tf, p.agentId, p.code)));
    };
  };
}

export const SCENARIOS: Record<string, Scenario> = {
  /** `verifyTotp(agentId, code)`. */
  'verify-totp': checking((tf, agentId, code) => tf.verifyTotp(agentId, code)),
  /** `verifyEmailCode(agentId, code)`. */
  'verify-email': checking((tf, agentId, code) => tf.verifyEmailCode(agentId, code)),
};
