/**
 * Where the demo keeps its data (server.ts picks one):
 * - by default, PGlite (PostgreSQL compiled to WebAssembly, in this process) in a directory:
 *   `.data/` at the repository's root, or `DEMO_DATA_DIR`;
 * - with `DATABASE_URL`, a real PostgreSQL server (`pg`'s Pool);
 * - with `--memory`, nothing here: everything in memory, gone at exit (app.ts).
 *
 * The same database holds twofold's records (`twofold_agent`, made by `createTable`) and
 * the helpdesk's own accounts and settings (store.ts).
 *
 * The keys (the email pepper and the AES-GCM key for TOTP secrets) are in `keys.json` in the
 * data directory, made on the first start with mode 0600: records that outlive the process
 * need keys that do too, or a restart could not decrypt a secret. A real deployment takes
 * them from its secret store, never from a file next to the data (docs/security.md).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What twofold/postgres and the store need of a database: a pg Pool or Client, or a PGlite instance. */
export interface Db {
  query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
}

export interface Database {
  db: Db;
  /** Said at start-up: where the data is. */
  where: string;
  close(): Promise<void>;
}

/** `.data/` at the repository's root. */
export const DEFAULT_DATA_DIR = join(import.meta.dirname, '..', '..', '.data');

/** PGlite in `<dataDir>/pglite` (made if missing). */
export async function openPglite(dataDir: string): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = join(dataDir, 'pglite');
  mkdirSync(dir, { recursive: true });
  const pglite = await PGlite.create(dir);
  return { db: pglite, where: `PGlite in ${dir}`, close: () => pglite.close() };
}

/** A PostgreSQL server at `url` (postgres://user:password@host/db). */
export async function openPostgres(url: string): Promise<Database> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url });
  await pool.query('SELECT 1'); // fail at start, with the server's own words, not at the first login
  return { db: pool, where: `PostgreSQL at ${redact(url)}`, close: () => pool.end() };
}

/** The URL without its password, for the console. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

export interface DemoKeys {
  /** twofold's email pepper. */
  pepper: Buffer;
  /** The AES-GCM key that encrypts TOTP secrets, under its id. */
  cipherKey: { id: string; key: Buffer };
}

/** Fresh random keys, for the in-memory mode (nothing outlives the process). */
export function randomKeys(): DemoKeys {
  return { pepper: randomBytes(32), cipherKey: { id: 'demo', key: randomBytes(32) } };
}

/**
 * The keys in `<dataDir>/keys.json`: read, or made on the first start (mode 0600, only the
 * owner may read it). A file that does not parse stops the demo rather than being replaced:
 * new keys would make every stored secret unreadable.
 */
export function loadKeys(dataDir: string): DemoKeys {
  const file = join(dataDir, 'keys.json');
  mkdirSync(dataDir, { recursive: true });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const keys = randomKeys();
    const json = { pepper: keys.pepper.toString('base64'), cipherKey: { id: keys.cipherKey.id, key: keys.cipherKey.key.toString('base64') } };
    // 'wx': never overwrite a file another start made meanwhile.
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return keys;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const parsed = JSON.parse(text) as { pepper?: string; cipherKey?: { id?: string; key?: string } };
  const pepper = Buffer.from(parsed.pepper ?? '', 'base64');
  const key = Buffer.from(parsed.cipherKey?.key ?? '', 'base64');
  if (pepper.length !== 32 || key.length !== 32 || !parsed.cipherKey?.id) {
    throw new Error(`${file} does not hold the demo's keys (a 32-byte pepper and AES key, base64): fix or remove it (removing it makes stored TOTP secrets unreadable)`);
  }
  return { pepper, cipherKey: { id: parsed.cipherKey.id, key } };
}
