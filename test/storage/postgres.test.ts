/**
 * examples/storage/postgres.ts against a real PostgreSQL (TWOFOLD_PG_URL): the conformance
 * kit, then faults: the adapter's connection terminated while a statement waits on a lock
 * (deterministically mid-operation), and terminated over and over during a run of operations.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PG_SCHEMA, pgStorage } from '../../examples/storage/postgres.js';
import { manualClock } from '../../src/memory.js';
import { TwoFactorError, totp, type TwoFactor, type TwoFactorStorage } from '../../src/index.js';
import { storageConformance } from '../../src/testing/conformance.js';
import { STEP_MS, T0, TOTP_ONLY, createTwoFactor, wrongCode } from '../support/harness.js';
import { serverUrl } from './_env.js';
import { provisionForRun, runUnderKills } from './_faults.js';
import { ensurePgSchema, pgPool, runId } from './_servers.js';

const T1 = T0 + STEP_MS;

const url = serverUrl('postgres');


describe.runIf(url !== undefined)('PostgreSQL storage (examples/storage/postgres.ts)', { timeout: 60_000 }, () => {
  const run = runId();
  let pool: pg.Pool;

  beforeAll(async () => {
    pool = pgPool(url!, { application_name: `twofold-conformance-${run}` });
    await ensurePgSchema(pool);
  });
  afterAll(async () => {
    await pool?.end();
  });

  describe('passes the storage conformance kit', () => {
    for (const t of storageConformance(() => pgStorage(pool), { agentPrefix: `pg-${run}` })) it(t.name, t.run);
  });

  describe('passes it with 100 concurrent writers on a pool of 10 connections', () => {
    const races = storageConformance(() => pgStorage(pool), { agentPrefix: `pg100-${run}`, concurrency: 100 });
    for (const t of races.filter((c) => c.name.includes('concurrent'))) it(t.name, t.run);
  });

  it('stores the record as jsonb and a bigint version that grows by one per save', async () => {
    const storage = pgStorage(pool);
    const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock: manualClock(T0) });
    const id = `pg-${run}-row`;
    await tf.admin.provisionTotp(id, { account: 'a@example.com' });
    await tf.admin.setEnforced(id, true);
    const { rows } = await pool.query('SELECT record::text AS json, version FROM twofold_agent WHERE agent_id = $1', [id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].version).toBe('2');
    expect(JSON.parse(rows[0].json)).toEqual((await storage.load(id))!.record);
    expect(JSON.parse(rows[0].json).enforced).toBe(true);
  });

  it('refuses a table name that is not a plain identifier', () => {
    expect(() => pgStorage(pool, 'x; DROP TABLE y')).toThrow(TypeError);
  });

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
      await admin.query(PG_SCHEMA.replace('twofold_agent', table));
      victims = pgPool(url!, { max: 4, application_name: app });
      storage = pgStorage(victims, table);
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
