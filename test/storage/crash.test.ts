/**
 * Crash test on real servers: worker processes log agents in, all at once and without pause,
 * and are killed with SIGKILL in the middle of the burst. Afterwards every stored record still
 * reads (`checkRecord` passes), no code was accepted twice, and each agent's last accepted step
 * is really spent: the code of that step is a replay to a fresh service.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createTwoFactor, totp } from '../../src/index.js';
import { manualClock } from '../../src/memory.js';
import { checkRecord } from '../../src/record/parse.js';
import { T0 } from '../support/harness.js';
import { serverUrl } from './_env.js';
import { connect, runId, type Backend, type Connection } from './_servers.js';

const WORKER = fileURLToPath(new URL('./_crash-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKERS = 4;
const AGENTS = 6;
/** Accepted codes seen (over all workers) before the first kill: the burst is really under way. */
const BEFORE_KILL = 24;

interface Worker {
  child: ChildProcess;
  lines: string[];
}

function startWorker(backend: Backend, url: string, payload: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, backend, url, payload], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const worker: Worker = { child, lines: [] };
  let rest = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = rest + chunk.toString();
    const parts = text.split('\n');
    rest = parts.pop()!;
    worker.lines.push(...parts);
  });
  return worker;
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

for (const backend of ['postgres', 'redis'] as const) {
  const url = serverUrl(backend);
  describe.runIf(url !== undefined)(`${backend}: workers killed with SIGKILL mid-burst`, { timeout: 60_000 }, () => {
    let connection: Connection;
    const workers: Worker[] = [];
    afterAll(async () => {
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => exited(w.child)));
      await connection?.close();
    });

    it('every record still reads, no code was accepted twice, and each last accepted step is spent', async () => {
      connection = await connect(backend, url!, 'twofold-crash-parent');
      const prefix = `crash-${runId()}`;
      const admin = createTwoFactor({ storage: connection.storage, issuer: 'Crash', settings: { totp: true, email: false, requireAll: false }, clock: manualClock(T0) });
      const agents: Array<{ id: string; secret: string }> = [];
      for (let i = 0; i < AGENTS; i++) {
        const id = `${prefix}-${i}`;
        const made = await admin.admin.provisionTotp(id, { account: id });
        if (!made.ok) throw new Error(made.reason);
        agents.push({ id, secret: made.secret });
      }
      const payload = JSON.stringify({ agents, t0: T0 });
      for (let i = 0; i < WORKERS; i++) workers.push(startWorker(backend, url!, payload));

      const accepted = () => workers.flatMap((w) => w.lines.filter((l) => l.startsWith('ok ')));
      // Kill half the workers once the burst is well under way, then the rest a little later.
      await waitFor(() => accepted().length >= BEFORE_KILL, 30_000);
      for (const w of workers.slice(0, WORKERS / 2)) w.child.kill('SIGKILL');
      const seen = accepted().length;
      await waitFor(() => accepted().length >= seen + BEFORE_KILL / 2, 30_000);
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => exited(w.child)));
      expect(workers.every((w) => w.child.signalCode === 'SIGKILL')).toBe(true);

      // No agent's code of any step was accepted twice, across all the workers.
      const lines = accepted();
      expect(lines.length).toBeGreaterThanOrEqual(seen);
      expect(new Set(lines).size).toBe(lines.length);

      // Every record reads, and the code of its last accepted step is a replay now.
      for (const { id, secret } of agents) {
        const loaded = await connection.storage.load(id);
        expect(loaded).not.toBeNull();
        const record = checkRecord(loaded!.record);
        const lastStep = record.totp!.lastStep;
        if (lastStep === null) continue;
        const at = lastStep * 30_000;
        const again = createTwoFactor({ storage: connection.storage, issuer: 'Crash', settings: { totp: true, email: false, requireAll: false }, clock: manualClock(at) });
        expect(await again.verifyTotp(id, totp(secret, { at }))).toEqual({ ok: false, reason: 'replayed' });
        // What the logs say was accepted for this agent never goes past what the record holds.
        const logged = lines.filter((l) => l.startsWith(`ok ${id} `)).map((l) => Number(l.split(' ')[2]) + T0 / 30_000);
        for (const step of logged) expect(step).toBeLessThanOrEqual(lastStep);
      }
    });
  });
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for the burst');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
