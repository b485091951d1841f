/**
 * The login's routes: the password, then whatever twofold's policy decides (docs/login-flow.md),
 * and sign-out. Each step after the password asks `policy()` again and follows a changed
 * decision. A refusal the policy does not explain is shown as a message on a page: following
 * the policy happens once, so no answer from twofold can send the browser round in a loop.
 */
import type { Method } from '../../src/index.js';
import { redirect, type Flash } from './http.js';
import { pick, sameMethods, type Ctx, type Kit, type Route } from './kit.js';
import {
  emailCheckRefusal,
  emailSendRefusal,
  formatDate,
  NO_PENDING_SETUP,
  policyMayExplain,
  recoveryLeftText,
  recoveryRefusal,
  setupRefusal,
  SUSPENDED,
  totpRefusal,
} from './messages.js';
import { codesAfterSetup } from './recovery.js';
import { loginRecoveryPage } from './recovery-views.js';
import type { Account } from './store.js';
import { loginStep, type LoginStep, type PendingLogin } from './twofactor.js';
import * as views from './views.js';

export function loginRoutes(kit: Kit): Route[] {
  const { twoFactor, store, sessions, frame, show, flashTo } = kit;

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
   * When it still holds, its details are refreshed (a suspension, the end of the grace period);
   * when it changed, this has gone through followPolicy with the new one: the handler returns.
   */
  async function decisionHolds(c: Ctx): Promise<boolean> {
    const { login, account } = c.pending!;
    const step = loginStep(await twoFactor.policy(account.id));
    if (step.kind !== 'sign-in' && step.kind === login.kind && sameMethods(step.methods, login.methods)) {
      const { accountId, startedAt, emailSent } = login;
      c.session.login = c.pending!.login = { ...step, accountId, startedAt, emailSent };
      return true;
    }
    await followPolicy(c, account, step);
    return false;
  }

  /**
   * After twofold refused: when the refusal may come from a changed decision (a method switched
   * off or set up meanwhile) and the policy now says something else, follow it; otherwise say
   * why on `location`, a page that shows the message rather than calling twofold again.
   */
  async function afterRefusal(c: Ctx, reason: string, text: string, location: string): Promise<void> {
    if (policyMayExplain(reason) && !(await decisionHolds(c))) return;
    flashTo(c, location, text);
  }

  /**
   * `afterSetup`: 2FA was just set up at this login, so recovery codes are made (unless the
   * agent still has some) and shown once before the tickets.
   */
  async function signIn(c: Ctx, account: Account, extra: { flash?: Flash | undefined; skippedUntil?: Date; afterSetup?: boolean } = {}): Promise<void> {
    // A new session: the old one, with the pending login and its set-up token, is dropped.
    const session = sessions.renew(c.session, c.res, 'authenticated');
    c.session = session;
    session.accountId = account.id;
    if (extra.skippedUntil) session.skippedUntil = extra.skippedUntil;
    if (extra.flash) session.flash = extra.flash;
    if (!extra.afterSetup) return redirect(c.res, '/');
    session.flash = { kind: 'notice', text: 'Two-factor authentication is on.' };
    redirect(c.res, await codesAfterSetup(twoFactor, session, account.id, '/'));
  }

  const loginPath = (login: PendingLogin, method: Method) => `/login/${login.kind}?method=${method}`;

  return [
    ['GET', /^\/login$/, 'public', (c) => (c.user ? redirect(c.res, '/') : show(c, views.loginPage(frame(c))))],

    ['POST', /^\/login$/, 'public', async (c) => {
      const account = await store.checkPassword(c.form.email ?? '', c.form.password ?? '');
      if (!account) return show(c, views.loginPage(frame(c), { email: c.form.email ?? '', error: 'Wrong email or password.' }), 401);
      // Not signed in yet: only "password ok" is remembered, in the pool anonymous visitors cannot flood.
      c.session = sessions.renew(c.session, c.res, 'authenticated');
      await followPolicy(c, account);
    }],

    ['GET', /^\/login\/setup$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (login.kind !== 'setup') return redirect(c.res, '/login/verify');
      const method = pick(login.methods, c.url.searchParams.get('method'));
      if (method === 'email') return show(c, views.loginSetupPage(frame(c), { login, account, method }));
      // With this session's token, a refresh returns the same secret: a QR code already scanned stays good.
      const totp = await twoFactor.beginTotpSetup(account.id, { account: account.email, setupToken: c.session.totpSetupToken });
      if (totp.ok) {
        c.session.totpSetupToken = totp.setupToken;
        return show(c, views.loginSetupPage(frame(c), { login, account, method, totp }));
      }
      if (policyMayExplain(totp.reason) && !(await decisionHolds(c))) return;
      // Said on this page, not by a redirect: this page again would ask again, in a loop.
      const page = { ...frame(c), flash: { kind: 'error', text: setupRefusal(totp) } as const };
      show(c, views.loginSetupPage(page, { login, account, method }));
    }],

    ['GET', /^\/login\/verify$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (login.kind !== 'verify') return redirect(c.res, '/login/setup');
      const method = pick(login.methods, c.url.searchParams.get('method'));
      // Suspended: no code can help until an admin unlocks, so the page says that and asks for none.
      const f = login.suspended ? { ...frame(c), flash: { kind: 'error', text: SUSPENDED } as const } : frame(c);
      show(c, views.loginVerifyPage(f, { login, account, method }));
    }],

    ['POST', /^\/login\/totp$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (!login.methods.includes('totp')) return redirect(c.res, loginPath(login, login.methods[0]!));
      const code = c.form.code ?? '';
      // Set-up at login only when the decision was next: 'setup'; with 'verify', only verify.
      if (login.kind === 'verify') {
        const result = await twoFactor.verifyTotp(account.id, code);
        if (result.ok) return signIn(c, account);
        return afterRefusal(c, result.reason, totpRefusal(result), loginPath(login, 'totp'));
      }
      const setupToken = c.session.totpSetupToken;
      if (!setupToken) return flashTo(c, loginPath(login, 'totp'), NO_PENDING_SETUP); // no set-up page seen in this session
      const result = await twoFactor.confirmTotpSetup(account.id, code, { setupToken });
      if (result.ok) return signIn(c, account, { afterSetup: true });
      // An expired or replaced set-up: the set-up page begins a new one, with a new code to scan.
      return afterRefusal(c, result.reason, totpRefusal(result), loginPath(login, 'totp'));
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
      // A code sent a moment ago (say, before a page reload) still works: show its form.
      if (result.reason === 'cooldown') login.emailSent = (await twoFactor.status(account.id)).emailCode !== null;
      return afterRefusal(c, result.reason, emailSendRefusal(result), loginPath(login, 'email'));
    }],

    ['POST', /^\/login\/email$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (!login.methods.includes('email')) return redirect(c.res, loginPath(login, login.methods[0]!));
      const result = await twoFactor.verifyEmailCode(account.id, c.form.code ?? '');
      // Purpose 'setup' also enrolled the address: then recovery codes follow.
      if (result.ok) return signIn(c, account, { afterSetup: result.purpose === 'setup' });
      return afterRefusal(c, result.reason, emailCheckRefusal(result), loginPath(login, 'email'));
    }],

    // A recovery code, in place of a two-factor code; it also lifts a suspension.
    ['GET', /^\/login\/recovery$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      if (c.pending!.login.kind !== 'verify') return redirect(c.res, '/login/setup');
      show(c, loginRecoveryPage(frame(c)));
    }],

    ['POST', /^\/login\/recovery$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { login, account } = c.pending!;
      if (login.kind !== 'verify') return redirect(c.res, '/login/setup');
      const result = await twoFactor.verifyRecoveryCode(account.id, c.form.code ?? '');
      if (result.ok) return signIn(c, account, { flash: { kind: 'notice', text: recoveryLeftText(result.remaining) } });
      flashTo(c, '/login/recovery', recoveryRefusal(result));
    }],

    ['POST', /^\/login\/skip$/, 'login', async (c) => {
      if (!(await decisionHolds(c))) return;
      const { account } = c.pending!;
      const result = await twoFactor.skipSetup(account.id);
      // Remembered in this session only: the next login asks again.
      if (result.ok) return signIn(c, account, { skippedUntil: result.until });
      // The grace period ended meanwhile: the set-up page, without its Skip button now.
      c.session.flash = { kind: 'error', text: 'Skipping is no longer possible: set up two-factor authentication to sign in.' };
      await followPolicy(c, account);
    }],

    ['POST', /^\/logout$/, 'public', (c) => {
      c.session = sessions.renew(c.session, c.res, 'anonymous');
      flashTo(c, '/login', 'You are signed out.', 'notice');
    }],
  ];
}
