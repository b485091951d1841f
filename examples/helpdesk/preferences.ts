/**
 * The signed-in agent's pages: the tickets, and Preferences → Security with their own 2FA. Signed in means this session passed
 * 2FA (or the agent had none), so it may add a method: `sessionVerified: true`.
 */
import type { Kit, Route } from './kit.js';
import { homePage, securityPage, securityTotpPage } from './views.js';
import { NO_PENDING_SETUP, policyMayExplain, setupRefusal, totpRefusal } from './messages.js';

const SECURITY = '/preferences/security';
const TOTP_SETUP = '/preferences/security/totp';

export function preferencesRoutes({ twoFactor, store, frame, show, flashTo }: Kit): Route[] {
  return [
    ['GET', /^\/$/, 'agent', (c) => show(c, homePage(frame(c), { ...(c.session.skippedUntil && { skippedUntil: c.session.skippedUntil }) }))],

    ['GET', /^\/preferences\/security$/, 'agent', async (c) => {
      const status = await twoFactor.status(c.user!.id); // status(), not policy(): no grace clock starts here
      show(c, securityPage(frame(c), { status, totpOn: store.settings.totp, emailOn: store.settings.email }));
    }],

    ['GET', /^\/preferences\/security\/totp$/, 'agent', async (c) => {
      // This session's token: a refresh shows the same secret; without one, a fresh set-up.
      const setup = await twoFactor.beginTotpSetup(c.user!.id, {
        account: c.user!.email,
        sessionVerified: true,
        setupToken: c.session.totpSetupToken,
      });
      if (setup.ok) {
        c.session.totpSetupToken = setup.setupToken;
        return show(c, securityTotpPage(frame(c), setup));
      }
      flashTo(c, SECURITY, setupRefusal(setup), setup.reason === 'already-enrolled' ? 'notice' : 'error');
    }],

    ['POST', /^\/preferences\/security\/totp$/, 'agent', async (c) => {
      const setupToken = c.session.totpSetupToken;
      if (!setupToken) return flashTo(c, TOTP_SETUP, NO_PENDING_SETUP); // no set-up page seen in this session
      const result = await twoFactor.confirmTotpSetup(c.user!.id, c.form.code ?? '', { setupToken });
      if (result.ok) {
        delete c.session.totpSetupToken;
        return flashTo(c, SECURITY, 'Your authenticator app is on. You will be asked for a code when you sign in.', 'notice');
      }
      // A wrong code, or an expired or replaced set-up: the set-up page again (with a new code
      // to scan for the latter). Anything else (suspended, switched off, set up meanwhile): the
      // Security page, which says so without calling set-up again.
      const back = policyMayExplain(result.reason) || result.reason === 'suspended';
      if (back) delete c.session.totpSetupToken;
      flashTo(c, back ? SECURITY : TOTP_SETUP, totpRefusal(result));
    }],
  ];
}
