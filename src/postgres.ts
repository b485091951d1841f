/**
 * `twofold/postgres`: a {@link TwoFactorStorage} on PostgreSQL. One row per agent (a `jsonb`
 * document and a `bigint` version), and a compare-and-set that is a single conditional
 * statement, so it holds across any number of app servers sharing the database.
 *
 * It needs nothing but a `query(text, values)` method, so it runs on a `pg` `Pool` or `Client`
 * and on a PGlite instance alike; twofold imports no driver and has no peer dependency for it.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createTwoFactor } from 'twofold';
 * import { createTable, postgresStorage } from 'twofold/postgres';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * pool.on('error', () => {}); // an idle connection that dies must not crash the process
 * await createTable(pool);
 * const twoFactor = createTwoFactor({ storage: postgresStorage(pool), issuer: 'Acme Help', settings });
 * ```
 * @module twofold/postgres
 */
import type { AgentRecord } from './record/schema.js';
import type { RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';

export type { AgentRecord } from './record/schema.js';
export type { RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';

/**
 * What the adapter needs of a database client: one method that runs a parameterized statement
 * (`$1`, `$2`, ...) and resolves to its rows. A `pg` `Pool` (recommended) or connected
 * `Client`, and a PGlite instance, have it as they are.
 */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

/** Options of {@link postgresStorage} and {@link createTable}. */
export interface PostgresStorageOptions {
  /**
   * The table: a lowercase SQL identifier (`^[a-z_][a-z0-9_]{0,62}$`), optionally prefixed by
   * a schema that follows the same rule (`auth.twofold_agent`). It is double-quoted in every
   * statement; any other name throws a `TypeError`. Default `twofold_agent`.
   */
  table?: string;
}

/** The default table name. */
export const DEFAULT_TABLE = 'twofold_agent';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The table name, checked and double-quoted (`"schema"."table"`). Throws a `TypeError` for
 * anything else; the message does not repeat the input, which may come from anywhere.
 */
function _quotedTable(options: PostgresStorageOptions | undefined): string {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('"options" expected an object');
  }
  const table = options?.table ?? DEFAULT_TABLE;
  if (typeof table !== 'string') throw new TypeError('"table" expected a string');
  const parts = table.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new TypeError(
      '"table" expected a lowercase SQL identifier (^[a-z_][a-z0-9_]{0,62}$), optionally prefixed by "schema."',
    );
  }
  return parts.map((part) => `"${part}"`).join('.');
}

function _db(db: unknown): PostgresQueryable {
  if (db === null || typeof db !== 'object' || typeof (db as { query?: unknown }).query !== 'function') {
    throw new TypeError('"db" expected an object with a query(text, values) method (a pg Pool or Client, or PGlite)');
  }
  return db as PostgresQueryable;
}

function _rows(result: unknown): Array<Record<string, unknown>> {
  const rows = (result as { rows?: unknown } | null | undefined)?.rows;
  if (!Array.isArray(rows)) throw new Error('the database client resolved a query without a rows array');
  return rows as Array<Record<string, unknown>>;
}

/**
 * Creates the table if it does not exist (idempotent; run it at start-up or in a migration):
 *
 * ```text
 * CREATE TABLE IF NOT EXISTS "twofold_agent" (
 *   agent_id text   PRIMARY KEY,
 *   record   jsonb  NOT NULL,
 *   version  bigint NOT NULL
 * )
 * ```
 *
 * `record` is `jsonb` (it reorders keys, which twofold never depends on). `version` only ever
 * grows, so a version never comes back for the same agent (no ABA) as long as rows are not
 * deleted and re-created; `admin.remove` keeps the row. A schema in the name must exist.
 *
 * Two processes creating the table at the same moment can collide in PostgreSQL's catalog
 * (a unique violation although both said `IF NOT EXISTS`); the loser runs the statement once
 * more, which then finds the table.
 */
export async function createTable(db: PostgresQueryable, options?: PostgresStorageOptions): Promise<void> {
  const client = _db(db);
  const ddl = `CREATE TABLE IF NOT EXISTS ${_quotedTable(options)} (
  agent_id text   PRIMARY KEY,
  record   jsonb  NOT NULL,
  version  bigint NOT NULL
)`;
  try {
    await client.query(ddl);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== '23505' && code !== '42P07') throw error;
    await client.query(ddl);
  }
}

/**
 * twofold's storage port on a PostgreSQL table created with {@link createTable}.
 *
 * - `load` is one `SELECT`: record and version come from the same row version.
 * - `save(…, null)` is `INSERT … ON CONFLICT DO NOTHING RETURNING version`: of concurrent
 *   creates exactly one inserts a row (a second insert of the same key waits for the first to
 *   commit, then does nothing); the others get no row back, which is a lost race, not an error.
 * - `save(…, expected)` is `UPDATE … WHERE agent_id = $1 AND version = $2 RETURNING version`:
 *   of concurrent updates on one row the first takes the row lock, and PostgreSQL re-checks
 *   the others' condition on the row as committed once they get it (READ COMMITTED), finds
 *   the new version and updates nothing. So of concurrent saves on one version exactly one
 *   updates.
 * - Both decide from their `RETURNING` rows, not from a row count (PGlite reports none for
 *   every statement, and drivers differ).
 * - Any driver error (connection lost, timeout) is thrown; the service reports it as
 *   `STORAGE_FAILED`. Each statement is its own transaction, so it commits whole or not at
 *   all. Do not call it inside a transaction of your own that you may roll back.
 * - The record is serialized before the query and parsed per row, so no object is shared
 *   with the caller. `pg` returns `bigint` as a string and PGlite as a number; twofold only
 *   compares versions for equality, and the adapter hands them out as strings.
 *
 * Use a `pg.Pool`: a bare `pg.Client` works too, but one connection serializes all queries
 * (and pg 8 deprecates queuing concurrent queries on a client).
 *
 * @param db A `pg` `Pool` or connected `Client`, a PGlite instance, or anything with the same
 *   `query(text, values)`.
 */
export function postgresStorage(db: PostgresQueryable, options?: PostgresStorageOptions): TwoFactorStorage {
  const client = _db(db);
  const table = _quotedTable(options);
  const selectSql = `SELECT record, version FROM ${table} WHERE agent_id = $1`;
  const insertSql = `INSERT INTO ${table} (agent_id, record, version) VALUES ($1, $2::jsonb, 1)
ON CONFLICT (agent_id) DO NOTHING RETURNING version`;
  const updateSql = `UPDATE ${table} SET record = $3::jsonb, version = version + 1
WHERE agent_id = $1 AND version = $2::bigint RETURNING version`;
  return {
    async load(agentId: string): Promise<StoredRecord | null> {
      const row = _rows(await client.query(selectSql, [agentId]))[0];
      if (row === undefined) return null;
      // pg and PGlite parse jsonb into a fresh object per query (the caller's copy); a client
      // that returns it as text gets it parsed here.
      const record = typeof row['record'] === 'string' ? (JSON.parse(row['record']) as unknown) : row['record'];
      return { record: record as AgentRecord, version: String(row['version']) };
    },

    async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
      // Serialized here, so later changes to `record` by the caller cannot reach the database.
      const json = JSON.stringify(record);
      const result =
        expected === null
          ? await client.query(insertSql, [agentId, json])
          : await client.query(updateSql, [agentId, String(expected), json]);
      return _rows(result).length === 1;
    },
  };
}
