/**
 * The helpdesk demo in a real browser (Debian's Chromium through playwright-core): the six
 * scenarios of the demo issue, and a seventh where an agent is suspended and an admin unlocks
 * (the eighth, a recovery code that lifts a suspension, is in recovery.e2e.ts). A set-up now
 * shows the new recovery codes once, which the scenarios pass with Continue. Each starts its own server, so no scenario sees another's settings. Real clock: TOTP codes
 * are computed with twofold's `totp` from the secret shown on the page, the way an
 * authenticator app computes them.
 *
 * Run: `npm run test:e2e`. Without Chromium it says so and skips; with CI=true it fails.
 */
import jsQRModule from 'jsqr';
import { describe, expect, it } from 'vitest';
import { parseKeyUri, totp } from '../../src/index.js';
import { findChromium, flash, heading, inCi, saveAuthSettings, shownSecret, signIn, signOut, submit, utcDay } from './_harness.js';
import {
  codeFromOutbox,
  continuePastRecoveryCodes,
  enterCode,
  RECOVERY_CODES,
  runScenario,
  SETUP,
  SUSPENDED,
  TOTP_FAILED,
  totpRequiredSetup,
  useChromium,
  VERIFY,
  wrongCode,
  wrongCodesUntilSuspended,
  type ScenarioRun,
} from './_scenario.js';

// jsqr is a UMD bundle whose typings say `export default`; take the function either way.
type JsQr = typeof import('jsqr').default;
const jsQR: JsQr = ((jsQRModule as unknown as { default?: JsQr }).default ?? jsQRModule) as JsQr;

