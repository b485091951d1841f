/**
 * A {@link TwoFactorStorage} on PostgreSQL, with the `pg` driver: one row per agent, and a
 * compare-and-set that is a single conditional statement, so it holds across any number of
 * app servers sharing the database. Copy it into your app; twofold itself has no dependency on
 * `pg`. Tested against a real server in test/storage/postgres.test.ts.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * await pool.query(PG_SCHEMA);
 * const twoFactor = createTwoFactor({ storage: pgStorage(pool), issuer: 'Acme Help', settings });
 * ```
 */
import type { AgentRecord, RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/index.js';

/**
 * The table. `record` is `jsonb` (it reorders keys, which twofold never depends on).
 * `version` only ever grows, so a version never comes back for the same agent (no ABA) as
 * long as rows are not deleted and re-created; `admin.remove` keeps the row.
 */
export const PG_SCHEMA = `
CREATE TABLE IF NOT EXISTS twofold_agent (
  agent_id text   PRIMARY KEY,
  record   jsonb  NOT NULL,
  version  bigint NOT NULL
)`;

/** What the adapter needs of `pg`: a `Pool` (recommended) or a connected `Client`. */
export interface PgQueryable {
  query(text: string, values: unknown[]): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }>;
}

/**
 * twofold's storage port on a PostgreSQL table created with {@link PG_SCHEMA}.
 *
 * - `load` is one `SELECT`: record and version come from the same row version.
 * - `save(…, null)` is `INSERT … ON CONFLICT DO NOTHING`: of concurrent creates exactly one
 *   inserts a row; the others see `rowCount` 0, which is a lost race, not an error.
 * - `save(…, expected)` is `UPDATE … WHERE version = $expected`: PostgreSQL re-checks the
 *   condition on the latest row version after waiting for a concurrent writer's row lock
 *   (READ COMMITTED's EvalPlanQual), so of concurrent saves on one version exactly one updates.
 * - Any driver error (connection lost, timeout) is thrown; the service reports it as
 *   `STORAGE_FAILED`. Each statement is its own transaction, so it commits whole or not at all.
 *
 * @param db A `pg.Pool` or connected `pg.Client`.
 * @param table The table name, default `twofold_agent` (a trusted identifier, not user input).
 */
export function pgStorage(db: PgQueryable, table = 'twofold_agent'): TwoFactorStorage {
  if (!/^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/.test(table)) {
    throw new TypeError(`"table" expected a plain SQL identifier, got ${JSON.stringify(table)}`);
  }
  return {
    async load(agentId: string): Promise<StoredRecord | null> {
      const { rows } = await db.query(`SELECT record, version FROM ${table} WHERE agent_id = $1`, [agentId]);
      const row = rows[0];
      // pg parses jsonb into a fresh object per query (the caller's copy) and returns bigint as
      // a string, which twofold only compares for equality.
      return row === undefined ? null : { record: row.record as AgentRecord, version: String(row.version) };
    },

    async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
      // Serialized here, so later changes to `record` by the caller cannot reach the database.
      const json = JSON.stringify(record);
      const result =
        expected === null
          ? await db.query(
              `INSERT INTO ${table} (agent_id, record, version) VALUES ($1, $2::jsonb, 1)
               ON CONFLICT (agent_id) DO NOTHING`,
              [agentId, json],
            )
          : await db.query(
              `UPDATE ${table} SET record = $2::jsonb, version = version + 1
               WHERE agent_id = $1 AND version = $3::bigint`,
              [agentId, json, String(expected)],
            );
      return result.rowCount === 1;
    },
  };
}
