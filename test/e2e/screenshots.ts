/**
 * Regenerates the README's screenshots in docs/images/ from the running demo:
 * `npm run screenshots` (needs Debian's Chromium at /usr/bin/chromium, or CHROMIUM_PATH).
 * Not part of the test run: the images change at every run (new secrets, new times).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { totp } from '../../src/index.js';
import { findChromium, launchChromium, newUser, ROOT, saveAuthSettings, shownSecret, signIn, startDemo, submit, utcDay } from './_harness.js';

const outDir = join(ROOT, 'docs', 'images');
const chromiumPath = findChromium();
if (chromiumPath === undefined) {
  console.error('Chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });

const demo = await startDemo();
const browser = await launchChromium(chromiumPath);
const desktop = { viewport: { width: 900, height: 700 } };
const phone = { viewport: { width: 390, height: 760 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(outDir, name), fullPage: true, animations: 'disabled' });
  console.log(`docs/images/${name}`);
}

try {
  const base = demo.url;
  const admin = (await newUser(browser, desktop)).page;
  await signIn(admin, base, 'ada@acme.test');

  // Admin, Auth & SSO: a problem from validateSettings shown inline, then sensible settings.
  await admin.goto(`${base}/admin/auth`);
  await admin.getByLabel('TOTP service').uncheck();
  await admin.getByLabel('Email 2FA').uncheck();
  await admin.getByLabel('Require agents to set up 2FA').check();
  await admin.getByLabel('A number of days').check();
  await admin.getByLabel('Days', { exact: true }).fill('0');
  await submit(admin, 'Save');
  await shoot(admin, 'admin-auth-problems.png');
  await saveAuthSettings(admin, base, { totp: true, email: true, requireAll: true, graceUntil: utcDay(14) });
  await shoot(admin, 'admin-auth.png');

  // Agent, login: set-up offered with a QR code and a Skip button while the grace period runs.
  const ann = (await newUser(browser, desktop)).page;
  await signIn(ann, base, 'ann@acme.test');
  await shoot(ann, 'login-setup.png');

  // Bob sets up email 2FA at login; an admin also sets up TOTP for him: his next login offers both.
  const bob = await newUser(browser, phone);
  await signIn(bob.page, base, 'bob@acme.test');
  await bob.page.getByRole('link', { name: 'Email code' }).click();
  await submit(bob.page, 'Send code');
  const outbox = await bob.context.newPage();
  await outbox.goto(`${base}/outbox`);
  const code = /\b(\d{6})\b/.exec((await outbox.locator('article.mail pre').first().textContent()) ?? '')![1]!;
  await bob.page.getByLabel('Code from the email').fill(code);
  await submit(bob.page, 'Turn on'); // then his recovery codes, shown once
  await Promise.all([bob.page.waitForEvent('load'), bob.page.getByRole('link', { name: 'Continue' }).click()]);
  await submit(bob.page, 'Log out');
  await admin.goto(`${base}/admin/agents/bob`);
  await submit(admin, 'Set up TOTP for this agent');
  await shoot(admin, 'admin-provision.png');
  const bobSecret = await shownSecret(admin);
  await signIn(bob.page, base, 'bob@acme.test');
  await bob.page.getByLabel('Code from your authenticator app').fill('000000' === totp(bobSecret) ? '111111' : '000000');
  await submit(bob.page, 'Sign in');
  await shoot(bob.page, 'phone-verify.png');
  await outbox.reload();
  await shoot(outbox, 'outbox.png');

  await admin.goto(`${base}/admin/agents/bob`);
  await shoot(admin, 'admin-agent.png');
} finally {
  await browser.close();
  await demo.stop();
}
