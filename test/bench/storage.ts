/**
 * `npm run bench:storage` (issue 6): the service's `verifyTotp` through real storage.
 *
 * - Throughput and latency: 1,000 admin-provisioned agents each verify a valid code, all at
 *   once (`Promise.all`), on MemoryStorage, PGlite (twofold/postgres on an in-process,
 *   in-memory PGlite), PostgreSQL (twofold/postgres on a `pg.Pool` of 10 connections) and
 *   Redis (twofold/redis on one ioredis
 *   connection). 2 warm-up rounds, then 7 measured rounds, the clock one step on each round.
 *   Latency is per call, from the call to its result, so it includes waiting behind the other
 *   999; median and p99 are over all 7,000 measured calls; throughput is 1,000 / the median
 *   round time.
 * - Compare-and-set retries: 50 calls for one agent at once, 20 bursts each (a fresh agent per
 *   burst), counting the saves that lost (returned false) with a wrapping storage.
 *
 * PostgreSQL and Redis rows need TWOFOLD_PG_URL / TWOFOLD_REDIS_URL (see docs/storage.md);
 * without them those rows say so. Prints markdown.
 */
import { arch, cpus, platform } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { createTable, postgresStorage } from '../../src/postgres.js';
import { redisStorage } from '../../src/redis.js';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage, manualClock } from '../../src/memory.js';
import { totp } from '../../src/otp/totp.js';
import type { RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/ports.js';
import type { AgentRecord } from '../../src/record/schema.js';
import { createTwoFactor, type TwoFactorOptions } from '../../src/index.js';
import { ensurePgSchema, pgPool, redisClient } from '../storage/_servers.js';
import { SETTINGS, STEP_MS, T0, provisionAgents, wrongCode } from './_agents.js';
import { fmt, median, quantile } from './_measure.js';

const AGENTS = 1000;
const WARMUP_ROUNDS = 2;
const ROUNDS = 7;
const BURST = 50;
const BURSTS = 20;
const PG_POOL_SIZE = 10;

interface Backend {
  name: string;
  storage: TwoFactorStorage;
  /** Removes what the run wrote, and disconnects. */
  close(): Promise<void>;
}

/** Counts saves that lost the compare-and-set. */
class CountingStorage implements TwoFactorStorage {
  lost = 0;
  constructor(private readonly inner: TwoFactorStorage) {}
  load(agentId: string): Promise<StoredRecord | null> {
    return this.inner.load(agentId);
  }
  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    const ok = await this.inner.save(agentId, record, expected);
    if (!ok) this.lost++;
    return ok;
  }
}

/** 1,000 agents verifying at once: verifications/s, median and p99 latency in ms. */
async function throughput(storage: TwoFactorStorage, prefix: string) {
  const clock = manualClock(T0);
  const tf = createTwoFactor({ storage, issuer: 'Bench', settings: SETTINGS, clock });
  const ids = Array.from({ length: AGENTS }, (_, i) => `${prefix}-agent-${i}`);
  const secrets = await provisionAgents(tf, ids);
  const latencies: number[] = [];
  const roundMs: number[] = [];
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    clock.advance(STEP_MS); // a fresh step per round, so no code is a replay
    const at = clock.now().getTime();
    const codes = secrets.map((s) => totp(s, { at }));
    const mine: number[] = [];
    const start = performance.now();
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const t = performance.now();
        const r = await tf.verifyTotp(id, codes[i]!);
        mine.push(performance.now() - t);
        return r;
      }),
    );
    const ms = performance.now() - start;
    const accepted = results.filter((r) => r.ok).length;
    if (accepted !== AGENTS) throw new Error(`only ${accepted} of ${AGENTS} valid codes were accepted`);
    if (round >= WARMUP_ROUNDS) {
      roundMs.push(ms);
      latencies.push(...mine);
    }
  }
  latencies.sort((a, b) => a - b);
  const roundMedian = median(roundMs);
  return { perSecond: (AGENTS * 1000) / roundMedian, roundMs: roundMedian, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

interface BurstKind {
  label: string;
  valid: boolean;
  throttle?: TwoFactorOptions['throttle'];
}

const BURST_KINDS: BurstKind[] = [
  { label: 'same valid code', valid: true },
  { label: 'wrong codes, default throttle', valid: false },
  { label: 'wrong codes, freeFailures 100', valid: false, throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } },
];

/** 50 calls for one agent at once, `BURSTS` times: lost saves and outcomes per burst. */
async function burst(inner: TwoFactorStorage, prefix: string, kind: BurstKind) {
  const storage = new CountingStorage(inner);
  const clock = manualClock(T0);
  const tf = createTwoFactor({ storage, issuer: 'Bench', settings: SETTINGS, clock, ...(kind.throttle ? { throttle: kind.throttle } : {}) });
  const lost: number[] = [];
  const outcomes: Record<string, number> = {};
  for (let b = 0; b < BURSTS; b++) {
    const id = `${prefix}-burst-${kind.valid ? 'v' : 'w'}${kind.throttle ? 'f' : ''}-${b}`;
    clock.set(T0);
    const r = await tf.admin.provisionTotp(id, { account: `${id}@example.com` });
    if (!r.ok) throw new Error(`provisionTotp refused: ${r.reason}`);
    clock.set(T0 + STEP_MS);
    const at = T0 + STEP_MS;
    const code = kind.valid ? totp(r.secret, { at }) : wrongCode(r.secret, at);
    storage.lost = 0;
    const settled = await Promise.allSettled(Array.from({ length: BURST }, () => tf.verifyTotp(id, code)));
    for (const s of settled) {
      let label: string;
      if (s.status === 'fulfilled') label = s.value.ok ? 'ok' : s.value.reason;
      else if (s.reason instanceof TwoFactorError) label = s.reason.code;
      else throw s.reason;
      outcomes[label] = (outcomes[label] ?? 0) + 1;
    }
    lost.push(storage.lost);
  }
  const sorted = [...lost].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    max: sorted[sorted.length - 1]!,
    outcomes: Object.entries(outcomes)
      .sort(([, a], [, b]) => b - a)
      .map(([k, n]) => `${k} ${fmt(n / BURSTS, 1)}`)
      .join(', '),
  };
}

