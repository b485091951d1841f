/**
 * What the browser test and the screenshot script share: Debian's Chromium driven by
 * playwright-core (never a downloaded browser), and the demo server started as
 * `npm run demo` starts it, on a free port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Debian's Chromium (`apt-get install chromium`), or `CHROMIUM_PATH`; undefined when missing. */
export function findChromium(): string | undefined {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  return existsSync(path) ? path : undefined;
}

/** Whether this is a CI run, where a missing browser is a failure rather than a skip. */
export function inCi(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

export function launchChromium(executablePath: string): Promise<Browser> {
  // Playwright gives every launch a fresh, empty --user-data-dir and adds --headless.
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage', // containers often give /dev/shm only 64 MB: use /tmp instead
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking', // the machine's closed network refuses Chromium's own calls
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Demo {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Everything the server printed, for a failing test's report. */
  output(): string;
  stop(): Promise<void>;
}

/** A fresh, empty directory for a demo's data (DEMO_DATA_DIR); remove it with `removeDataDir`. */
export function newDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'helpdesk-e2e-'));
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts `examples/helpdesk/server.ts` on a free port (PORT=0) and waits for its banner.
 * `fastThrottle`: the demo's test-only throttle (HELPDESK_FAST_THROTTLE=1), which suspends an
 * agent after 6 wrong codes; otherwise the variable is removed, so the demo runs on twofold's defaults.
 * `dataDir`: where the demo keeps its PGlite database and keys (DEMO_DATA_DIR), so a second
 * start on it finds the first one's data; absent, a fresh directory removed at `stop()`.
 * DATABASE_URL is never passed on: each demo has a database of its own.
 */
export async function startDemo(options: { fastThrottle?: boolean; dataDir?: string } = {}): Promise<Demo> {
  const { HELPDESK_FAST_THROTTLE: _ignored, DATABASE_URL: _url, DEMO_DATA_DIR: _dir, ...env } = process.env;
  const ownDir = options.dataDir === undefined ? newDataDir() : undefined;
  const dataDir = options.dataDir ?? ownDir!;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'examples/helpdesk/server.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: '0', HOST: '127.0.0.1', DEMO_DATA_DIR: dataDir, ...(options.fastThrottle && { HELPDESK_FAST_THROTTLE: '1' }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const started = new Promise<string>((resolve, reject) => {
    // PGlite's start takes a few seconds of CPU; several scenarios start at once.
    const timer = setTimeout(() => reject(new Error(`the demo did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /twofold helpdesk demo: http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}:\n${output}`));
    });
  });
  // A demo that did not start is stopped, not left running.
  const port = await started.catch((error: unknown) => {
    child.kill();
    if (ownDir) removeDataDir(ownDir);
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    // SIGTERM: the demo closes its database before it exits.
    stop: async () => {
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      });
      if (ownDir) removeDataDir(ownDir);
    },
  };
}

/** A separate browser profile (own cookies) with one page, e.g. one for the admin and one for an agent. */
export async function newUser(browser: Browser, options: Parameters<Browser['newContext']>[0] = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  return { context, page: await context.newPage() };
}

/** Clicks a button that submits a form, and waits for the page it leads to. */
export async function submit(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: button, exact: true }).click()]);
}

export async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('demo');
  await submit(page, 'Sign in');
}

export async function signOut(page: Page): Promise<void> {
  await submit(page, 'Log out');
}

/** The `<h1>` of the page shown. */
export async function heading(page: Page): Promise<string> {
  return (await page.getByRole('heading', { level: 1 }).textContent())?.trim() ?? '';
}

/** The one-time message at the top of the page (flash), or ''. */
export async function flash(page: Page): Promise<string> {
  const el = page.locator('.flash').first();
  return (await el.count()) === 0 ? '' : ((await el.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

/** The base32 secret shown for typing by hand (spaces removed). */
export async function shownSecret(page: Page): Promise<string> {
  return ((await page.locator('#totp-secret').textContent()) ?? '').replace(/\s+/g, '');
}

export interface GraceSettings {
  totp: boolean;
  email: boolean;
  requireAll: boolean;
  /** `YYYY-MM-DD`: the last day agents may skip set-up; or none. */
  graceUntil?: string;
}

/** Fills in and saves the admin's Auth & SSO page. */
export async function saveAuthSettings(page: Page, base: string, s: GraceSettings): Promise<void> {
  await page.goto(`${base}/admin/auth`);
  await page.getByLabel('TOTP service').setChecked(s.totp);
  await page.getByLabel('Email 2FA').setChecked(s.email);
  await page.getByLabel('Require agents to set up 2FA').setChecked(s.requireAll);
  if (s.graceUntil === undefined) {
    await page.getByLabel('None: set-up is needed').check();
  } else {
    await page.getByLabel('Until a date').check();
    await page.getByLabel('Last day agents may skip').fill(s.graceUntil);
  }
  await submit(page, 'Save');
  if (!(await flash(page)).startsWith('Saved')) throw new Error(`settings not saved: ${await page.locator('main').innerText()}`);
}

/** `YYYY-MM-DD` (UTC) of today plus `days`. */
export function utcDay(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}