const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  const message = `Chromium not found at ${process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (inCi()) throw new Error(`${message}: the browser test cannot run in CI without it`);
  console.warn(`\nSKIPPING the browser test: ${message}\n`);
}

const step = (ms: number) => Math.floor(ms / 30_000);

describe.skipIf(chromiumPath === undefined).concurrent('helpdesk demo in Chromium', () => {
  const browser = useChromium(chromiumPath!);

  /** A fresh server per scenario (`fastThrottle`: the demo's test-only throttle); see runScenario. */
  const scenario = (run: ScenarioRun, options: { fastThrottle?: boolean } = {}) => runScenario(browser(), run, options);

  it('1. require 2FA with a grace period ending tomorrow: the agent is offered set-up, skips, is in', () =>
    scenario(async ({ base, user }) => {
      const admin = (await user()).page;
      await signIn(admin, base, 'ada@acme.test');
      expect(await heading(admin)).toBe('Tickets');
      const tomorrow = utcDay(1);
      await saveAuthSettings(admin, base, { totp: true, email: true, requireAll: true, graceUntil: tomorrow });

      const agent = (await user()).page;
      await signIn(agent, base, 'ann@acme.test');
      expect(await heading(agent)).toBe(SETUP);
      expect(await agent.locator('main').innerText()).toContain('You can skip this until');
      // The grace ends at the midnight (UTC) after the last day the admin chose.
      const endsAt = new Date(Date.parse(`${tomorrow}T00:00:00Z`) + 86_400_000).toISOString();
      expect(await agent.locator('main p time').first().getAttribute('datetime')).toBe(endsAt);

      await submit(agent, 'Skip for now');
      expect(await heading(agent)).toBe('Tickets');
      expect(await agent.locator('main').innerText()).toContain('You skipped setting up two-factor authentication');
      expect(await agent.locator('footer').innerText()).toContain('signed in as Ann Agent');
    }));

  it('2. grace period set to yesterday: the agent must set up TOTP, then logs in with a fresh code; the same code again is refused', () =>
    scenario(async ({ base, user }) => {
      const admin = (await user()).page;
      await signIn(admin, base, 'ada@acme.test');
      await saveAuthSettings(admin, base, { totp: true, email: false, requireAll: true, graceUntil: utcDay(-1) });

      const agent = (await user()).page;
      await signIn(agent, base, 'ann@acme.test');
      expect(await heading(agent)).toBe(SETUP);
      expect(await agent.locator('main').innerText()).toContain('You need to set it up to sign in');
      expect(await agent.getByRole('button', { name: 'Skip for now' }).count()).toBe(0);

      const secret = await shownSecret(agent);
      const setupAt = Date.now();
      await enterCode(agent, 'Code from the app', totp(secret, { at: setupAt }), 'Turn on');
      expect(await heading(agent)).toBe(RECOVERY_CODES); // shown once, then the tickets
      expect(await continuePastRecoveryCodes(agent)).toHaveLength(10);
      expect(await heading(agent)).toBe('Tickets');
      await signOut(agent);

      await signIn(agent, base, 'ann@acme.test');
      expect(await heading(agent)).toBe(VERIFY);
      expect(await agent.locator('#totp-secret').count()).toBe(0); // verification only, never set-up
      // A fresh code: the app's next one (the set-up code's step is used up).
      while (step(Date.now()) <= step(setupAt)) await agent.waitForTimeout(250);
      const fresh = totp(secret);
      await enterCode(agent, 'Code from your authenticator app', fresh, 'Sign in');
      expect(await heading(agent)).toBe('Tickets');
      await signOut(agent);

      await signIn(agent, base, 'ann@acme.test');
      await enterCode(agent, 'Code from your authenticator app', fresh, 'Sign in');
      expect(await heading(agent)).toBe(VERIFY);
      const replayMessage = await flash(agent);
      expect(replayMessage).toBe(TOTP_FAILED);
      // A wrong code gets exactly the same words: a replay is not told apart.
      await enterCode(agent, 'Code from your authenticator app', wrongCode(secret), 'Sign in');
      expect(await flash(agent)).toBe(replayMessage);
    }));

  it("3. the QR code on the set-up page, screenshotted from the browser, decodes to the page's otpauth URI", () =>
    scenario(async ({ base, user }) => {
      const { context, page } = await user();
      await signIn(page, base, 'cho@acme.test');
      expect(await heading(page)).toBe('Tickets'); // 2FA optional: straight in
      await page.goto(`${base}/preferences/security`);
      await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Set up an authenticator app' }).click()]);

      const figure = page.locator('figure.qr');
      const uri = (await figure.getAttribute('data-otpauth-uri')) ?? '';
      expect(uri).toMatch(/^otpauth:\/\/totp\//);
      expect(await page.locator('details code.uri').textContent()).toBe(uri);
      const png = await figure.locator('img').screenshot();

      // Chromium decodes its own PNG into pixels on a blank page; jsqr reads them here.
      const blank = await context.newPage();
      const image = (await blank.evaluate(`(async () => {
        const img = new Image();
        img.src = 'data:image/png;base64,${png.toString('base64')}';
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        return { width: canvas.width, height: canvas.height, data: Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data) };
      })()`)) as { width: number; height: number; data: number[] };
      await blank.close();
      const decoded = jsQR(Uint8ClampedArray.from(image.data), image.width, image.height);
      expect(decoded?.data).toBe(uri);
      expect(parseKeyUri(uri)).toMatchObject({ issuer: 'Acme Help', account: 'cho@acme.test', secret: await shownSecret(page) });

      // And the app that scanned it works: set-up is confirmed with its code.
      await enterCode(page, 'Code from the app', totp(parseKeyUri(uri).secret), 'Turn on');
      expect(await heading(page)).toBe(RECOVERY_CODES);
      await continuePastRecoveryCodes(page);
      expect(await heading(page)).toBe('Security');
      expect(await page.locator('main').innerText()).toMatch(/Authenticator app\s+On: set up/);
    }));

  it('4. email only, agent enforced: set-up by a code read from the outbox, then login by email', () =>
    scenario(async ({ base, user }) => {
      const admin = (await user()).page;
      await signIn(admin, base, 'ada@acme.test');
      await saveAuthSettings(admin, base, { totp: false, email: true, requireAll: false });
      await admin.goto(`${base}/admin/agents/bob`);
      await submit(admin, 'Enforce 2FA');
      expect(await admin.locator('#agent-enforced').textContent()).toBe('On');

      const { context, page: agent } = await user();
      const inbox = await context.newPage();
      await signIn(agent, base, 'bob@acme.test');
      expect(await heading(agent)).toBe(SETUP);
      expect(await agent.locator('main').innerText()).toContain('Your admin requires two-factor authentication for your account');
      expect(await agent.getByRole('button', { name: 'Skip for now' }).count()).toBe(0);
      expect(await agent.locator('figure.qr').count()).toBe(0); // TOTP is off: email only
      await submit(agent, 'Send code');
      expect(await flash(agent)).toContain('We sent a code to bob@acme.test');
      const setupMail = await codeFromOutbox(inbox, base, 'bob@acme.test');
      expect(setupMail.subject).toBe('Acme Help: confirm your email for two-factor authentication');
      await enterCode(agent, 'Code from the email', setupMail.code, 'Turn on');
      expect(await heading(agent)).toBe(RECOVERY_CODES);
      await continuePastRecoveryCodes(agent);
      expect(await heading(agent)).toBe('Tickets');
      await signOut(agent);

      await signIn(agent, base, 'bob@acme.test');
      expect(await heading(agent)).toBe(VERIFY);
      // The set-up code was used, so the resend cooldown does not hold this one back.
      await submit(agent, 'Email me a code');
      expect(await flash(agent)).toContain('We sent a code to bob@acme.test');
      // A second request while that code is unused is held back, and the page says until when.
      await submit(agent, 'Send a new code');
      expect(await flash(agent)).toMatch(/You can ask for a new code at .+UTC/);
      const loginMail = await codeFromOutbox(inbox, base, 'bob@acme.test');
      expect(loginMail.subject).toBe('Acme Help: your sign-in code');
      await enterCode(agent, 'Code from the email', loginMail.code, 'Sign in');
      expect(await heading(agent)).toBe('Tickets');
    }));

  it("5. admin removes the agent's 2FA: the next login asks for set-up again", () =>
    scenario(async ({ base, user }) => {
      const { admin, agent, secret: firstSecret } = await totpRequiredSetup(user, base, 'eve@acme.test');
      await enterCode(agent, 'Code from the app', totp(firstSecret), 'Turn on');
      await continuePastRecoveryCodes(agent);
      expect(await heading(agent)).toBe('Tickets');
      await signOut(agent);

      await admin.goto(`${base}/admin/agents/eve`);
      expect(await admin.locator('#agent-2fa').textContent()).toBe('Authenticator app');
      await submit(admin, 'Remove 2FA');
      expect(await flash(admin)).toContain('2FA removed');
      expect(await admin.locator('#agent-2fa').textContent()).toBe('No 2FA');

      await signIn(agent, base, 'eve@acme.test');
      expect(await heading(agent)).toBe(SETUP);
      expect(await shownSecret(agent)).not.toBe(firstSecret);
    }));

  it('6. six wrong codes: the agent is locked and told when to retry; admin unlock lets them in', () =>
    scenario(async ({ base, user }) => {
      const admin = (await user()).page;
      await signIn(admin, base, 'ada@acme.test');
      await admin.goto(`${base}/admin/agents/dev`);
      await submit(admin, 'Set up TOTP for this agent');
      expect(await heading(admin)).toBe('Authenticator app for Dev Agent');
      const secret = await shownSecret(admin); // handed to Dev, who adds it to their app

      const agent = (await user()).page;
      await signIn(agent, base, 'dev@acme.test');
      expect(await heading(agent)).toBe(VERIFY);
      const messages: string[] = [];
      for (let i = 0; i < 6; i++) {
        await enterCode(agent, 'Code from your authenticator app', wrongCode(secret), 'Sign in');
        messages.push(await flash(agent));
      }
      const retry = /Too many attempts\. Try again after \d+ \w+ \d{4}, \d\d:\d\d:\d\d UTC\./;
      expect(messages.slice(0, 4)).toEqual(Array(4).fill(TOTP_FAILED));
      expect(messages[4]).toMatch(retry); // the fifth failure starts a lock
      expect(messages[5]).toMatch(retry);
      // While locked even the right code is refused, unread.
      await enterCode(agent, 'Code from your authenticator app', totp(secret), 'Sign in');
      expect(await flash(agent)).toMatch(retry);

      await admin.goto(`${base}/admin/agents/dev`);
      expect(await admin.locator('#agent-lock').innerText()).toMatch(/^Locked until .+UTC/);
      await submit(admin, 'Unlock');
      expect(await admin.locator('#agent-lock').innerText()).toBe('Not locked');

      await enterCode(agent, 'Code from your authenticator app', totp(secret), 'Sign in');
      expect(await heading(agent)).toBe('Tickets');
      expect(await agent.locator('footer').innerText()).toContain('signed in as Dev Agent');
    }));

  it('7. wrong codes until suspended (the test-only fast throttle): the agent is told; the admin sees "Suspended since" and unlocks; the agent signs in', () =>
    scenario(
      async ({ base, user }) => {
        const admin = (await user()).page;
        await signIn(admin, base, 'ada@acme.test');
        await admin.goto(`${base}/admin/agents/dev`);
        await submit(admin, 'Set up TOTP for this agent');
        const secret = await shownSecret(admin);

        const agent = (await user()).page;
        await signIn(agent, base, 'dev@acme.test');
        expect(await heading(agent)).toBe(VERIFY);
        const messages = await wrongCodesUntilSuspended(agent, secret);
        expect(messages.at(-1)).toBe(SUSPENDED);
        expect(messages.length).toBeGreaterThanOrEqual(6); // FAST_THROTTLE.maxConsecutiveFailures
        expect(messages[0]).toBe(TOTP_FAILED);
        expect(await agent.getByLabel('Code from your authenticator app').count()).toBe(0); // no code can help now

        await admin.goto(`${base}/admin/agents/dev`);
        expect(await admin.locator('#agent-lock').innerText()).toMatch(/^Suspended since .+UTC/);
        await submit(admin, 'Unlock');
        expect(await flash(admin)).toContain('the suspension is lifted');
        expect(await admin.locator('#agent-lock').innerText()).toBe('Not locked');

        await Promise.all([agent.waitForEvent('load'), agent.getByRole('link', { name: 'try again' }).click()]);
        await enterCode(agent, 'Code from your authenticator app', totp(secret), 'Sign in');
        expect(await heading(agent)).toBe('Tickets');
        expect(await agent.locator('footer').innerText()).toContain('signed in as Dev Agent');
      },
      { fastThrottle: true },
    ));
});
