/**
 * The embedded default in a real browser (Debian's Chromium through playwright-core), the
 * ninth scenario of the browser test: the demo keeps its data in PGlite in its data directory
 * (DEMO_DATA_DIR, a fresh one per scenario), so after a restart on the same directory the
 * admin's settings still apply and an agent's TOTP set-up still works: the agent, signed
 * out by the restart (sessions are in memory), signs in with a code from the same secret, and
 * the set-up code stays used.
 *
 * Run: `npm run test:e2e`. Without Chromium it says so and skips; with CI=true it fails.
 */
import { describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { findChromium, flash, heading, inCi, saveAuthSettings, shownSecret, signIn } from './_harness.js';
import { continuePastRecoveryCodes, enterCode, RECOVERY_CODES, runScenario, SETUP, TOTP_FAILED, VERIFY, totpRequiredSetup, useChromium } from './_scenario.js';

const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  const message = `Chromium not found at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (inCi()) throw new Error(`${message}: the browser test cannot run in CI without it`);
  console.warn(`\nSKIPPING the restart browser test: ${message}\n`);
}

const step = (ms: number) => Math.floor(ms / 30_000);

describe.skipIf(chromiumPath === undefined)('the demo across a restart, in Chromium', () => {
  const browser = useChromium(chromiumPath!);

  it('9. TOTP required and set up, then the server restarts on the same data: the agent is signed out, and signs in with the next code of the same secret', () =>
    runScenario(browser(), async ({ base, user, restart }) => {
      const { admin, agent, secret } = await totpRequiredSetup(user, base, 'dev@acme.test');
      const setupAt = Date.now();
      const setupCode = totp(secret, { at: setupAt });
      await enterCode(agent, 'Code from the app', setupCode, 'Turn on');
      expect(await heading(agent)).toBe(RECOVERY_CODES);
      expect(await continuePastRecoveryCodes(agent)).toHaveLength(10);
      expect(await heading(agent)).toBe('Tickets');

      const after = await restart();
      expect(after).not.toBe(base); // a new server (a new port); the browsers keep their profiles

      // Sessions are in memory: the restart signed everyone out.
      await agent.goto(`${after}/`);
      expect(new URL(agent.url()).pathname).toBe('/login');

      // The org settings were saved in the database: another agent must still set TOTP up
      // (the demo's default settings would let her straight in).
      const eve = (await user()).page;
      await signIn(eve, after, 'eve@acme.test');
      expect(await heading(eve)).toBe(SETUP);
      expect(await eve.locator('main').innerText()).toContain('You need to set it up to sign in');

      // The set-up survived: verification (not set-up), and the set-up code stays used.
      await signIn(agent, after, 'dev@acme.test');
      expect(await heading(agent)).toBe(VERIFY);
      expect(await agent.locator('#totp-secret').count()).toBe(0);
      await enterCode(agent, 'Code from your authenticator app', setupCode, 'Sign in');
      expect(await heading(agent)).toBe(VERIFY);
      expect(await flash(agent)).toBe(TOTP_FAILED);

      // The app's next code, from the same secret: the stored secret decrypts with the kept key.
      while (step(Date.now()) <= step(setupAt)) await agent.waitForTimeout(250);
      await enterCode(agent, 'Code from your authenticator app', totp(secret), 'Sign in');
      expect(await heading(agent)).toBe('Tickets');
      expect(await agent.locator('footer').innerText()).toContain('signed in as Dev Agent');
    }));
});
