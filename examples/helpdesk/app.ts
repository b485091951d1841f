/**
 * The helpdesk's routes. Each calls twofold where docs/login-flow.md says and renders a page
 * from views.ts. Read it top to bottom: login, preferences, admin, outbox, then the dispatcher.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { validateSettings, type Method, type PolicySettings, type TwoFactor } from '../../src/index.js';
import { csrfOk, fromThisMachine, readForm, redirect, send, Sessions, type Flash, type Session } from './http.js';
import { emailCheckRefusal, emailSendRefusal, formatDate, totpRefusal } from './messages.js';
import { Store, type Account } from './store.js';
import { loginStep, PENDING_LOGIN_TTL_MS, wireTwoFactor, type LoginStep, type PendingLogin } from './twofactor.js';
import * as views from './views.js';

interface Ctx {
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

const STYLE = readFileSync(new URL('style.css', import.meta.url), 'utf8');

/**
 * Who may use a route: anyone, a login past its password, a signed-in agent, an admin, or
 * anyone in a browser on the machine the demo runs on (`local`: the outbox).
 */
type Access = 'public' | 'login' | 'agent' | 'admin' | 'local';

export interface Helpdesk {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  store: Store;
  /** The app's twofold service: tests use it to change an agent's 2FA as an admin would. */
  twoFactor: TwoFactor;
  /** The stored sessions (`sessions.size`). */
  sessions: Sessions;
}

