/**
 * twofold quickstart: `npm run quickstart` runs this file.
 *
 * Part 1 uses the pure OTP functions: a secret, its otpauth:// URI, a QR code, a code.
 * Part 2 uses the service a host wires into its login: policy, set-up (its set-up token
 * passed back on a refresh and to the confirmation), login, replay, lockout, an admin's unlock
 * (which says whether the agent was locked or suspended) and removal of 2FA, with in-memory
 * storage and a manual clock.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildKeyUri, createTwoFactor, formatSecret, generateSecret, totp, verifyTotp, type PolicySettings } from '../src/index.js';
import { MemoryStorage, manualClock } from '../src/memory.js';
import { qrSvg } from '../src/qr.js';

const outDir = join(dirname(fileURLToPath(import.meta.url)), 'out');
const line = (label: string, value: unknown) => console.log(`  ${label.padEnd(22)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);

async function main(): Promise<void> {
  console.log('\n1. The OTP core (pure functions)\n');
  const secret = generateSecret();
  const uri = buildKeyUri({ issuer: 'Acme Help', account: 'ann@acme.test', secret });
  line('secret (base32)', secret);
  line('to type by hand', formatSecret(secret));
  line('otpauth URI', uri);
  mkdirSync(outDir, { recursive: true });
  const qrPath = join(outDir, 'quickstart-qr.svg');
  writeFileSync(qrPath, qrSvg(uri, { size: 240 }));
  line('QR code written to', qrPath);
  const now = Date.now();
  const code = totp(secret, { at: now });
  line('code now', code);
  line('verify that code', verifyTotp(secret, code, { at: now }));
  line('verify "000000"', verifyTotp(secret, code === '000000' ? '000001' : '000000', { at: now }));
  line('verify it again', verifyTotp(secret, code, { at: now, afterStep: Math.floor(now / 30_000) }));

  console.log('\n2. The service, as a host wires it into its login\n');
  const clock = manualClock(new Date('2026-03-02T09:00:00Z'));
  let settings: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 7 } };
  const twoFactor = createTwoFactor({
    storage: new MemoryStorage(),
    issuer: 'Acme Help',
    settings: () => settings, // read at every call: an admin's change applies at the next login
    clock,
    onEvent: (e) => console.log(`    event: ${e.type} ${e.outcome}${e.reason ? ` (${e.reason})` : ''}`),
  });

  const first = await twoFactor.policy('ann');
  line('login 1: policy', { action: first.action, next: first.next, reason: first.reason });
  line('ann skips set-up', await twoFactor.skipSetup('ann'));

  const setup = await twoFactor.beginTotpSetup('ann', { account: 'ann@acme.test' });
  if (!setup.ok) throw new Error(`set-up refused: ${setup.reason}`);
  line('set-up: secret', setup.formattedSecret);
  line('set-up expires at', setup.expiresAt.toISOString());
  // The host keeps setupToken in its server-side session (never in a URL or a form), and
  // passes it back: a page refresh then shows the same secret, and only this session confirms.
  const { setupToken } = setup;
  const refresh = await twoFactor.beginTotpSetup('ann', { account: 'ann@acme.test', setupToken });
  line('page refresh, same?', refresh.ok && refresh.secret === setup.secret && refresh.setupToken === setupToken);
  const appCode = () => totp(setup.secret, { at: clock.now() }); // what the phone shows
  line('confirm with the app', await twoFactor.confirmTotpSetup('ann', appCode(), { setupToken }));

  clock.advance(60_000);
  const second = await twoFactor.policy('ann');
  line('login 2: policy', { action: second.action, next: second.next, reason: second.reason });
  const loginCode = appCode();
  line('verify code', await twoFactor.verifyTotp('ann', loginCode));
  line('same code again', await twoFactor.verifyTotp('ann', loginCode));

  // A code the phone does not show in the accepted window (one step either side).
  const shown = [-30_000, 0, 30_000].map((d) => totp(setup.secret, { at: clock.now().getTime() + d }));
  const wrong = ['000000', '111111', '222222', '333333'].find((c) => !shown.includes(c))!;
  for (let i = 1; i <= 6; i++) {
    const r = await twoFactor.verifyTotp('ann', wrong);
    line(`wrong code #${i}`, r);
  }
  const unlocked = await twoFactor.admin.unlock('ann');
  line('admin unlocks', { wasLocked: unlocked.wasLocked, wasSuspended: unlocked.wasSuspended });
  line('admin removes 2FA', await twoFactor.admin.remove('ann'));
  settings = { ...settings, gracePeriod: { until: new Date('2026-03-01T00:00:00Z') } }; // grace over
  const third = await twoFactor.policy('ann');
  line('login 3: policy', { action: third.action, next: third.next, reason: third.reason });
  console.log('\nDone. Open the QR code file above in a browser and scan it with any authenticator app.\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