async function backends(prefix: string): Promise<{ list: Backend[]; skipped: string[]; versions: string[]; liteLabel: string }> {
  const list: Backend[] = [{ name: 'MemoryStorage', storage: new MemoryStorage(), close: async () => {} }];
  const skipped: string[] = [];
  const versions: string[] = [];
  const lite = new PGlite();
  await createTable(lite);
  const liteVersion = String((await lite.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v).split(' ')[0];
  const liteLabel = `PGlite ${liteVersion} (in-process, in memory)`;
  list.push({ name: 'PGlite (in memory)', storage: postgresStorage(lite), close: () => lite.close() });
  const pgUrl = process.env['TWOFOLD_PG_URL'];
  if (pgUrl) {
    const pool = pgPool(pgUrl, { max: PG_POOL_SIZE, application_name: 'twofold-bench' });
    await ensurePgSchema(pool);
    const setting = async (name: string) => String((await pool.query(`SHOW ${name}`)).rows[0][name]);
    const version = (await setting('server_version')).split(' ')[0];
    versions.push(`PostgreSQL ${version} (fsync ${await setting('fsync')}, synchronous_commit ${await setting('synchronous_commit')})`);
    list.push({
      name: `PostgreSQL (pool of ${PG_POOL_SIZE})`,
      storage: postgresStorage(pool),
      close: async () => {
        await pool.query("DELETE FROM twofold_agent WHERE agent_id LIKE $1 || '%'", [prefix]);
        await pool.end();
      },
    });
  } else {
    skipped.push('PostgreSQL: set TWOFOLD_PG_URL');
  }
  const redisUrl = process.env['TWOFOLD_REDIS_URL'];
  if (redisUrl) {
    const redis = redisClient(redisUrl, 'twofold-bench');
    const info = await redis.info('server');
    const [, aof] = (await redis.config('GET', 'appendonly')) as [string, string];
    const [, save] = (await redis.config('GET', 'save')) as [string, string];
    versions.push(`Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} (appendonly ${aof}, save '${save}')`);
    const keyPrefix = `twofold-bench:${prefix}:`;
    list.push({
      name: 'Redis (1 connection)',
      storage: redisStorage(redis, { prefix: keyPrefix }),
      close: async () => {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await redis.del(...keys);
          cursor = next;
        } while (cursor !== '0');
        await redis.quit();
      },
    });
  } else {
    skipped.push('Redis: set TWOFOLD_REDIS_URL');
  }
  return { list, skipped, versions, liteLabel };
}

async function main(): Promise<void> {
  const started = Date.now();
  const prefix = `bench-${globalThis.crypto.randomUUID().slice(0, 8)}`;
  const { list, skipped, versions, liteLabel } = await backends(prefix);
  const rows: string[] = [];
  const retryRows: string[] = [];
  try {
    for (const b of list) {
      const t = await throughput(b.storage, prefix);
      rows.push(`| ${b.name} | ${fmt(t.perSecond, 0)} | ${fmt(t.roundMs)} | ${fmt(t.p50, 2)} | ${fmt(t.p99, 2)} |`);
      for (const kind of BURST_KINDS) {
        const r = await burst(b.storage, prefix, kind);
        retryRows.push(`| ${b.name} | ${kind.label} | ${r.median} | ${r.max} | ${r.outcomes} |`);
      }
    }
  } finally {
    for (const b of list) await b.close();
  }
  const out = [
    '## Storage benchmark: service `verifyTotp` through real storage',
    '',
    `${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${platform()}/${arch()}, ` +
      `${cpus()[0]?.model ?? 'unknown CPU'} ×${cpus().length}; ${liteLabel}${versions.length ? `; ${versions.join(', ')} on loopback, same machine` : ''}.`,
    '',
    `### ${fmt(AGENTS, 0)} agents verifying a valid code at once`,
    '',
    `Median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up rounds; latency per call over all ${fmt(ROUNDS * AGENTS, 0)} calls, including the wait behind the other calls of its round.`,
    '',
    '| storage | verifications/s | round (ms) | median latency (ms) | p99 latency (ms) |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `### Compare-and-set retries: ${BURST} calls for one agent at once`,
    '',
    `${BURSTS} bursts each, a fresh agent per burst; a retry is a save that lost to another writer (the call then loads again and decides again). Default \`storageAttempts\` 8.`,
    '',
    '| storage | burst | lost saves per burst (median) | (max) | outcomes per burst (mean) |',
    '| --- | --- | ---: | ---: | --- |',
    ...retryRows,
  ];
  if (skipped.length > 0) out.push('', `_Not run: ${skipped.join('; ')}._`);
  out.push('', `_Whole run: ${((Date.now() - started) / 1000).toFixed(1)} s._`);
  console.log(out.join('\n'));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
