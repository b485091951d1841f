/**
 * twofold/postgres (src/postgres.ts): the conformance kit and the adapter's own checks on
 * PGlite (in-process, always) and on a real PostgreSQL when TWOFOLD_PG_URL is set; then, on
 * the real server only, faults: the adapter's connection terminated while a statement waits
 * on a lock (deterministically mid-operation), and terminated over and over during a run of
 * operations.
 */
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTable, postgresStorage, type PostgresQueryable } from '../../src/postgres.js';
import { manualClock } from '../../src/memory.js';
import { TwoFactorError, totp, type TwoFactor, type TwoFactorStorage } from '../../src/index.js';
import { storageConformance } from '../../src/testing/conformance.js';
import { STEP_MS, T0, TOTP_ONLY, createTwoFactor, wrongCode } from '../support/harness.js';
import { serverUrl } from './_env.js';
import { provisionForRun, runUnderKills } from './_faults.js';
import { ensurePgSchema, pgPool, runId } from './_servers.js';

const T1 = T0 + STEP_MS;

const url = serverUrl('postgres');

/** A database the adapter runs on: PGlite always, the real server when configured. */
interface Target {
  label: string;
  open(run: string): Promise<{ db: PostgresQueryable; close(): Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    label: 'PGlite',
    async open() {
      const db = new PGlite();
      await createTable(db);
      return { db, close: () => db.close() };
    },
  },
  ...(url === undefined
    ? []
    : [
        {
          label: 'PostgreSQL server',
          async open(run: string) {
            const pool = pgPool(url, { application_name: `twofold-conformance-${run}` });
            await ensurePgSchema(pool);
            return { db: pool, close: () => pool.end() };
          },
        },
      ]),
];

const GOOD_TABLES = ['twofold_agent', 'a', '_', '_x1', 'order', 'auth.twofold_agent', 'a'.repeat(63), `${'s'.repeat(63)}.${'t'.repeat(63)}`];
const BAD_TABLES = [
  'x; DROP TABLE y',
  'Agent',
  '1abc',
  'a-b',
  ' a',
  'a ',
  '"a"',
  '',
  '.a',
  'a.',
  'a..b',
  'a.b.c',
  'a'.repeat(64),
  `auth.${'t'.repeat(64)}`,
  'agent\u0000',
  'ägent',
];

