/**
 * Starts the helpdesk demo: `npm run demo` (PORT, default 3000; HOST, default 127.0.0.1).
 * Storage (database.ts): PGlite in `.data/` by default (`DEMO_DATA_DIR` moves it), a
 * PostgreSQL server with `DATABASE_URL`, or everything in memory with `--memory`. Sessions are
 * in memory in every mode: a restart signs everyone out.
 * HELPDESK_FAST_THROTTLE=1 is for the browser test only: suspension after 6 wrong codes
 * (twofactor.ts, FAST_THROTTLE) instead of twofold's 100; it says so at start-up.
 *
 * `--check` starts it on a free port, requests the sign-in page from itself, prints `OK` and
 * exits (0 on success, 1 on failure): the smoke test CI runs instead of a server that never ends.
 * Unless `--memory`, `DATABASE_URL` or `DEMO_DATA_DIR` says otherwise, it runs on PGlite in a
 * fresh temporary directory, removed at exit: the default storage, without touching `.data/`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHelpdesk } from './app.js';
import { DEFAULT_DATA_DIR, loadKeys, openPglite, openPostgres, type Database } from './database.js';
import { isLoopback } from './http.js';
import { DEMO_PASSWORD } from './store.js';
import { FAST_THROTTLE } from './twofactor.js';

const check = process.argv.includes('--check');
const host = process.env.HOST ?? '127.0.0.1';
const port = check ? 0 : Number(process.env.PORT ?? 3000);
const memory = process.argv.includes('--memory');
const databaseUrl = process.env.DATABASE_URL || undefined;
// --check on a clean clone: a throwaway data directory, so CI tries PGlite and leaves nothing.
const tempDir = check && !memory && !databaseUrl && !process.env.DEMO_DATA_DIR ? mkdtempSync(join(tmpdir(), 'helpdesk-check-')) : undefined;
const dataDir = tempDir ?? (process.env.DEMO_DATA_DIR || DEFAULT_DATA_DIR);

const database: Database | undefined = memory ? undefined : await (databaseUrl ? openPostgres(databaseUrl) : openPglite(dataDir)).catch((error: unknown) => {
  console.error(`Could not open the demo's database${databaseUrl ? ' at DATABASE_URL' : ` in ${dataDir}`}:`, error);
  process.exit(1);
});
const where = database ? `${database.where}, keys in ${join(dataDir, 'keys.json')}` : 'in memory (--memory): gone when the server stops';

// Test-only, set by the e2e harness: never in a demo someone uses.
const fastThrottle = process.env.HELPDESK_FAST_THROTTLE === '1';
const helpdesk = await createHelpdesk({
  ...(check && { log: () => {} }),
  ...(fastThrottle && { throttle: FAST_THROTTLE }),
  ...(database && { database: { db: database.db, keys: loadKeys(dataDir) } }),
});
const server = createServer((req, res) => {
  helpdesk.handle(req, res).catch((error: unknown) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Something went wrong.');
  });
});

await listen(server, port, host).catch((error: NodeJS.ErrnoException) => {
  console.error(error.code === 'EADDRINUSE' ? `Port ${port} is in use: try PORT=${port + 1} npm run demo` : error);
  process.exit(1);
});
const { address: boundAddress, port: actualPort } = server.address() as AddressInfo;
const shownHost = ['127.0.0.1', '0.0.0.0', '::'].includes(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
const url = `http://${shownHost}:${actualPort}`;
// The outbox answers only requests over loopback: reachable when listening on loopback, or on
// every address (0.0.0.0, ::); not when listening on one outside address only.
const outboxUrl = isLoopback(boundAddress) ? `${url}/outbox` : ['0.0.0.0', '::'].includes(boundAddress) ? `http://localhost:${actualPort}/outbox` : undefined;

if (check) {
  const response = await fetch(`http://127.0.0.1:${actualPort}/login`);
  const body = await response.text();
  const cookie = response.headers.get('set-cookie') ?? '';
  const ok = response.status === 200 && body.includes('name="csrf"') && /HttpOnly/.test(cookie) && /SameSite=Lax/.test(cookie);
  console.log(ok ? `OK: ${url}/login answered 200 with a sign-in form (data ${where})` : `FAILED: GET /login answered ${response.status}`);
  await stop(ok ? 0 : 1);
}

// Ctrl+C, or the e2e harness's kill: close the database (PGlite writes its last pages) first.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop(0));

console.log(`
twofold helpdesk demo: ${url}

Sign in with the password "${DEMO_PASSWORD}" as
${helpdesk.store
  .accounts()
  .map((a) => `  ${a.email.padEnd(16)} ${a.role === 'admin' ? 'admin: Auth & SSO settings, agent profiles' : 'agent'}`)
  .join('\n')}

Data: ${where}.
Sessions are in memory: a restart signs everyone out.

Emails (with their codes) appear below${outboxUrl ? `, and at ${outboxUrl} in a browser on this machine` : ''}. Ctrl+C stops the server.
`);

if (fastThrottle) {
  console.warn(`HELPDESK_FAST_THROTTLE=1 (test only): an agent is suspended after ${FAST_THROTTLE.maxConsecutiveFailures} wrong codes in a row, with locks of ${FAST_THROTTLE.baseLockMs} ms.\n`);
}

// HOST=0.0.0.0 (or a LAN address) lets other machines in: say what that means for a demo.
if (!isLoopback(boundAddress)) {
  console.warn(`
WARNING: listening on ${boundAddress}, so other machines can reach this demo. It is not made for
that: every account has the password "${DEMO_PASSWORD}", there is no HTTPS, and its keys sit
next to its data. Do not expose it. The Outbox page, with every emailed code, answers only a browser on
this machine (over loopback) and 403 to anyone else: ${outboxUrl ?? 'on this address alone, it cannot open at all, so read the codes here'}.
`);
}

async function stop(code: number): Promise<never> {
  server.close();
  server.closeAllConnections();
  try {
    await database?.close();
  } finally {
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  }
  process.exit(code);
}

function listen(s: Server, p: number, h: string): Promise<void> {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(p, h, () => resolve());
  });
}
