/**
 * The admin's routes: Auth & SSO (the org's 2FA settings) and the agent profiles, where an
 * admin enforces 2FA, sets TOTP up for an agent, removes 2FA and unlocks a locked or
 * suspended agent.
 */
import { validateSettings, type PolicySettings } from '../../src/index.js';
import { redirect } from './http.js';
import type { Kit, Route } from './kit.js';
import * as views from './admin-views.js';

export function adminRoutes({ twoFactor, store, frame, show, flashTo }: Kit): Route[] {
  return [
    ['GET', /^\/admin$/, 'admin', (c) => redirect(c.res, '/admin/agents')],

    ['GET', /^\/admin\/auth$/, 'admin', (c) => {
      const form = authForm(store.settings);
      show(c, views.adminAuthPage(frame(c), { form, problems: [], pastDate: isPast(store.settings) }));
    }],

    ['POST', /^\/admin\/auth$/, 'admin', async (c) => {
      const form = authFormFrom(c.form);
      const settings = settingsFrom(form);
      const problems = validateSettings(settings);
      if (problems.length > 0) return show(c, views.adminAuthPage(frame(c), { form, problems, pastDate: false }), 400);
      await store.saveSettings(settings);
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
      const { enforced } = await twoFactor.admin.setEnforced(c.id, c.form.enforce === 'on', { by: c.user!.id });
      const text = enforced ? 'Enforce 2FA is on: set-up is required at their next login, with no grace period.' : 'Enforce 2FA is off.';
      flashTo(c, `/admin/agents/${c.id}`, text, 'notice');
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/totp$/, 'admin', async (c) => {
      const account = store.account(c.id)!;
      const setup = await twoFactor.admin.provisionTotp(account.id, { account: account.email, by: c.user!.id });
      if (setup.ok) return show(c, views.adminProvisionPage(frame(c), { account, setup }));
      const text = setup.reason === 'already-enrolled' ? 'This agent already has an authenticator app. Remove it first.' : 'Switch TOTP on in Auth & SSO first.';
      flashTo(c, `/admin/agents/${c.id}`, text);
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/remove$/, 'admin', async (c) => {
      const { removed } = await twoFactor.admin.remove(c.id, { by: c.user!.id });
      const text = removed.length > 0 ? '2FA removed. You or the agent can set it up again.' : 'There was no 2FA to remove.';
      flashTo(c, `/admin/agents/${c.id}`, text, 'notice');
    }],

    ['POST', /^\/admin\/agents\/([a-z]+)\/unlock$/, 'admin', async (c) => {
      const { wasSuspended } = await twoFactor.admin.unlock(c.id, { by: c.user!.id });
      const text = wasSuspended
        ? 'Unlocked: the suspension is lifted, and the agent can sign in with a code again.'
        : 'Unlocked: the agent can enter a code again.';
      flashTo(c, `/admin/agents/${c.id}`, text, 'notice');
    }],
  ];
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
