/**
 * Recovery codes in a real browser (Debian's Chromium through playwright-core), the eighth
 * scenario of the browser test: an agent sets up TOTP in Preferences, copies and downloads the
 * recovery codes shown once, is suspended by wrong codes (the test-only fast throttle) and
 * signs in with a recovery code, which lifts the suspension. Its own server, like every
 * scenario in helpdesk.e2e.ts.
 *
 * Run: `npm run test:e2e`. Without Chromium it says so and skips; with CI=true it fails.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { totp } from '../../src/index.js';
import { findChromium, flash, heading, inCi, shownSecret, signIn, signOut, submit } from './_harness.js';
import { enterCode, RECOVERY_CODES, runScenario, SUSPENDED, VERIFY, wrongCode, wrongCodesUntilSuspended, useChromium } from './_scenario.js';

const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  const message = `Chromium not found at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (inCi()) throw new Error(`${message}: the browser test cannot run in CI without it`);
  console.warn(`\nSKIPPING the recovery-code browser test: ${message}\n`);
}

const CODE = /^[A-Z2-7]{5}-[A-Z2-7]{5}$/;

describe.skipIf(chromiumPath === undefined)('recovery codes in Chromium', () => {
  const browser = useChromium(chromiumPath!);

  it('8. codes shown once (Copy, Download), then wrong codes until suspended: a recovery code signs the agent in and lifts the suspension', () =>
    runScenario(
      browser(),
      async ({ base, user }) => {
        const { context, page: agent } = await user();
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
        await signIn(agent, base, 'cho@acme.test');
        expect(await heading(agent)).toBe('Tickets'); // 2FA optional: straight in
        await agent.goto(`${base}/preferences/security`);
        await Promise.all([agent.waitForEvent('load'), agent.getByRole('link', { name: 'Set up an authenticator app' }).click()]);
        const secret = await shownSecret(agent);
        await enterCode(agent, 'Code from the app', totp(secret), 'Turn on');

        // The codes, shown once.
        expect(await heading(agent)).toBe(RECOVERY_CODES);
        expect(await flash(agent)).toContain('Your authenticator app is on');
        const codes = await agent.locator('#recovery-codes code').allTextContents();
        expect(codes).toHaveLength(10);
        for (const code of codes) expect(code).toMatch(CODE);

        // Copy: the external script (the CSP allows no inline one) shows the button and fills the clipboard.
        await agent.getByRole('button', { name: 'Copy' }).click();
        await expect.poll(() => agent.locator('#copy-status').textContent()).toContain('Copied');
        expect(await agent.evaluate('navigator.clipboard.readText()')).toBe(codes.join('\n'));

        // Download: a text file with the same codes; the page stays.
        const [download] = await Promise.all([agent.waitForEvent('download'), agent.getByRole('link', { name: 'Download' }).click()]);
        expect(download.suggestedFilename()).toBe('acme-help-recovery-codes.txt');
        const file = await readFile((await download.path())!, 'utf8');
        expect(file.split('\n').filter((l) => CODE.test(l))).toEqual(codes);
        expect(await heading(agent)).toBe(RECOVERY_CODES);

        // A reload shows them no more.
        await agent.reload();
        expect(await agent.locator('#recovery-codes').count()).toBe(0);
        expect(await agent.locator('main').innerText()).toContain('shown only once');
        await agent.goto(`${base}/preferences/security`);
        expect(await agent.locator('#recovery').innerText()).toMatch(/Recovery codes: 10 left, created .+UTC/);
        await signOut(agent);

        // Wrong codes until suspended (a lock of 1 ms may refuse one unread, so no exact count).
        await signIn(agent, base, 'cho@acme.test');
        expect(await heading(agent)).toBe(VERIFY);
        const messages = await wrongCodesUntilSuspended(agent, secret);
        expect(messages.at(-1)).toBe(SUSPENDED);
        expect(await agent.getByLabel('Code from your authenticator app').count()).toBe(0);

        // The way back without an admin: a recovery code, typed as people type it.
        await Promise.all([agent.waitForEvent('load'), agent.getByRole('link', { name: 'Use a recovery code' }).click()]);
        expect(await heading(agent)).toBe('Use a recovery code');
        await enterCode(agent, 'Recovery code', codes[0]!.toLowerCase(), 'Sign in');
        expect(await heading(agent)).toBe('Tickets');
        expect(await flash(agent)).toBe('Signed in with a recovery code. 9 recovery codes left.');
        expect(await agent.locator('footer').innerText()).toContain('signed in as Cho Agent');

        const admin = (await user()).page;
        await signIn(admin, base, 'ada@acme.test');
        await admin.goto(`${base}/admin/agents/cho`);
        expect(await admin.locator('#agent-lock').innerText()).toBe('Not locked');

        // The outbox lists the security notices, apart from code mails.
        await admin.goto(`${base}/outbox`);
        const notices = admin.locator('article.mail.notice[data-to="cho@acme.test"]');
        expect(await notices.count()).toBeGreaterThanOrEqual(3); // app set up, codes made, suspended, code used...
        expect(await notices.first().innerText()).toContain('Security notice');
        await submit(admin, 'Log out');
      },
      { fastThrottle: true },
    ));
});
