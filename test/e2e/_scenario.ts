/**
 * What the browser scenarios share: the page texts they expect, codes as an authenticator app
 * (or a mistyping agent) would give them, the outbox read as a person reads it, and the runner
 * that gives each scenario its own demo server.
 */
import { cpSync, rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { totp } from '../../src/index.js';
import { flash, heading, launchChromium, newDataDir, newUser, removeDataDir, saveAuthSettings, shownSecret, signIn, startDemo, submit, type Demo } from './_harness.js';

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

export type ScenarioRun = (s: {
  base: string;
  user: () => Promise<{ context: BrowserContext; page: Page }>;
  /**
   * Stops the server and starts it again on the same data directory (its PGlite database and
   * keys): the new server's base URL (a new port). Sessions are gone; browser profiles stay.
   */
  restart: () => Promise<string>;
}) => Promise<void>;

let template: Promise<string> | undefined;

/**
 * A data directory as the demo leaves it after its first start (PGlite's new database, the
 * seeded accounts, the keys), made once per test file and copied for each scenario: a first
 * start costs seconds of CPU (PGlite's initdb), too many for several scenarios at once.
 */
function dataTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = newDataDir();
    const demo = await startDemo({ dataDir: dir });
    await demo.stop();
    return dir;
  })();
  return template;
}

/** Removes the file's template data directory: in each browser test file's `afterAll`. */
export async function removeDataTemplate(): Promise<void> {
  const dir = await template?.catch(() => undefined);
  template = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/**
 * Runs a scenario against a fresh server with a data directory of its own (a copy of the
 * template, removed after), so no scenario sees another's settings. `user()` opens a separate browser profile (own
 * cookies), e.g. one for the admin and one for the agent. Shows the server's output on
 * failure. `fastThrottle`: the demo's test-only throttle.
 */
export async function runScenario(browser: Browser, run: ScenarioRun, options: { fastThrottle?: boolean } = {}): Promise<void> {
  const dataDir = newDataDir();
  cpSync(await dataTemplate(), dataDir, { recursive: true });
  let demo: Demo | undefined;
  let earlier = '';
  const contexts: BrowserContext[] = [];
  const user = async () => {
    const u = await newUser(browser);
    contexts.push(u.context);
    return u;
  };
  const restart = async () => {
    await demo!.stop();
    earlier += `${demo!.output()}--- restarted ---\n`;
    demo = undefined;
    demo = await startDemo({ ...options, dataDir });
    return demo.url;
  };
  try {
    demo = await startDemo({ ...options, dataDir });
    await run({ base: demo.url, user, restart });
  } catch (error) {
    console.error(`--- demo server output ---\n${earlier}${demo?.output() ?? ''}`);
    throw error;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
    await demo?.stop();
    removeDataDir(dataDir);
  }
}

/**
 * Chromium for one test file: launched before its scenarios, closed after them (and the data
 * template removed). Call it inside the file's describe; it returns the running browser.
 */
export function useChromium(path: string): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await launchChromium(path);
  });
  afterAll(async () => {
    await browser?.close();
    await removeDataTemplate();
  });
  return () => browser!;
}

/**
 * As Ada, require TOTP for everyone; then `email` signs in and is shown the set-up. Returns
 * both pages and the secret on the set-up page.
 */
export async function totpRequiredSetup(
  user: () => Promise<{ page: Page }>,
  base: string,
  email: string,
): Promise<{ admin: Page; agent: Page; secret: string }> {
  const admin = (await user()).page;
  await signIn(admin, base, 'ada@acme.test');
  await saveAuthSettings(admin, base, { totp: true, email: false, requireAll: true });
  const agent = (await user()).page;
  await signIn(agent, base, email);
  expect(await heading(agent)).toBe(SETUP);
  return { admin, agent, secret: await shownSecret(agent) };
}
