/**
 * twofold quickstart: `npm run quickstart` runs this file.
 *
 * Part 1 uses the pure OTP functions: a secret, its otpauth:// URI, a QR code, a code.
 * Part 2 uses the service a host wires into its login: policy, set-up (its set-up token
 * passed back on a refresh and to the confirmation), recovery codes (made right after the
 * set-up, shown once; a new set later needs a recent check), login, replay, lockout, an
 * admin's unlock (which says whether the agent was locked or suspended), a login with a
 * recovery code, and removal of 2FA, with in-memory storage and a manual clock.
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

  // Recovery codes right after the set-up: the confirmation was a successful check, so the
  // recent check (the last one within 10 minutes) passes. Show them once; store nothing.
  const recovery = await twoFactor.generateRecoveryCodes('ann', { sessionVerified: true });
  if (!recovery.ok) throw new Error(`recovery codes refused: ${recovery.reason}`);
  line('recovery codes', `${recovery.codes.length}, e.g. ${recovery.codes[0]}`);

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

  // Phone lost: a recovery code instead of a TOTP code. Each works once.
  line('login with a recovery', await twoFactor.verifyRecoveryCode('ann', recovery.codes[0]!));
  line('same recovery again', await twoFactor.verifyRecoveryCode('ann', recovery.codes[0]!));
  line('status: recovery', (await twoFactor.status('ann')).recoveryCodes);
  // New codes replace the old ones, and need a check within the last 10 minutes (a step-up).
  clock.advance(11 * 60_000);
  line('new codes, 11 min on', await twoFactor.generateRecoveryCodes('ann', { sessionVerified: true }));
  line('fresh code first', await twoFactor.verifyTotp('ann', appCode()));
  const renewed = await twoFactor.generateRecoveryCodes('ann', { sessionVerified: true });
  line('then new codes', renewed.ok ? `${renewed.codes.length} new; the old ones no longer work` : renewed);
  line('admin removes 2FA', await twoFactor.admin.remove('ann'));
  line('recovery codes now', (await twoFactor.status('ann')).recoveryCodes); // gone with the last method
  settings = { ...settings, gracePeriod: { until: new Date('2026-03-01T00:00:00Z') } }; // grace over
  const third = await twoFactor.policy('ann');
  line('login 3: policy', { action: third.action, next: third.next, reason: third.reason });
  console.log('\nDone. Open the QR code file above in a browser and scan it with any authenticator app.\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
