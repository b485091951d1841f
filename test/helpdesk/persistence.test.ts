/**
 * The demo on a database (PGlite in memory here, as `npm run demo` has it in `.data/`; and a
 * PostgreSQL server, as with DATABASE_URL, when TWOFOLD_PG_URL is set): a
 * restart keeps the org settings and an agent's TOTP set-up (the same secret signs in, the
 * used code stays used), signs everyone out, and seeds the accounts on the first start only.
 * The keys file is made once, readable by its owner only, and read back the same.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { loadKeys, randomKeys, type Db, type DemoKeys } from '../../examples/helpdesk/database.js';
import { Agent, app, recoveryCodesOf, restartHelpdesk, shownSecret, useHelpdesk } from './_client.js';

type Opened = Db & { close(): Promise<void> };

/**
 * PGlite in memory always; with TWOFOLD_PG_URL, a real PostgreSQL server too, in a schema of
 * its own (emptied first) so the storage tests' tables on the same database are not touched.
 */
const BACKENDS: [string, () => Promise<Opened>][] = [['PGlite', async () => PGlite.create()]];
const pgUrl = process.env.TWOFOLD_PG_URL;
if (pgUrl) {
  BACKENDS.push([
    'PostgreSQL',
    async () => {
      const setup = new pg.Client({ connectionString: pgUrl });
      await setup.connect();
      await setup.query('DROP SCHEMA IF EXISTS helpdesk_persistence_test CASCADE');
      await setup.query('CREATE SCHEMA helpdesk_persistence_test');
      await setup.end();
      const pool = new pg.Pool({ connectionString: pgUrl, options: '-c search_path=helpdesk_persistence_test' });
      return { query: (text, values) => pool.query(text, values), close: () => pool.end() };
    },
  ]);
}

// A PGlite start (WASM) takes seconds on a loaded 2-core machine: give hooks and tests room.
describe.each(BACKENDS)('the demo on %s, across a restart', { timeout: 60_000 }, (_name, open) => {
  let db: Opened;
  const options = { database: { db: undefined as unknown as Db, keys: undefined as unknown as DemoKeys } };

  beforeEach(async () => {
    db = await open();
    options.database.db = db;
    options.database.keys = randomKeys();
  }, 60_000);
  useHelpdesk(options);
  afterEach(async () => {
    await db.close();
  });

  it('keeps the settings and a TOTP set-up: signed out, then in with the same secret; the used code stays used', async () => {
    const ada = new Agent();
    expect((await ada.password('ada@acme.test')).location).toBe('/');
    await ada.get('/admin/auth');
    const saved = await ada.post('/admin/auth', { totp: 'on', requireAll: 'on', grace: 'none' });
    expect(saved.status).toBe(303);
    expect(app.helpdesk.store.settings).toMatchObject({ totp: true, email: false, requireAll: true });

    const ann = new Agent();
    expect((await ann.password('ann@acme.test')).location).toBe('/login/setup');
    const secret = shownSecret((await ann.get('/login/setup')).body);
    const setupCode = totp(secret);
    expect((await ann.post('/login/totp', { code: setupCode })).location).toBe('/recovery-codes');
    expect(recoveryCodesOf((await ann.get('/recovery-codes')).body)).toHaveLength(10);
    expect(await ann.signedIn()).toBe(true);

    await restartHelpdesk(options);

    expect(await ann.signedIn()).toBe(false); // sessions are in memory
    expect(app.helpdesk.store.settings).toMatchObject({ totp: true, email: false, requireAll: true });
    expect((await app.helpdesk.twoFactor.status('ann')).enrolled).toContain('totp');
    expect((await ann.password('ann@acme.test')).location).toBe('/login/verify');
    await ann.get('/login/verify');
    expect((await ann.post('/login/totp', { code: setupCode })).location).toMatch(/^\/login\/verify/); // replay, remembered
    // The app's next code (within twofold's window of one step ahead): the same secret, decrypted with the same key.
    expect((await ann.post('/login/totp', { code: totp(secret, { at: Date.now() + 30_000 }) })).location).toBe('/');
    expect(await ann.signedIn()).toBe(true);
  });

  it('seeds the demo accounts on the first start only', async () => {
    const before = (await db.query('SELECT id, salt FROM helpdesk_accounts ORDER BY id')).rows;
    expect(before).toHaveLength(6);
    await restartHelpdesk(options);
    expect((await db.query('SELECT id, salt FROM helpdesk_accounts ORDER BY id')).rows).toEqual(before);
    expect(app.helpdesk.store.accounts().map((a) => a.id)).toEqual(['ada', 'ann', 'bob', 'cho', 'dev', 'eve']);
  });

  it('reads a grace period back as it was saved: a Date, or a number of days', async () => {
    const until = new Date('2030-01-02T00:00:00Z');
    await app.helpdesk.store.saveSettings({ totp: true, email: true, requireAll: true, gracePeriod: { until } });
    await restartHelpdesk(options);
    expect(app.helpdesk.store.settings).toEqual({ totp: true, email: true, requireAll: true, gracePeriod: { until } });
    await app.helpdesk.store.saveSettings({ totp: false, email: true, requireAll: true, gracePeriod: { days: 7 } });
    await restartHelpdesk(options);
    expect(app.helpdesk.store.settings).toEqual({ totp: false, email: true, requireAll: true, gracePeriod: { days: 7 } });
  });
});

describe('the keys file', () => {
  it('is made on the first start with mode 0600, and read back the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helpdesk-keys-'));
    try {
      const first = loadKeys(dir);
      expect(statSync(join(dir, 'keys.json')).mode & 0o777).toBe(0o600);
      const again = loadKeys(dir);
      expect(again.pepper.equals(first.pepper)).toBe(true);
      expect(again.cipherKey.key.equals(first.cipherKey.key)).toBe(true);
      expect(again.cipherKey.id).toBe(first.cipherKey.id);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
