/**
 * The helpdesk's own data, which twofold knows nothing about: accounts with passwords, and
 * the organization's 2FA settings as the admin saved them. A real helpdesk keeps these in its
 * database; twofold only ever sees an agent id, an email address and the settings.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { PolicySettings } from '../../src/index.js';

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

async function hash(password: string, salt: Buffer): Promise<Buffer> {
  return scryptAsync(password, salt, 32);
}

export class Store {
  readonly #accounts = new Map<string, StoredAccount>();
  /** Compared against when the email is unknown, so both cases take the same time. */
  #dummy: StoredAccount | undefined;

  /**
   * The organization's 2FA settings. twofold reads them through `settings: () => store.settings`
   * at every call, so an admin's change applies to the next login.
   */
  settings: PolicySettings = { totp: true, email: true, requireAll: false };

  static async seeded(): Promise<Store> {
    const store = new Store();
    for (const account of SEED) {
      const salt = randomBytes(16);
      store.#accounts.set(account.id, { ...account, salt, passwordHash: await hash(DEMO_PASSWORD, salt) });
    }
    const salt = randomBytes(16);
    store.#dummy = { id: '', name: '', email: '', role: 'agent', salt, passwordHash: await hash(randomBytes(16).toString('hex'), salt) };
    return store;
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

function _public({ id, name, email, role }: StoredAccount): Account {
  return { id, name, email, role };
}