export async function createHelpdesk(options: { log?: (line: string) => void } = {}): Promise<Helpdesk> {
  const log = options.log ?? ((line: string) => console.log(line));
  const store = await Store.seeded();
  const { twoFactor, outbox } = wireTwoFactor(store, log);
  const sessions = new Sessions();

  function frame(c: Ctx): views.Frame {
    const { flash } = c.session;
    delete c.session.flash;
    // A page that renders a form asks for the token, and that stores the session (and sets its
    // cookie): a page without a form leaves a visitor without a session.
    const csrf = () => {
      sessions.keep(c.session, c.res);
      return c.session.csrf;
    };
    return { csrf, ...(c.user && { account: c.user }), ...(flash && { flash }) };
  }
  const show = (c: Ctx, page: string, status = 200) => send(c.res, status, page);
  function flashTo(c: Ctx, location: string, text: string, kind: Flash['kind'] = 'error'): void {
    c.session.flash = { kind, text };
    sessions.keep(c.session, c.res);
    redirect(c.res, location);
  }
  const pick = (methods: Method[], wanted: string | null): Method => methods.find((m) => m === wanted) ?? methods[0]!;

  // ---- login: password, then whatever the policy decides -----------------------------------

  /** Asks the policy what this login needs (unless `step` already says), and goes there. */
  async function followPolicy(c: Ctx, account: Account, step?: LoginStep): Promise<void> {
    step ??= loginStep(await twoFactor.policy(account.id));
    if (step.kind === 'sign-in') {
      const tip = 'Tip: protect your account with two-factor authentication, under Security.';
      return signIn(c, account, { flash: step.optionalSetup ? { kind: 'notice', text: tip } : undefined });
    }
    // A login that changes course keeps its start: the time limit is for the whole login.
    const startedAt = c.session.login?.startedAt ?? Date.now();
    c.session.login = { ...step, accountId: account.id, startedAt, emailSent: false };
    redirect(c.res, step.kind === 'setup' ? '/login/setup' : '/login/verify');
  }

  /**
   * Whether the decision kept in the session still holds. An admin may have changed the
   * settings or the agent's 2FA since the password step (say, set TOTP up for them): then the
   * login must not act on the old decision, e.g. confirm a set-up where it should only verify.
   * When it changed, this has gone through followPolicy with the new one: the handler returns.
   */
  async function decisionHolds(c: Ctx): Promise<boolean> {
    const { login, account } = c.pending!;
    const step = loginStep(await twoFactor.policy(account.id));
    if (step.kind === login.kind && sameMethods(step.methods, login.methods)) return true;
    await followPolicy(c, account, step);
    return false;
  }

  function signIn(c: Ctx, account: Account, extra: { flash?: Flash | undefined; skippedUntil?: Date } = {}): void {
    const session = sessions.renew(c.session, c.res);
    c.session = session;
    session.accountId = account.id;
    if (extra.skippedUntil) session.skippedUntil = extra.skippedUntil;
    if (extra.flash) session.flash = extra.flash;
    redirect(c.res, '/');
  }

  const loginPath = (login: PendingLogin, method: Method) => `/login/${login.kind}?method=${method}`;

  const routes: [string, RegExp, Access, (c: Ctx) => Promise<void> | void][] = [
    ['GET', /^\/login$/, 'public', (c) => (c.user ? redirect(c.res, '/') : show(c, views.loginPage(frame(c))))],

    ['POST', /^\/login$/, 'public', async (c) => {
      const account = await store.checkPassword(c.form.email ?? '', c.form.password ?? '');
      if (!account) return show(c, views.loginPage(frame(c), { email: c.form.email ?? '', error: 'Wrong email or password.' }), 401);
      c.session = sessions.renew(c.session, c.res); // not signed in yet: only "password ok" is remembered
      await followPolicy(c, account);
    }],

    ['GET', /^\/login\/setup$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (login.kind !== 'setup') return redirect(c.res, '/login/verify');
      const method = pick(login.methods, c.url.searchParams.get('method'));
      if (method === 'email') return show(c, views.loginSetupPage(frame(c), { login, account, method }));
      // A refresh returns the same secret, so a QR code already scanned stays good.
      const totp = await twoFactor.beginTotpSetup(account.id, { account: account.email });
      if (!totp.ok) return followPolicy(c, account); // set up meanwhile, or switched off
      show(c, views.loginSetupPage(frame(c), { login, account, method, totp }));
    }],

    ['GET', /^\/login\/verify$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (login.kind !== 'verify') return redirect(c.res, '/login/setup');
      show(c, views.loginVerifyPage(frame(c), { login, account, method: pick(login.methods, c.url.searchParams.get('method')) }));
    }],

    ['POST', /^\/login\/totp$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (!login.methods.includes('totp')) return redirect(c.res, loginPath(login, login.methods[0]!));
      // Set-up at login only when the decision was next: 'setup'; with 'verify', only verify.
      const code = c.form.code ?? '';
      const result = login.kind === 'verify' ? await twoFactor.verifyTotp(account.id, code) : await twoFactor.confirmTotpSetup(account.id, code);
      if (result.ok) return signIn(c, account);
      const message = totpRefusal(result);
      if (message === undefined) return followPolicy(c, account);
      flashTo(c, loginPath(login, 'totp'), message);
    }],

    ['POST', /^\/login\/email\/send$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (!login.methods.includes('email')) return redirect(c.res, loginPath(login, login.methods[0]!));
      // `to` is always the account's address, never one typed into the login form.
      const result = await twoFactor.sendEmailCode(account.id, { to: account.email });
      if (result.ok) {
        login.emailSent = true;
        return flashTo(c, loginPath(login, 'email'), `We sent a code to ${account.email}. It works until ${formatDate(result.expiresAt)}.`, 'notice');
      }
      const message = emailSendRefusal(result);
      if (message === undefined) return followPolicy(c, account);
      // A code sent a moment ago (say, before a page reload) still works: show its form.
      if (result.reason === 'cooldown') login.emailSent = (await twoFactor.status(account.id)).emailCode !== null;
      flashTo(c, loginPath(login, 'email'), message);
    }],

    ['POST', /^\/login\/email$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (!login.methods.includes('email')) return redirect(c.res, loginPath(login, login.methods[0]!));
      const result = await twoFactor.verifyEmailCode(account.id, c.form.code ?? '');
      if (result.ok) return signIn(c, account); // purpose 'setup' also enrolled the address
      const message = emailCheckRefusal(result);
      if (message === undefined) return followPolicy(c, account);
      flashTo(c, loginPath(login, 'email'), message);
    }],

    ['POST', /^\/login\/skip$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { account } = c.pending!;
      const result = await twoFactor.skipSetup(account.id);
      // Remembered in this session only: the next login asks again.
      if (result.ok) return signIn(c, account, { skippedUntil: result.until });
      await followPolicy(c, account); // the grace period ended meanwhile
    }],

    ['POST', /^\/logout$/, 'public', (c) => {
      c.session = sessions.renew(c.session, c.res);
      flashTo(c, '/login', 'You are signed out.', 'notice');
    }],

    ['GET', /^\/$/, 'agent', (c) => show(c, views.homePage(frame(c), { ...(c.session.skippedUntil && { skippedUntil: c.session.skippedUntil }) }))],

    // ---- preferences: the agent's own 2FA ----------------------------------------------------

    ['GET', /^\/preferences\/security$/, 'agent', async (c) => {
      const status = await twoFactor.status(c.user!.id); // status(), not policy(): no grace clock starts here
      show(c, views.securityPage(frame(c), { status, totpOn: store.settings.totp, emailOn: store.settings.email }));
    }],

    ['GET', /^\/preferences\/security\/totp$/, 'agent', async (c) => {
      // Signed in means this session passed 2FA (or the agent had none): it may add a method.
      const setup = await twoFactor.beginTotpSetup(c.user!.id, { account: c.user!.email, sessionVerified: true });
      if (setup.ok) return show(c, views.securityTotpPage(frame(c), setup));
      const text = setup.reason === 'already-enrolled' ? 'Your authenticator app is already set up.' : 'Authenticator apps are switched off.';
      flashTo(c, '/preferences/security', text, 'notice');
    }],

    ['POST', /^\/preferences\/security\/totp$/, 'agent', async (c) => {
      const result = await twoFactor.confirmTotpSetup(c.user!.id, c.form.code ?? '');
      if (result.ok) return flashTo(c, '/preferences/security', 'Your authenticator app is on. You will be asked for a code when you sign in.', 'notice');
      const message = totpRefusal(result);
      if (message === undefined) return redirect(c.res, '/preferences/security');
      flashTo(c, '/preferences/security/totp', message);
    }],

    // ---- admin: Auth & SSO, agent profiles ---------------------------------------------------

    ['GET', /^\/admin$/, 'admin', (c) => redirect(c.res, '/admin/agents')],

    ['GET', /^\/admin\/auth$/, 'admin', (c) => {
      const form = authForm(store.settings);
      show(c, views.adminAuthPage(frame(c), { form, problems: [], pastDate: isPast(store.settings) }));
    }],

    ['POST', /^\/admin\/auth$/, 'admin', (c) => {
      const form = authFormFrom(c.form);
      const settings = settingsFrom(form);
      const problems = validateSettings(settings);
      if (problems.length > 0) return show(c, views.adminAuthPage(frame(c), { form, problems, pastDate: false }), 400);
      store.settings = settings;
      flashTo(c, '/admin/auth', 'Saved. The settings apply from each agent’s next login.', 'notice');
    }],

    ['GET', /^\/admin\/agents$/, 'admin', async (c) => {
      const rows = await Promise.all(store.accounts().map(async (account) => ({ account, status: await twoFactor.status(account.id) })));
      show(c, views.adminAgentsPage(frame(c), rows));
    }],

    ['GET', /^\/admin\/agents\/([a-z]+)$/, 'admin', async (c) => {
      const account = store.account(c.id)!;
      show(c, views.adminAgentPage(frame(c), { account, status: await twoFactor.status(account.id), totpOn: store.settings.totp }));
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/enforce$/, 'admin', async (c) => {
      const { enforced } = await twoFactor.admin.setEnforced(c.id, c.form.enforce === 'on');
      const text = enforced ? 'Enforce 2FA is on: set-up is required at their next login, with no grace period.' : 'Enforce 2FA is off.';
      flashTo(c, `/admin/agents/${c.id}`, text, 'notice');
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/totp$/, 'admin', async (c) => {
      const account = store.account(c.id)!;
      const setup = await twoFactor.admin.provisionTotp(account.id, { account: account.email });
      if (setup.ok) return show(c, views.adminProvisionPage(frame(c), { account, setup }));
      const text = setup.reason === 'already-enrolled' ? 'This agent already has an authenticator app. Remove it first.' : 'Switch TOTP on in Auth & SSO first.';
      flashTo(c, `/admin/agents/${c.id}`, text);
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/remove$/, 'admin', async (c) => {
      const { removed } = await twoFactor.admin.remove(c.id);
      const text = removed.length > 0 ? '2FA removed. You or the agent can set it up again.' : 'There was no 2FA to remove.';
      flashTo(c, `/admin/agents/${c.id}`, text, 'notice');
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/unlock$/, 'admin', async (c) => {
      await twoFactor.admin.unlock(c.id);
      flashTo(c, `/admin/agents/${c.id}`, 'Unlocked: the agent can enter a code again.', 'notice');
    }],

    // ---- the demo's outbox ---------------------------------------------------------------------

    // Every code ever sent, so only for a browser on the machine the demo runs on.
    ['GET', /^\/outbox$/, 'local', (c) => show(c, views.outboxPage(frame(c), outbox.sent))],
  ];

  // ---- the dispatcher --------------------------------------------------------------------------

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/style.css') return send(res, 200, STYLE, 'text/css; charset=utf-8');
    const c: Ctx = { req, res, url, session: sessions.for(req), form: {}, id: '' };
    const fail = (status: number, title: string, text: string) => show(c, views.errorPage(frame(c), title, text), status);
    const onPath = routes.filter(([, path]) => path.test(url.pathname));
    const route = onPath.find(([method]) => method === req.method);
    if (!route) return onPath.length > 0 ? fail(405, 'Not allowed', 'That does not work here.') : fail(404, 'Not found', 'There is no such page.');
    const [method, path, access, handler] = route;
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
        delete c.session.login;
        return flashTo(c, '/login', 'Your sign-in took too long or was finished. Please sign in again.');
      }
      c.pending = { login, account };
    }
    await handler(c);
  }

  return { handle, store, twoFactor, sessions };
}

