/**
 * The signed-in agent's pages: the tickets, and Preferences → Security with their own 2FA and
 * recovery codes. Signed in means this session passed 2FA (or the agent had none), so it may
 * make changes: `sessionVerified: true`. twofold also wants the agent's last successful check
 * within 10 minutes for those; when it is older (`not-verified`), the step-up page asks for a
 * fresh code first, then goes on with the change.
 */
import type { Method } from '../../src/index.js';
import type { Ctx, Kit, Route } from './kit.js';
import { pick } from './kit.js';
import { homePage, securityPage, securityTotpPage } from './views.js';
import {
  emailCheckRefusal,
  emailSendRefusal,
  FEW_RECOVERY_CODES,
  formatDate,
  NO_PENDING_SETUP,
  policyMayExplain,
  setupRefusal,
  STEP_UP,
  totpRefusal,
} from './messages.js';
import { codesAfterSetup, makeRecoveryCodes } from './recovery.js';
import { RECOVERY_CODES_PATH, stepUpPage } from './recovery-views.js';

const SECURITY = '/preferences/security';
const TOTP_SETUP = '/preferences/security/totp';
const STEP_UP_PATH = '/preferences/security/confirm';

const STEP_UP_PURPOSE = { 'recovery-codes': 'make new recovery codes', 'totp-setup': 'add an authenticator app' } as const;

export function preferencesRoutes({ twoFactor, store, frame, show, flashTo }: Kit): Route[] {
  /** New codes, then their one display; asks for a fresh code first when the last check is too old. */
  async function newCodes(c: Ctx): Promise<void> {
    const made = await makeRecoveryCodes(twoFactor, c.session, c.user!.id, SECURITY);
    if (made.ok) return flashTo(c, RECOVERY_CODES_PATH, 'New recovery codes: the earlier ones no longer work.', 'notice');
    if (made.reason === 'not-verified') return stepUp(c, 'recovery-codes');
    flashTo(c, SECURITY, 'Set up an authenticator app or email codes first.');
  }

  function stepUp(c: Ctx, purpose: keyof typeof STEP_UP_PURPOSE): void {
    c.session.stepUpFor = purpose;
    flashTo(c, STEP_UP_PATH, STEP_UP, 'notice');
  }

  /** The fresh code was right: on with what the step-up was for. */
  async function afterStepUp(c: Ctx): Promise<void> {
    const purpose = c.session.stepUpFor;
    delete c.session.stepUpFor;
    if (purpose === 'totp-setup') return flashTo(c, TOTP_SETUP, 'Confirmed. Now scan the code with your app.', 'notice');
    return newCodes(c);
  }

  /** The methods a step-up can use: those enrolled and switched on. */
  async function stepUpMethods(agentId: string): Promise<Method[]> {
    const { enrolled } = await twoFactor.status(agentId);
    return enrolled.filter((m) => store.settings[m]);
  }

  const stepUpBack = (c: Ctx, method: Method, text: string, kind: 'notice' | 'error' = 'error') =>
    flashTo(c, `${STEP_UP_PATH}?method=${method}`, text, kind);

  return [
    ['GET', /^\/$/, 'agent', async (c) => {
      const codes = (await twoFactor.status(c.user!.id)).recoveryCodes;
      const few = codes && codes.remaining <= FEW_RECOVERY_CODES ? codes.remaining : undefined;
      show(c, homePage(frame(c), { ...(c.session.skippedUntil && { skippedUntil: c.session.skippedUntil }), ...(few !== undefined && { fewRecoveryCodes: few }) }));
    }],

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
      // Email is on and the last code is older than 10 minutes: a fresh one first.
      if (setup.reason === 'not-verified') return stepUp(c, 'totp-setup');
      flashTo(c, SECURITY, setupRefusal(setup), setup.reason === 'already-enrolled' ? 'notice' : 'error');
    }],

    ['POST', /^\/preferences\/security\/totp$/, 'agent', async (c) => {
      const setupToken = c.session.totpSetupToken;
      if (!setupToken) return flashTo(c, TOTP_SETUP, NO_PENDING_SETUP); // no set-up page seen in this session
      const result = await twoFactor.confirmTotpSetup(c.user!.id, c.form.code ?? '', { setupToken });
      if (result.ok) {
        delete c.session.totpSetupToken;
        // Recovery codes next (unless the agent still has some), shown once, then Security.
        const next = await codesAfterSetup(twoFactor, c.session, c.user!.id, SECURITY);
        return flashTo(c, next, 'Your authenticator app is on. You will be asked for a code when you sign in.', 'notice');
      }
      // A wrong code, or an expired or replaced set-up: the set-up page again (with a new code
      // to scan for the latter). Anything else (suspended, switched off, set up meanwhile): the
      // Security page, which says so without calling set-up again.
      const back = policyMayExplain(result.reason) || result.reason === 'suspended';
      if (back) delete c.session.totpSetupToken;
      flashTo(c, back ? SECURITY : TOTP_SETUP, totpRefusal(result));
    }],

    ['POST', /^\/preferences\/security\/recovery$/, 'agent', (c) => newCodes(c)],

    ['GET', /^\/preferences\/security\/confirm$/, 'agent', async (c) => {
      const purpose = c.session.stepUpFor;
      const methods = await stepUpMethods(c.user!.id);
      if (!purpose || methods.length === 0) return flashTo(c, SECURITY, 'Nothing is waiting for a code.', 'notice');
      const status = await twoFactor.status(c.user!.id);
      show(c, stepUpPage(frame(c), {
        methods,
        method: pick(methods, c.url.searchParams.get('method')),
        account: c.user!,
        emailSent: status.emailCode?.purpose === 'login',
        purpose: STEP_UP_PURPOSE[purpose],
        lastVerifiedAt: status.lastVerifiedAt,
      }));
    }],

    ['POST', /^\/preferences\/security\/confirm\/totp$/, 'agent', async (c) => {
      const result = await twoFactor.verifyTotp(c.user!.id, c.form.code ?? '');
      if (result.ok) return afterStepUp(c);
      stepUpBack(c, 'totp', totpRefusal(result));
    }],

    ['POST', /^\/preferences\/security\/confirm\/email\/send$/, 'agent', async (c) => {
      // To the enrolled address: this is a sign-in code, not a set-up.
      const result = await twoFactor.sendEmailCode(c.user!.id, {});
      if (result.ok) return stepUpBack(c, 'email', `We sent a code to ${c.user!.email}. It works until ${formatDate(result.expiresAt)}.`, 'notice');
      stepUpBack(c, 'email', emailSendRefusal(result));
    }],

    ['POST', /^\/preferences\/security\/confirm\/email$/, 'agent', async (c) => {
      const result = await twoFactor.verifyEmailCode(c.user!.id, c.form.code ?? '');
      if (result.ok) return afterStepUp(c);
      stepUpBack(c, 'email', emailCheckRefusal(result));
    }],
  ];
}
