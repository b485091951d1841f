/**
 * The helpdesk app: the twofold wiring, the routes (login.ts, preferences.ts, admin.ts and the
 * outbox here) and the dispatcher, which checks who may use a route before its handler runs.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TwoFactor, TwoFactorOptions } from '../../src/index.js';
import { MemoryStorage, type MemoryMailer } from '../../src/memory.js';
import { createTable, postgresStorage } from '../../src/postgres.js';
import { randomKeys, type Db, type DemoKeys } from './database.js';
import { adminRoutes } from './admin.js';
import { csrfOk, fromThisMachine, readForm, redirect, send, Sessions, type SessionLimits } from './http.js';
import { makeKit, type Ctx, type Route } from './kit.js';
import { loginRoutes } from './login.js';
import { preferencesRoutes } from './preferences.js';
import { keepsRecoveryCodes, recoveryRoutes } from './recovery.js';
import { Store } from './store.js';
import { PENDING_LOGIN_TTL_MS, wireTwoFactor } from './twofactor.js';
import * as views from './views.js';

const STYLE = readFileSync(new URL('style.css', import.meta.url), 'utf8');
/** The recovery codes page's Copy button: a file of its own, since the CSP allows no inline script. */
const COPY_SCRIPT = readFileSync(new URL('copy.js', import.meta.url), 'utf8');

export interface Helpdesk {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  store: Store;
  /** The app's twofold service: tests use it to change an agent's 2FA as an admin would. */
  twoFactor: TwoFactor;
  /** The stored sessions (`sessions.size`). */
  sessions: Sessions;
  /** Every email sent: codes and security notices (the Outbox page shows them). */
  outbox: MemoryMailer;
}

export interface HelpdeskOptions {
  /** Where mails and audit events go, one line each; default the console. */
  log?: (line: string) => void;
  /** twofold's throttle; default its own defaults. Tests (and `HELPDESK_FAST_THROTTLE=1`) make it quick. */
  throttle?: TwoFactorOptions['throttle'];
  /** Caps on the stored sessions, per pool; default 10,000 each. */
  sessions?: SessionLimits;
  /**
   * Where the accounts, settings and twofold records live: a database (PGlite or a `pg` Pool,
   * see database.ts) with the keys that go with its records; absent, everything in memory with
   * fresh keys. Sessions and the outbox are in memory either way.
   */
  database?: { db: Db; keys: DemoKeys };
}

export async function createHelpdesk(options: HelpdeskOptions = {}): Promise<Helpdesk> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { database } = options;
  if (database) await createTable(database.db);
  const store = database ? await Store.open(database.db) : await Store.seeded();
  const { twoFactor, outbox } = wireTwoFactor(store, log, {
    storage: database ? postgresStorage(database.db) : new MemoryStorage(),
    keys: database?.keys ?? randomKeys(),
    throttle: options.throttle,
  });
  const sessions = new Sessions(options.sessions);
  const kit = makeKit(twoFactor, store, sessions);
  const { frame, show, flashTo } = kit;

  const routes: Route[] = [
    ...loginRoutes(kit),
    ...preferencesRoutes(kit),
    ...recoveryRoutes(kit),
    ...adminRoutes(kit),
    // The demo's outbox: every code ever sent, so only for a browser on the machine the demo runs on.
    ['GET', /^\/outbox$/, 'local', (c) => show(c, views.outboxPage(frame(c), outbox.sent))],
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/style.css') return send(res, 200, STYLE, 'text/css; charset=utf-8');
    if (req.method === 'GET' && url.pathname === '/copy.js') return send(res, 200, COPY_SCRIPT, 'text/javascript; charset=utf-8');
    const c: Ctx = { req, res, url, session: sessions.for(req), form: {}, id: '' };
    const fail = (status: number, title: string, text: string) => show(c, views.errorPage(frame(c), title, text), status);
    const onPath = routes.filter(([, path]) => path.test(url.pathname));
    const route = onPath.find(([method]) => method === req.method);
    if (!route) return onPath.length > 0 ? fail(405, 'Not allowed', 'That does not work here.') : fail(404, 'Not found', 'There is no such page.');
    const [method, path, access, handler] = route;
    // New recovery codes are readable on their page and its download only: leaving it drops them.
    if (c.session.recoveryCodes && !keepsRecoveryCodes(method, url.pathname)) delete c.session.recoveryCodes;
    c.id = path.exec(url.pathname)![1] ?? '';
    if (access === 'local' && !fromThisMachine(req)) {
      return fail(403, 'This machine only', 'The outbox shows the code in every email, so it opens only in a browser on the machine the demo runs on (at localhost).');
    }

    if (method === 'POST') {
      const form = await readForm(req);
      if (!form || !csrfOk(c.session, form)) return fail(403, 'Form expired', 'This form has expired. Go back, reload the page and try again.');
      c.form = form;
    }
    if (c.session.accountId) c.user = store.account(c.session.accountId);
    if ((access === 'agent' || access === 'admin') && !c.user) return redirect(res, '/login');
    if (access === 'admin' && c.user!.role !== 'admin') return fail(403, 'Admins only', 'This page is for admins.');
    if (c.id && !store.account(c.id)) return fail(404, 'Not found', 'There is no such agent.');
    if (access === 'login') {
      const login = c.session.login;
      const account = login && store.account(login.accountId);
      if (!login || !account || Date.now() - login.startedAt > PENDING_LOGIN_TTL_MS) {
        // An expired login leaves the pool of those past the password, with its set-up token.
        if (login) c.session = sessions.renew(c.session, c.res, 'anonymous');
        return flashTo(c, '/login', 'Your sign-in took too long or was finished. Please sign in again.');
      }
      c.pending = { login, account };
    }
    await handler(c);
  }

  return { handle, store, twoFactor, sessions, outbox };
}
