// Bench section: one TOTP code, and a wrong code verified with window 1, from the same base32
// secret at the same instant, for twofold, otpauth, otplib, speakeasy and bare noble loops.
import { hmac, type _HMAC } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import * as OTPAuth from 'otpauth';
import { generateSync as otplibGenerate, verifySync as otplibVerify } from 'otplib';
import speakeasy from 'speakeasy';
import { decodeBase32, totp, verifyTotp } from '../../src/index.js';
import { compare, formatNs, table, type Contender, type Timing } from './_measure.js';

export const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // 20 bytes, RFC 6238's SHA1 seed
export const AT_MS = 1_700_000_000_000;
const AT_S = AT_MS / 1000;
const PERIOD = 30;

function truncate(mac: Uint8Array): number {
  const o = mac[mac.length - 1]! & 0x0f;
  return (((mac[o]! & 0x7f) << 24) | (mac[o + 1]! << 16) | (mac[o + 2]! << 8) | mac[o + 3]!) % 1_000_000;
}

function counterBytes(counter: number): Uint8Array {
  const m = new Uint8Array(8);
  const v = new DataView(m.buffer);
  v.setUint32(0, Math.floor(counter / 2 ** 32));
  v.setUint32(4, counter >>> 0);
  return m;
}

/** Bare loop, the plain way: decode, key once, `clone()` per step, `digest()`, integer compare. */
function bareVerifyClone(secret: string, code: string, atMs: number): boolean {
  const keyed = hmac.create(sha1, decodeBase32(secret));
  const wanted = Number(code);
  const current = Math.floor(atMs / 1000 / PERIOD);
  let ok = false;
  for (let s = current - 1; s <= current + 1; s++) {
    if (truncate(keyed.clone().update(counterBytes(s)).digest()) === wanted) ok = true;
  }
  return ok;
}

/** Bare loop, tuned: one reused instance (`_cloneInto`), one message and one output buffer. */
function bareVerifyReuse(secret: string, code: string, atMs: number): boolean {
  const keyed: _HMAC<any> = hmac.create(sha1, decodeBase32(secret));
  let work: _HMAC<any> | undefined;
  const wanted = Number(code);
  const current = Math.floor(atMs / 1000 / PERIOD);
  const message = new Uint8Array(8);
  const view = new DataView(message.buffer);
  const mac = new Uint8Array(20);
  let ok = false;
  for (let s = current - 1; s <= current + 1; s++) {
    work = keyed._cloneInto(work);
    view.setUint32(0, Math.floor(s / 2 ** 32));
    view.setUint32(4, s >>> 0);
    work.update(message).digestInto(mac);
    if (truncate(mac) === wanted) ok = true;
  }
  return ok;
}

function bareGenerate(secret: string, atMs: number): string {
  const step = Math.floor(atMs / 1000 / PERIOD);
  return String(truncate(hmac(sha1, decodeBase32(secret), counterBytes(step)))).padStart(6, '0');
}

const generators: Contender[] = [
  { name: 'twofold', run: () => totp(SECRET, { at: AT_MS }) },
  {
    name: 'otpauth 9.5.2',
    run: () => OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(SECRET), timestamp: AT_MS }),
  },
  { name: 'otplib 13.5.0', run: () => otplibGenerate({ secret: SECRET, epoch: AT_S }) },
  { name: 'speakeasy 2.0.0', run: () => speakeasy.totp({ secret: SECRET, encoding: 'base32', time: AT_S }) },
  { name: 'bare loop', run: () => bareGenerate(SECRET, AT_MS) },
];

/** A 6-digit code that matches none of the three steps around AT_MS. */
function wrongCode(): string {
  const current = Math.floor(AT_S / PERIOD);
  const secret = OTPAuth.Secret.fromBase32(SECRET);
  const near = [-1, 0, 1].map((d) => OTPAuth.HOTP.generate({ secret, counter: current + d }));
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!near.includes(code)) return code;
  }
}

function verifiers(code: string): Contender[] {
  return [
    { name: 'twofold', run: () => verifyTotp(SECRET, code, { at: AT_MS, window: 1 }).valid },
    {
      name: 'otpauth 9.5.2',
      run: () =>
        OTPAuth.TOTP.validate({ token: code, secret: OTPAuth.Secret.fromBase32(SECRET), timestamp: AT_MS, window: 1 }),
    },
    {
      name: 'otplib 13.5.0',
      run: () => otplibVerify({ secret: SECRET, token: code, epoch: AT_S, epochTolerance: PERIOD }).valid,
    },
    {
      name: 'speakeasy 2.0.0',
      run: () => speakeasy.totp.verifyDelta({ secret: SECRET, encoding: 'base32', token: code, time: AT_S, window: 1 }),
    },
    { name: 'bare loop (clone per step)', run: () => bareVerifyClone(SECRET, code, AT_MS) },
    { name: 'bare loop (reused instance)', run: () => bareVerifyReuse(SECRET, code, AT_MS) },
  ];
}

/** Checks that every contender computes the same thing before any of them is timed. */
function sanityCheck(code: string): void {
  const codes = new Set(generators.map((g) => g.run()));
  if (codes.size !== 1) throw new Error(`generators disagree: ${[...codes].join(', ')}`);
  const good = [...codes][0] as string;
  // Each verifier signals refusal its own way: false, null or undefined.
  const accepts = (result: unknown) => result !== false && result !== null && result !== undefined;
  for (const v of verifiers(code)) if (accepts(v.run())) throw new Error(`${v.name} accepted the wrong code`);
  for (const v of verifiers(good)) if (!accepts(v.run())) throw new Error(`${v.name} refused the right code`);
}

function rows(timings: readonly Timing[]): string[][] {
  const base = timings.find((t) => t.name === 'twofold')!.medianNs;
  return timings.map((t) => [
    t.name,
    formatNs(t.medianNs),
    `${formatNs(t.p10Ns)} – ${formatNs(t.p90Ns)}`,
    `${(t.medianNs / base).toFixed(2)}x`,
  ]);
}

export interface OtpBenchResult {
  readonly markdown: string;
  readonly generate: readonly Timing[];
  readonly verify: readonly Timing[];
}

/** The OTP section: two tables and the verdict on the targets. */
export function benchOtp(): OtpBenchResult {
  const code = wrongCode();
  sanityCheck(code);
  const generate = compare(generators);
  const verify = compare(verifiers(code));
  const head = ['implementation', 'median per call', 'p10 – p90', 'time / twofold'];
  const ours = verify.find((t) => t.name === 'twofold')!.medianNs;
  const ratio = (name: string) => ours / verify.find((t) => t.name === name)!.medianNs;
  const targets = [
    ['twofold verify ÷ otpauth verify', ratio('otpauth 9.5.2'), 0.7],
    ['twofold verify ÷ bare loop (clone per step)', ratio('bare loop (clone per step)'), 1.1],
    ['twofold verify ÷ bare loop (reused instance)', ratio('bare loop (reused instance)'), 1.1],
  ] as const;
  const markdown = [
    '### (a) Generate one code (base32 secret, SHA1, 6 digits, 30 s)',
    '',
    table(head, rows(generate)),
    '',
    '### (b) Verify a wrong code, window 1 (3 steps), from a base32 string secret',
    '',
    table(head, rows(verify)),
    '',
    table(
      ['target', 'measured', 'limit', 'met'],
      targets.map(([name, value, limit]) => [
        name,
        `${value.toFixed(2)}x`,
        `<= ${limit.toFixed(2)}x`,
        value <= limit ? 'yes' : 'NO',
      ]),
    ),
  ].join('\n');
  return { markdown, generate, verify };
}
