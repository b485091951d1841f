/**
 * Recovery codes after they are made: twofold returns them once, and the demo keeps them in
 * the server-side session for their one display (`/recovery-codes`), with Copy and one
 * Download. Never in a URL, a form or a cookie, never in the log. They leave the session at
 * the download, at a second look at the page, or when the agent goes to any other page (app.ts
 * drops them before every other route): after that they cannot be read again, only replaced.
 */
import type { TwoFactor } from '../../src/index.js';
import { send, type Session } from './http.js';
import type { Kit, Route } from './kit.js';
import * as views from './recovery-views.js';

/** The routes that may see the codes in the session; every other route drops them first. */
export function keepsRecoveryCodes(method: string, path: string): boolean {
  return method === 'GET' && (path === views.RECOVERY_CODES_PATH || path === views.RECOVERY_DOWNLOAD_PATH);
}

/**
 * Makes a new set of recovery codes (replacing any earlier ones) and keeps them in `session`
 * for their one display, after which Continue goes to `next`. Needs a recent check: right after
 * a set-up, a sign-in or a step-up. The refusal (`not-enrolled`, `not-verified`) is returned.
 */
export async function makeRecoveryCodes(twoFactor: TwoFactor, session: Session, agentId: string, next: string) {
  const result = await twoFactor.generateRecoveryCodes(agentId, { sessionVerified: true });
  if (result.ok) session.recoveryCodes = { codes: [...result.codes], shown: false, next };
  return result;
}

/**
 * After a set-up (at login or in Preferences): new codes unless the agent still has usable
 * ones (adding a second method keeps the codes already saved). Where to go next: the codes
 * page, or `next` when no codes were made.
 */
export async function codesAfterSetup(twoFactor: TwoFactor, session: Session, agentId: string, next: string): Promise<string> {
  const current = (await twoFactor.status(agentId)).recoveryCodes;
  if (current?.usable && current.remaining > 0) return next;
  const made = await makeRecoveryCodes(twoFactor, session, agentId, next);
  return made.ok ? views.RECOVERY_CODES_PATH : next;
}

export function recoveryRoutes({ frame, show }: Kit): Route[] {
  return [
    ['GET', /^\/recovery-codes$/, 'agent', (c) => {
      const kept = c.session.recoveryCodes;
      if (!kept || kept.shown) {
        delete c.session.recoveryCodes; // a reload: shown once is shown
        return show(c, views.recoveryCodesGonePage(frame(c)));
      }
      kept.shown = true; // still in the session, for one download while the page is open
      show(c, views.recoveryCodesPage(frame(c), kept));
    }],

    ['GET', /^\/recovery-codes\/download$/, 'agent', (c) => {
      const kept = c.session.recoveryCodes;
      delete c.session.recoveryCodes;
      if (!kept) return show(c, views.recoveryCodesGonePage(frame(c)), 410);
      const file = views.recoveryCodesFile(c.user!, kept.codes, new Date());
      send(c.res, 200, file, 'text/plain; charset=utf-8', {
        'Content-Disposition': `attachment; filename="${views.RECOVERY_FILE_NAME}"`,
      });
    }],
  ];
}