function sameMethods(a: readonly Method[], b: readonly Method[]): boolean {
  return a.length === b.length && a.every((m) => b.includes(m));
}

// ---- the Auth & SSO form <-> the settings twofold reads ---------------------------------------

const DAY_MS = 86_400_000;

function authForm(s: PolicySettings): views.AuthForm {
  const g = s.gracePeriod;
  return {
    totp: s.totp,
    email: s.email,
    requireAll: s.requireAll,
    grace: !g ? 'none' : g.until ? 'until' : 'days',
    // `until` is the midnight after the last day agents may skip.
    graceUntil: g?.until ? new Date(g.until.getTime() - DAY_MS).toISOString().slice(0, 10) : '',
    graceDays: g?.days === undefined ? '' : String(g.days),
  };
}

function authFormFrom(form: Record<string, string>): views.AuthForm {
  const grace = form.grace === 'until' || form.grace === 'days' ? form.grace : 'none';
  return {
    totp: form.totp === 'on',
    email: form.email === 'on',
    requireAll: form.requireAll === 'on',
    grace,
    graceUntil: form.graceUntil ?? '',
    graceDays: form.graceDays ?? '',
  };
}

/** The settings as typed: a bad date or number stays bad here, for validateSettings to report. */
function settingsFrom(f: views.AuthForm): PolicySettings {
  const base = { totp: f.totp, email: f.email, requireAll: f.requireAll };
  if (f.grace === 'until') {
    const day = Date.parse(`${f.graceUntil}T00:00:00Z`);
    // Only a real calendar day: Date.parse rolls 2026-02-31 over into March.
    const real = /^\d{4}-\d{2}-\d{2}$/.test(f.graceUntil) && new Date(day).toISOString().slice(0, 10) === f.graceUntil;
    return { ...base, gracePeriod: { until: new Date(real ? day + DAY_MS : Number.NaN) } };
  }
  if (f.grace === 'days') return { ...base, gracePeriod: { days: f.graceDays.trim() === '' ? Number.NaN : Number(f.graceDays) } };
  return base;
}

function isPast(s: PolicySettings): boolean {
  return s.gracePeriod?.until !== undefined && s.gracePeriod.until.getTime() <= Date.now();
}
