/**
 * What every route module (login.ts, preferences.ts, admin.ts) works with: the request's
 * context, the route table's shape, and the few ways a route answers (a page, a message and a
 * redirect). app.ts builds one `Kit` and dispatches requests to the routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Method, TwoFactor } from '../../src/index.js';
import { redirect, send, type Flash, type Session, type Sessions } from './http.js';
import type { Account, Store } from './store.js';
import type { PendingLogin } from './twofactor.js';
import type * as views from './views.js';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  session: Session;
  form: Record<string, string>;
  /** The `:id` of an admin route. */
  id: string;
  /** The signed-in account (routes for agents and admins). */
  user?: Account;
  /** The login between password and second factor (routes under /login/). */
  pending?: { login: PendingLogin; account: Account };
}

/**
 * Who may use a route: anyone, a login past its password, a signed-in agent, an admin, or
 * anyone in a browser on the machine the demo runs on (`local`: the outbox).
 */
export type Access = 'public' | 'login' | 'agent' | 'admin' | 'local';

export type Route = [method: 'GET' | 'POST', path: RegExp, access: Access, handler: (c: Ctx) => Promise<void> | void];

export interface Kit {
  twoFactor: TwoFactor;
  store: Store;
  sessions: Sessions;
  /** What every page needs; takes the one-time message out of the session. */
  frame(c: Ctx): views.Frame;
  show(c: Ctx, page: string, status?: number): void;
  /** Redirects to `location`, which shows `text` once. */
  flashTo(c: Ctx, location: string, text: string, kind?: Flash['kind']): void;
}

export function makeKit(twoFactor: TwoFactor, store: Store, sessions: Sessions): Kit {
  return {
    twoFactor,
    store,
    sessions,
    frame(c) {
      const { flash } = c.session;
      delete c.session.flash;
      // A page that renders a form asks for the token, and that stores the session (and sets
      // its cookie): a page without a form leaves a visitor without a session.
      const csrf = () => {
        sessions.keep(c.session, c.res);
        return c.session.csrf;
      };
      return { csrf, ...(c.user && { account: c.user }), ...(flash && { flash }) };
    },
    show: (c, page, status = 200) => send(c.res, status, page),
    flashTo(c, location, text, kind = 'error') {
      c.session.flash = { kind, text };
      sessions.keep(c.session, c.res);
      redirect(c.res, location);
    },
  };
}

/** The method asked for in the query, if the login offers it; else the first one offered. */
export function pick(methods: readonly Method[], wanted: string | null): Method {
  return methods.find((m) => m === wanted) ?? methods[0]!;
}

export function sameMethods(a: readonly Method[], b: readonly Method[]): boolean {
  return a.length === b.length && a.every((m) => b.includes(m));
}
