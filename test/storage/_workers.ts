/**
 * The parent side of the cross-process tests: starts N Node processes (_worker.ts, each with
 * its own connection to the server), runs a named scenario in all of them at once, and acts as
 * the barrier they synchronize on, so their calls really reach the server at the same moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerStats } from './_worker.js';
import type { Backend } from './_servers.js';

const WORKER = fileURLToPath(new URL('./_worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** One worker's answer to a run. */
export interface WorkerResult<T> {
  worker: number;
  /** The worker's process id. */
  pid: number;
  value: T;
  stats: WorkerStats;
}

type Outgoing =
  | { type: 'ready' }
  | { type: 'arrive'; run: number; barrier: string }
  | { type: 'done'; run: number; value: unknown; stats: WorkerStats; pid: number }
  | { type: 'failed'; run: number; error: string };

interface PendingRun {
  run: number;
  arrivals: Map<string, number>;
  results: Array<WorkerResult<unknown> | undefined>;
  remaining: number;
  resolve: (results: Array<WorkerResult<unknown>>) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class Workers {
  #pending: PendingRun | undefined;
  #runs = 0;
  #exited = false;

  private constructor(readonly backend: Backend, readonly children: ChildProcess[]) {
    children.forEach((child, worker) => {
      child.on('message', (m: Outgoing) => this.#onMessage(worker, m));
      child.on('exit', (code) => {
        if (!this.#exited) this.#fail(new Error(`worker ${worker} exited with code ${String(code)}`));
      });
    });
  }

  /** Starts `count` workers on `backend` and waits until each has connected. */
  static async start(backend: Backend, url: string, count = 4): Promise<Workers> {
    const children = Array.from({ length: count }, () =>
      spawn(process.execPath, ['--import', 'tsx', WORKER, backend, url], {
        cwd: ROOT,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    await Promise.all(
      children.map(
        (child, i) =>
          new Promise<void>((resolve, reject) => {
            child.once('message', (m: Outgoing) => (m.type === 'ready' ? resolve() : reject(new Error(`worker ${i}: ${JSON.stringify(m)}`))));
            child.once('exit', (code) => reject(new Error(`worker ${i} exited with code ${String(code)} before it was ready`)));
          }),
      ),
    );
    return new Workers(backend, children);
  }

  get count(): number {
    return this.children.length;
  }

  /**
   * Runs scenario `mode` (see _scenarios.ts) in every worker with the same `params`; each
   * worker fires when all are ready. Resolves to the workers' results in worker order.
   */
  run<T>(mode: string, params: Record<string, unknown>, timeoutMs = 30_000): Promise<Array<WorkerResult<T>>> {
    if (this.#pending !== undefined) throw new Error('one run at a time');
    const run = ++this.#runs;
    return new Promise((resolve, reject) => {
      this.#pending = {
        run,
        arrivals: new Map(),
        results: [],
        remaining: this.count,
        resolve: resolve as PendingRun['resolve'],
        reject,
        timer: setTimeout(() => this.#fail(new Error(`run ${run} (${mode}) timed out after ${timeoutMs} ms`)), timeoutMs),
      };
      this.children.forEach((child, worker) => child.send({ type: 'run', run, mode, params, worker, workers: this.count }));
    });
  }

  /** Ends the workers (they close their connections). */
  async stop(): Promise<void> {
    this.#exited = true;
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            child.send({ type: 'exit' });
          }),
      ),
    );
  }

  #onMessage(worker: number, m: Outgoing): void {
    const p = this.#pending;
    if (p === undefined || m.type === 'ready' || m.run !== p.run) return;
    if (m.type === 'arrive') {
      const n = (p.arrivals.get(m.barrier) ?? 0) + 1;
      p.arrivals.set(m.barrier, n);
      if (n === this.count) {
        for (const child of this.children) child.send({ type: 'release', run: p.run, barrier: m.barrier });
      }
    } else if (m.type === 'failed') {
      this.#fail(new Error(`worker ${worker} failed: ${m.error}`));
    } else {
      p.results[worker] = { worker, pid: m.pid, value: m.value, stats: m.stats };
      if (--p.remaining === 0) {
        clearTimeout(p.timer);
        this.#pending = undefined;
        p.resolve(p.results as Array<WorkerResult<unknown>>);
      }
    }
  }

  #fail(error: Error): void {
    const p = this.#pending;
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#pending = undefined;
    p.reject(error);
  }
}

/** Counts labels: `{ ok: 1, replayed: 3 }`. */
export function tally(labels: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of labels) counts[l] = (counts[l] ?? 0) + 1;
  return counts;
}
