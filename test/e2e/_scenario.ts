/**
 * What the browser scenarios share: the page texts they expect, codes as an authenticator app
 * (or a mistyping agent) would give them, the outbox read as a person reads it, and the runner
 * that gives each scenario its own demo server.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { totp } from '../../src/index.js';
import { flash, newUser, startDemo, submit } from './_harness.js';

export const TOTP_FAILED = "That code didn't work. Wait for the next one and try again.";
export const SUSPENDED = 'Too many wrong codes: this account is suspended. Ask an admin to unlock it.';
export const SETUP = 'Set up two-factor authentication';
export const VERIFY = 'Two-factor authentication';

/** A six-digit code the app does not show anywhere near now. */
export function wrongCode(secret: string): string {
  const near = [-2, -1, 0, 1, 2].map((d) => totp(secret, { at: Date.now() + d * 30_000 }));
  return ['111111', '222222', '333333', '444444', '555555', '666666'].find((c) => !near.includes(c))!;
}

export async function enterCode(page: Page, label: string, code: string, button: string): Promise<void> {
  await page.getByLabel(label).fill(code);
  await submit(page, button);
}

/** The code in the newest mail to `to`, read off the outbox page as a person would. */
export async function codeFromOutbox(page: Page, base: string, to: string): Promise<{ subject: string; code: string }> {
  await page.goto(`${base}/outbox`);
  // Code mails only: security notices (article.mail.notice) carry no code.
  const mail = page.locator(`article.mail:not(.notice)[data-to="${to}"]`).first();
  const subject = (await mail.locator('h2').textContent()) ?? '';
  const code = /\b(\d{6})\b/.exec((await mail.locator('pre').textContent()) ?? '')?.[1];
  if (code === undefined) throw new Error(`no code in the newest mail to ${to}`);
  return { subject, code };
}

/**
 * Enters wrong TOTP codes until the page says the agent is suspended (at most 20 tries; a lock
 * of 1 ms under the fast throttle may refuse one code unread, so no exact count), and returns
 * the messages shown, in order.
 */
export async function wrongCodesUntilSuspended(page: Page, secret: string): Promise<string[]> {
  const messages: string[] = [];
  while (messages.at(-1) !== SUSPENDED && messages.length < 20) {
    await enterCode(page, 'Code from your authenticator app', wrongCode(secret), 'Sign in');
    messages.push(await flash(page));
  }
  return messages;
}

export const RECOVERY_CODES = 'Your recovery codes';

/** On the page of new recovery codes (after a set-up): reads them, then follows Continue. */
export async function continuePastRecoveryCodes(page: Page): Promise<string[]> {
  const codes = await page.locator('#recovery-codes code').allTextContents();
  await Promise.all([page.waitForEvent('load'), page.getByRole('link', { name: 'Continue' }).click()]);
  return codes;
}

export type ScenarioRun = (s: { base: string; user: () => Promise<{ context: BrowserContext; page: Page }> }) => Promise<void>;

/**
 * Runs a scenario against a fresh server, so no scenario sees another's settings. `user()`
 * opens a separate browser profile (own cookies), e.g. one for the admin and one for the agent.
 * Shows the server's output on failure. `fastThrottle`: the demo's test-only throttle.
 */
export async function runScenario(browser: Browser, run: ScenarioRun, options: { fastThrottle?: boolean } = {}): Promise<void> {
  const demo = await startDemo(options);
  const contexts: BrowserContext[] = [];
  const user = async () => {
    const u = await newUser(browser);
    contexts.push(u.context);
    return u;
  };
  try {
    await run({ base: demo.url, user });
  } catch (error) {
    console.error(`--- demo server output ---\n${demo.output()}`);
    throw error;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
    await demo.stop();
  }
}