describe('twofold/postgres: table names', () => {
  const db: PostgresQueryable = { query: async () => ({ rows: [] }) };

  it.each(GOOD_TABLES)('accepts %s', (table) => {
    expect(() => postgresStorage(db, { table })).not.toThrow();
  });

  it.each(BAD_TABLES)('refuses %j without repeating it', async (table) => {
    let error: unknown;
    try {
      postgresStorage(db, { table });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    if (table.length >= 4) expect((error as Error).message).not.toContain(table);
    await expect(createTable(db, { table })).rejects.toThrow(TypeError);
  });

  it('refuses a table name that is not a string, and a db without query()', () => {
    expect(() => postgresStorage(db, { table: 42 as unknown as string })).toThrow(TypeError);
    expect(() => postgresStorage({} as PostgresQueryable)).toThrow(TypeError);
  });

  it('double-quotes the name in every statement (schema and table apart)', async () => {
    const seen: string[] = [];
    const spy: PostgresQueryable = {
      query: async (text) => {
        seen.push(text);
        return { rows: [] };
      },
    };
    await createTable(spy, { table: 'auth.order' });
    const storage = postgresStorage(spy, { table: 'auth.order' });
    await storage.load('a');
    await storage.save('a', {} as never, null);
    await storage.save('a', {} as never, '1');
    expect(seen).toHaveLength(4);
    for (const text of seen) expect(text).toContain('"auth"."order"');
  });

  it('on PGlite: a reserved word and a schema work as table names, and createTable is idempotent', async () => {
    const lite = new PGlite();
    try {
      await lite.query('CREATE SCHEMA auth');
      for (const table of ['order', 'auth.twofold_agent']) {
        await createTable(lite, { table });
        await createTable(lite, { table });
        for (const t of storageConformance(() => postgresStorage(lite, { table }), { concurrency: 5 }).slice(0, 4)) await t.run();
      }
      const { rows } = await lite.query<{ name: string }>(
        "SELECT schemaname || '.' || tablename AS name FROM pg_tables WHERE tablename IN ('order', 'twofold_agent') ORDER BY 1",
      );
      expect(rows.map((r) => r.name)).toEqual(['auth.twofold_agent', 'public.order']);
    } finally {
      await lite.close();
    }
  }, 60_000); // a PGlite start (WASM) takes seconds on a loaded 2-core machine
});

for (const target of TARGETS) {
  describe(`twofold/postgres on ${target.label}`, { timeout: 60_000 }, () => {
    const run = runId();
    let db: PostgresQueryable;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ db, close } = await target.open(run));
    }, 60_000); // a PGlite start (WASM) takes seconds on a loaded machine
    afterAll(async () => {
      await close?.();
    });

    describe('passes the storage conformance kit', () => {
      for (const t of storageConformance(() => postgresStorage(db), { agentPrefix: `pg-${run}` })) it(t.name, t.run);
    });

    describe('passes it with 100 concurrent writers', () => {
      const races = storageConformance(() => postgresStorage(db), { agentPrefix: `pg100-${run}`, concurrency: 100 });
      for (const t of races.filter((c) => c.name.includes('concurrent'))) it(t.name, t.run);
    });

    it('stores the record as jsonb and a bigint version that grows by one per save', async () => {
      const storage = postgresStorage(db);
      const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock: manualClock(T0) });
      const id = `pg-${run}-row`;
      await tf.admin.provisionTotp(id, { account: 'a@example.com' });
      await tf.admin.setEnforced(id, true);
      const { rows } = (await db.query(
        "SELECT record::text AS json, version, pg_typeof(record)::text AS rtype, pg_typeof(version)::text AS vtype FROM twofold_agent WHERE agent_id = $1",
        [id],
      )) as { rows: Array<{ json: string; version: unknown; rtype: string; vtype: string }> };
      expect(rows).toHaveLength(1);
      expect(rows[0]!.rtype).toBe('jsonb');
      expect(rows[0]!.vtype).toBe('bigint');
      expect(String(rows[0]!.version)).toBe('2');
      const loaded = (await storage.load(id))!;
      expect(loaded.version).toBe('2');
      expect(JSON.parse(rows[0]!.json)).toEqual(loaded.record);
      expect(JSON.parse(rows[0]!.json).enforced).toBe(true);
    });

    it('a stale or absent version is a lost race, not an error', async () => {
      const storage = postgresStorage(db);
      const id = `pg-${run}-stale`;
      const record = (await (async () => {
        const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock: manualClock(T0) });
        await tf.admin.setEnforced(id, true);
        return (await storage.load(id))!.record;
      })());
      expect(await storage.save(id, record, '0')).toBe(false);
      expect(await storage.save(`${id}-none`, record, '1')).toBe(false);
      expect(await storage.load(`${id}-none`)).toBeNull();
      expect(await storage.save(id, record, null)).toBe(false);
    });
  });
}

