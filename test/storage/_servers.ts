/**
 * Connections to the real servers behind the storage tests, for the test files and the
 * worker processes alike (so no vitest import here; the skip/fail rules are in _env.ts).
 */
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TwoFactorStorage } from '../../src/ports.js';
import type * as Postgres from '../../src/postgres.js';
import type * as RedisAdapter from '../../src/redis.js';

// TWOFOLD_FROM_DIST=1 (set by .ci/run after the build): the adapters come from the package
// build, as an app gets them, not from the sources. The worker processes inherit the choice.
const FROM_DIST = process.env.TWOFOLD_FROM_DIST === '1';
const { createTable, postgresStorage } = (await import(FROM_DIST ? '../../dist/postgres.js' : '../../src/postgres.js')) as typeof Postgres;
const { redisStorage } = (await import(FROM_DIST ? '../../dist/redis.js' : '../../src/redis.js')) as typeof RedisAdapter;

export type Backend = 'postgres' | 'redis';

/** A random id suffix, so runs and files can share one database. */
export function runId(): string {
  return globalThis.crypto.randomUUID().slice(0, 8);
}

/** A `pg.Pool` that survives its connections being killed (idle ones emit 'error' on the pool). */
export function pgPool(url: string, options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 10, ...options });
  pool.on('error', () => {
    // An idle client's connection ended (e.g. pg_terminate_backend): the pool drops it.
  });
  return pool;
}

/**
 * Creates the table once per database, however many files and processes ask at once
 * (concurrent `CREATE TABLE IF NOT EXISTS` can collide in the catalog, so take a lock).
 */
export async function ensurePgSchema(db: pg.Pool | pg.Client): Promise<void> {
  const client = db instanceof pg.Pool ? await db.connect() : db;
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('twofold_agent schema'))");
    await createTable(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    if (db instanceof pg.Pool) (client as pg.PoolClient).release();
  }
}

/** An ioredis client with the settings docs/storage.md recommends for the adapter. */
export function redisClient(url: string, connectionName?: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 0,
    ...(connectionName === undefined ? {} : { connectionName }),
  });
  redis.on('error', () => {
    // Connection errors reach the caller as rejected commands; ioredis reconnects by itself.
  });
  return redis;
}

/** One connection to a backend, as a worker process or a test holds it. */
export interface Connection {
  storage: TwoFactorStorage;
  close(): Promise<void>;
}

/**
 * Opens one connection with the adapter on it: a `pg.Pool` of one connection (the pool queues
 * concurrent queries; a bare `pg.Client` would too, but pg 8 deprecates that), or one ioredis
 * client.
 */
export async function connect(backend: Backend, url: string, name = 'twofold-test'): Promise<Connection> {
  if (backend === 'postgres') {
    const pool = pgPool(url, { max: 1, application_name: name });
    await ensurePgSchema(pool);
    return { storage: postgresStorage(pool), close: () => pool.end() };
  }
  const redis = redisClient(url, name);
  await redis.ping();
  return {
    storage: redisStorage(redis),
    close: async () => {
      await redis.quit();
    },
  };
}
