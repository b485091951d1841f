/**
 * The helpdesk's own data, which twofold knows nothing about: accounts with passwords, and
 * the organization's 2FA settings as the admin saved them. twofold only ever sees an agent id,
 * an email address and the settings.
 *
 * `Store.open(db)` keeps them in the database (tables `helpdesk_accounts` and
 * `helpdesk_settings`, next to twofold's records): the demo accounts are seeded on the first
 * start only, and a saved setting is written through before the admin is told "Saved".
 * `Store.seeded()` keeps them in memory (`--memory`, the HTTP tests). Either way the store reads
 * from memory, loaded at start: the accounts never change while the demo runs.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { PolicySettings } from '../../src/index.js';
import type { Db } from './database.js';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export interface Account {
  /** The id twofold stores the agent's 2FA record under. */
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'agent';
}

interface StoredAccount extends Account {
  salt: Buffer;
  passwordHash: Buffer;
}

/** The password every seeded account has, printed at start-up. */
export const DEMO_PASSWORD = 'demo';

const SEED: readonly Account[] = [
  { id: 'ada', name: 'Ada Admin', email: 'ada@acme.test', role: 'admin' },
  { id: 'ann', name: 'Ann Agent', email: 'ann@acme.test', role: 'agent' },
  { id: 'bob', name: 'Bob Agent', email: 'bob@acme.test', role: 'agent' },
  { id: 'cho', name: 'Cho Agent', email: 'cho@acme.test', role: 'agent' },
  { id: 'dev', name: 'Dev Agent', email: 'dev@acme.test', role: 'agent' },
  { id: 'eve', name: 'Eve Agent', email: 'eve@acme.test', role: 'agent' },
];

const DEFAULT_SETTINGS: PolicySettings = { totp: true, email: true, requireAll: false };

async function hash(password: string, salt: Buffer): Promise<Buffer> {
  return scryptAsync(password, salt, 32);
}

async function seedAccounts(): Promise<StoredAccount[]> {
  return Promise.all(
    SEED.map(async (account) => {
      const salt = randomBytes(16);
      return { ...account, salt, passwordHash: await hash(DEMO_PASSWORD, salt) };
    }),
  );
}

const DDL = [
  `CREATE TABLE IF NOT EXISTS helpdesk_accounts (
     id text PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE,
     role text NOT NULL CHECK (role IN ('admin', 'agent')), salt text NOT NULL, password_hash text NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS helpdesk_settings (id integer PRIMARY KEY CHECK (id = 1), settings jsonb NOT NULL)`,
];

interface AccountRow {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'agent';
  salt: string;
  password_hash: string;
}

export class Store {
  readonly #accounts = new Map<string, StoredAccount>();
  /** Compared against when the email is unknown, so both cases take the same time. */
  #dummy: StoredAccount | undefined;
  #settings: PolicySettings = DEFAULT_SETTINGS;
  /** Writes the settings to the database; absent in memory. */
  readonly #db: Db | undefined;

  private constructor(db?: Db) {
    this.#db = db;
  }

  /** In memory: the demo accounts and the default settings, gone when the process ends. */
  static async seeded(): Promise<Store> {
    const store = new Store();
    await store.#load(await seedAccounts());
    return store;
  }

  /**
   * In the database: creates the tables if missing, seeds the demo accounts and the default
   * settings when there are none yet (the first start), then loads both.
   */
  static async open(db: Db): Promise<Store> {
    for (const statement of DDL) await db.query(statement, []);
    const found = (await db.query('SELECT count(*)::int AS n FROM helpdesk_accounts', [])).rows[0] as { n: number };
    if (found.n === 0) {
      for (const a of await seedAccounts()) {
        await db.query(
          'INSERT INTO helpdesk_accounts (id, name, email, role, salt, password_hash) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
          [a.id, a.name, a.email, a.role, a.salt.toString('hex'), a.passwordHash.toString('hex')],
        );
      }
    }
    await db.query('INSERT INTO helpdesk_settings (id, settings) VALUES (1, $1::jsonb) ON CONFLICT (id) DO NOTHING', [toJson(DEFAULT_SETTINGS)]);
    const rows = (await db.query('SELECT id, name, email, role, salt, password_hash FROM helpdesk_accounts ORDER BY id', [])).rows as AccountRow[];
    const settingsRow = (await db.query('SELECT settings FROM helpdesk_settings WHERE id = 1', [])).rows[0] as { settings: unknown };
    const store = new Store(db);
    const accounts = rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      role: r.role,
      salt: Buffer.from(r.salt, 'hex'),
      passwordHash: Buffer.from(r.password_hash, 'hex'),
    }));
    // Keep the seed's order (admin first), as the start-up banner and the admin list show it.
    accounts.sort((a, b) => seedIndex(a.id) - seedIndex(b.id));
    await store.#load(accounts, fromJson(settingsRow.settings));
    return store;
  }

  async #load(accounts: StoredAccount[], settings: PolicySettings = DEFAULT_SETTINGS): Promise<void> {
    for (const account of accounts) this.#accounts.set(account.id, account);
    this.#settings = settings;
    const salt = randomBytes(16);
    this.#dummy = { id: '', name: '', email: '', role: 'agent', salt, passwordHash: await hash(randomBytes(16).toString('hex'), salt) };
  }

  /**
   * The organization's 2FA settings. twofold reads them through `settings: () => store.settings`
   * at every call, so an admin's change applies to the next login.
   */
  get settings(): PolicySettings {
    return this.#settings;
  }

  /** Saves the admin's settings (to the database first, when there is one). */
  async saveSettings(settings: PolicySettings): Promise<void> {
    if (this.#db) await this.#db.query('UPDATE helpdesk_settings SET settings = $1::jsonb WHERE id = 1', [toJson(settings)]);
    this.#settings = settings;
  }

  accounts(): Account[] {
    return [...this.#accounts.values()].map(_public);
  }

  account(id: string): Account | undefined {
    const a = this.#accounts.get(id);
    return a && _public(a);
  }

  /** The account for this email and password, or undefined (same answer and timing for both mistakes). */
  async checkPassword(email: string, password: string): Promise<Account | undefined> {
    const wanted = email.trim().toLowerCase();
    const found = [...this.#accounts.values()].find((a) => a.email === wanted);
    const against = found ?? this.#dummy!;
    const ok = timingSafeEqual(await hash(password, against.salt), against.passwordHash);
    return ok && found ? _public(found) : undefined;
  }
}

function seedIndex(id: string): number {
  const i = SEED.findIndex((a) => a.id === id);
  return i === -1 ? SEED.length : i;
}

/** The settings as JSON: a grace period's `until` becomes an ISO string. */
function toJson(settings: PolicySettings): string {
  return JSON.stringify(settings);
}

/** The settings read back from jsonb: `until` is a Date again. */
function fromJson(value: unknown): PolicySettings {
  const s = (typeof value === 'string' ? JSON.parse(value) : value) as {
    totp: boolean;
    email: boolean;
    requireAll: boolean;
    gracePeriod?: { until?: string; days?: number } | null;
  };
  const g = s.gracePeriod;
  const gracePeriod = g == null ? g : g.until !== undefined ? { until: new Date(g.until) } : { days: g.days! };
  return { totp: s.totp, email: s.email, requireAll: s.requireAll, ...(gracePeriod !== undefined && { gracePeriod }) };
}

function _public({ id, name, email, role }: StoredAccount): Account {
  return { id, name, email, role };
}