describe.runIf(url !== undefined)('twofold/postgres on a PostgreSQL server: faults', { timeout: 60_000 }, () => {
  const run = runId();

  describe('faults: the connection is terminated mid-operation', () => {
    const table = `twofold_fault_${run.replace(/-/g, '')}`;
    const app = `twofold-fault-${run}`;
    let victims: pg.Pool;
    let admin: pg.Client;
    let storage: TwoFactorStorage;
    let clock: ReturnType<typeof manualClock>;
    let tf: TwoFactor;

    /** Terminates every connection of the adapter's pool; resolves to how many. */
    const terminate = async (): Promise<number> => {
      const { rows } = await admin.query(
        'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [app],
      );
      return rows[0].n as number;
    };

    /** Waits until one of the adapter's statements is waiting on a lock. */
    const blocked = async (): Promise<void> => {
      for (let i = 0; i < 500; i++) {
        const { rows } = await admin.query(
          "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'",
          [app],
        );
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('the adapter never blocked');
    };

    const provision = (id: string) => provisionForRun(tf, clock, id);

    /** What `promise` rejects with (undefined if it resolves), caught at once. */
    const rejection = (promise: Promise<unknown>): Promise<unknown> =>
      promise.then(
        () => undefined,
        (e: unknown) => e,
      );

    const expectStorageFailed = async (op: Promise<unknown>) => {
      const error = await op;
      expect(error).toBeInstanceOf(TwoFactorError);
      expect((error as TwoFactorError).code).toBe('STORAGE_FAILED');
      // The driver's error is kept: 57P01 is admin_shutdown (pg_terminate_backend).
      const cause = (error as TwoFactorError).cause as { code?: string; message: string };
      expect(cause.code === '57P01' || /terminat/i.test(cause.message), cause.message).toBe(true);
    };

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: url! });
      admin.on('error', () => {});
      await admin.connect();
      await createTable(admin, { table });
      victims = pgPool(url!, { max: 4, application_name: app });
      storage = postgresStorage(victims, { table });
      clock = manualClock(T0);
      tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock, throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } });
    });
    afterAll(async () => {
      await victims?.end();
      await admin?.query(`DROP TABLE IF EXISTS ${table}`);
      await admin?.end();
    });

    it('a save waiting on a row lock, terminated: STORAGE_FAILED, nothing written, the same code works after', async () => {
      const id = `fault-${run}-save`;
      const secret = await provision(id);
      const before = await storage.load(id);
      await admin.query('BEGIN');
      await admin.query(`SELECT 1 FROM ${table} WHERE agent_id = $1 FOR UPDATE`, [id]);
      const op = rejection(tf.verifyTotp(id, totp(secret, { at: T1 })));
      await blocked(); // the load went through; the UPDATE waits for the row lock
      expect(await terminate()).toBeGreaterThanOrEqual(1);
      await expectStorageFailed(op);
      await admin.query('ROLLBACK');

      expect(await storage.load(id)).toEqual(before);
      expect(await tf.verifyTotp(id, totp(secret, { at: T1 }))).toEqual({ ok: true, method: 'totp' });
    });

    it('a load waiting on a table lock, terminated: STORAGE_FAILED, nothing written', async () => {
      const id = `fault-${run}-load`;
      const secret = await provision(id);
      const before = await storage.load(id);
      await admin.query('BEGIN');
      await admin.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
      const op = rejection(tf.verifyTotp(id, wrongCode(secret, T1)));
      await blocked();
      expect(await terminate()).toBeGreaterThanOrEqual(1);
      await expectStorageFailed(op);
      await admin.query('ROLLBACK');

      expect(await storage.load(id)).toEqual(before);
    });

    it('a create waiting on a concurrent insert, terminated: STORAGE_FAILED, no row', async () => {
      const id = `fault-${run}-create`;
      await admin.query('BEGIN');
      await admin.query(`INSERT INTO ${table} (agent_id, record, version) VALUES ($1, '{}', 1)`, [id]);
      const op = rejection(tf.beginTotpSetup(id, { account: 'a@example.com' }));
      await blocked(); // INSERT ... ON CONFLICT waits to learn whether the other insert commits
      expect(await terminate()).toBeGreaterThanOrEqual(1);
      await expectStorageFailed(op);
      await admin.query('ROLLBACK');

      expect(await storage.load(id)).toBeNull();
      expect((await tf.beginTotpSetup(id, { account: 'a@example.com' })).ok).toBe(true);
    });

    it('connections terminated over and over during 8 lanes of wrong codes: each call completes or fails, none is lost', async () => {
      const agents: Array<{ id: string; code: string; secret: string }> = [];
      for (let i = 0; i < 8; i++) {
        const id = `fault-${run}-run-${i}`;
        const secret = await provision(id);
        agents.push({ id, secret, code: wrongCode(secret, T1) });
      }

      const report = await runUnderKills({ tf, agents, kill: terminate });

      expect(report.unexpected).toEqual([]);
      expect(report.kills).toBeGreaterThan(0);
      expect(report.failed).toBeGreaterThan(0); // some kills hit a statement in flight
      const cause = report.sampleError!.cause as { message: string };
      expect(cause).toBeInstanceOf(Error);
      for (const a of agents) {
        const { completed, failed } = report.perAgent.get(a.id)!;
        expect(Object.keys(completed).filter((k) => k !== 'invalid-code')).toEqual([]);
        const checked = completed['invalid-code'] ?? 0;
        // Every completed wrong code is counted. A call that failed may still have committed
        // (its reply was lost with the connection), so it may or may not be counted.
        const status = await tf.status(a.id); // loads and checks the record: not half-written
        expect(status.failures).toBeGreaterThanOrEqual(checked);
        expect(status.failures).toBeLessThanOrEqual(checked + failed);
        expect(await tf.verifyTotp(a.id, totp(a.secret, { at: T1 }))).toEqual({ ok: true, method: 'totp' });
      }
    });

    describe('and the conformance kit passes on the same pool afterwards', () => {
      for (const t of storageConformance(() => storage, { agentPrefix: `after-${run}` })) it(t.name, t.run);
    });
  });
});
