/**
 * A worker process of the cross-process tests: `node --import tsx _worker.ts <backend> <url>`,
 * started by `Workers` (_workers.ts) with an IPC channel. It opens its own connection, then
 * runs scenarios (_scenarios.ts) on command and reports their outcomes and how many of its
 * compare-and-set saves lost.
 *
 * Messages in: `{ type: 'run', run, mode, params, worker, workers }`, `{ type: 'release', run,
 * barrier }`, `{ type: 'exit' }`. Out: `{ type: 'ready' }`, `{ type: 'arrive', run, barrier }`,
 * `{ type: 'done', run, value, stats, pid }`, `{ type: 'failed', run, error }`.
 */
import type { RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/ports.js';
import type { AgentRecord } from '../../src/record/schema.js';
import { SCENARIOS, type ScenarioContext } from './_scenarios.js';
import { connect, type Backend } from './_servers.js';

export interface WorkerStats {
  loads: number;
  saves: number;
  /** Saves that returned false: another writer got there first. */
  lostSaves: number;
}

type Incoming =
  | { type: 'run'; run: number; mode: string; params: Record<string, unknown>; worker: number; workers: number }
  | { type: 'release'; run: number; barrier: string }
  | { type: 'exit' };

/** Counts calls and lost saves, and can hold a load at a barrier. */
class ObservedStorage implements TwoFactorStorage {
  stats: WorkerStats = { loads: 0, saves: 0, lostSaves: 0 };
  hold: (() => Promise<void>) | undefined;
  constructor(private readonly inner: TwoFactorStorage) {}

  async load(agentId: string): Promise<StoredRecord | null> {
    this.stats.loads++;
    const got = await this.inner.load(agentId);
    const hold = this.hold;
    this.hold = undefined;
    if (hold !== undefined) await hold();
    return got;
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    this.stats.saves++;
    const ok = await this.inner.save(agentId, record, expected);
    if (!ok) this.stats.lostSaves++;
    return ok;
  }
}

function send(message: unknown): void {
  process.send!(message);
}

async function main(): Promise<void> {
  const [backend, url] = process.argv.slice(2) as [Backend, string];
  const connection = await connect(backend, url, 'twofold-worker');
  const storage = new ObservedStorage(connection.storage);
  const waiting = new Map<string, () => void>();
  let current = -1;

  const barrier = (name: string): Promise<void> =>
    new Promise((resolve) => {
      waiting.set(`${current}:${name}`, resolve);
      send({ type: 'arrive', run: current, barrier: name });
    });

  process.on('message', (message: Incoming) => {
    if (message.type === 'release') {
      const key = `${message.run}:${message.barrier}`;
      waiting.get(key)?.();
      waiting.delete(key);
    } else if (message.type === 'exit') {
      connection.close().finally(() => process.exit(0));
    } else if (message.type === 'run') {
      current = message.run;
      storage.stats = { loads: 0, saves: 0, lostSaves: 0 };
      storage.hold = undefined;
      const ctx: ScenarioContext = {
        storage,
        worker: message.worker,
        workers: message.workers,
        barrier,
        holdAfterNextLoad: (name) => {
          storage.hold = () => barrier(name);
        },
      };
      const scenario = SCENARIOS[message.mode];
      (async () => {
        if (scenario === undefined) throw new Error(`no scenario "${message.mode}"`);
        const fire = await scenario(ctx, message.params);
        await barrier('start');
        const value = await fire();
        send({ type: 'done', run: message.run, value, stats: storage.stats, pid: process.pid });
      })().catch((e: unknown) => {
        send({ type: 'failed', run: message.run, error: e instanceof Error ? e.stack ?? e.message : String(e) });
      });
    }
  });
  process.on('disconnect', () => {
    connection.close().finally(() => process.exit(0));
  });
  send({ type: 'ready' });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
