// totp and verifyTotp (src/otp/totp.ts): the window, replay, typed-code input, time and
// secrets; then the RFC 6238 Appendix B vectors and a 64-bit counter against node:crypto.
import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, TwoFactorError, hotp, totp, verifyTotp, type HashAlgorithm, type VerifyTotpOptions } from '../../src/index.js';
import { RFC4226_SECRET, SEEDS, referenceHotp, toBase32 } from './_reference.js';

const KEY = new TextEncoder().encode('12345678901234567890');
const PERIOD_MS = 30_000;
// A step in 2023; `at` is 10 s into it.
const NOW_STEP = 56_000_000;
const AT = NOW_STEP * PERIOD_MS + 10_000;
const codeAt = (step: number, digits = 6) => hotp(KEY, step, { digits });
const verify = (code: unknown, options: VerifyTotpOptions = {}) => verifyTotp(KEY, code as string, { at: AT, ...options });

describe('window', () => {
  it.each([0, 1, 2, 5, 10])('window %i accepts steps -n..+n and nothing beyond', (n) => {
    for (let delta = 0 - n; delta <= n; delta++) {
      expect(verify(codeAt(NOW_STEP + delta), { window: n })).toEqual({ valid: true, step: NOW_STEP + delta, delta });
    }
    expect(verify(codeAt(NOW_STEP - n - 1), { window: n })).toEqual({ valid: false, reason: 'mismatch' });
    expect(verify(codeAt(NOW_STEP + n + 1), { window: n })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('defaults to DEFAULTS.totp.window (1 past, 1 future)', () => {
    expect(DEFAULTS.totp.window).toEqual({ past: 1, future: 1 });
    expect(verify(codeAt(NOW_STEP - 1))).toMatchObject({ valid: true, delta: -1 });
    expect(verify(codeAt(NOW_STEP + 1))).toMatchObject({ valid: true, delta: 1 });
    expect(verify(codeAt(NOW_STEP - 2))).toEqual({ valid: false, reason: 'mismatch' });
    expect(verify(codeAt(NOW_STEP + 2))).toEqual({ valid: false, reason: 'mismatch' });
  });

  it.each([
    { past: 2, future: 0 },
    { past: 0, future: 3 },
    { past: 10, future: 1 },
    { past: 0, future: 0 },
  ])('asymmetric window $past past / $future future', ({ past, future }) => {
    const window = { past, future };
    for (let delta = 0 - past; delta <= future; delta++) {
      expect(verify(codeAt(NOW_STEP + delta), { window })).toMatchObject({ valid: true, delta });
    }
    expect(verify(codeAt(NOW_STEP - past - 1), { window })).toEqual({ valid: false, reason: 'mismatch' });
    expect(verify(codeAt(NOW_STEP + future + 1), { window })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it.each([
    { window: 11, error: RangeError },
    { window: -1, error: RangeError },
    { window: { past: 11, future: 0 }, error: RangeError },
    { window: { past: 0, future: 11 }, error: RangeError },
    { window: 1.5, error: TypeError },
    { window: '1', error: TypeError },
    { window: { past: 1 }, error: TypeError },
    { window: [1, 1], error: TypeError },
    { window: null, error: TypeError },
  ])('window $window throws $error.name', ({ window, error }) => {
    expect(() => verify(codeAt(NOW_STEP), { window: window as never })).toThrow(error);
  });

  it('names the limit in the message', () => {
    expect(() => verify(codeAt(NOW_STEP), { window: 11 })).toThrow('"window" expected an integer 0..10, got 11');
  });
});

describe('afterStep (replay)', () => {
  it('the same step is replayed, an earlier one too, a later one accepted', () => {
    expect(verify(codeAt(NOW_STEP), { afterStep: NOW_STEP })).toEqual({ valid: false, reason: 'replayed' });
    expect(verify(codeAt(NOW_STEP - 1), { afterStep: NOW_STEP })).toEqual({ valid: false, reason: 'replayed' });
    expect(verify(codeAt(NOW_STEP - 1), { afterStep: NOW_STEP - 1 })).toEqual({ valid: false, reason: 'replayed' });
    expect(verify(codeAt(NOW_STEP + 1), { afterStep: NOW_STEP })).toEqual({ valid: true, step: NOW_STEP + 1, delta: 1 });
    expect(verify(codeAt(NOW_STEP), { afterStep: NOW_STEP - 1 })).toEqual({ valid: true, step: NOW_STEP, delta: 0 });
  });

  it('a wrong code is a mismatch, not replayed', () => {
    const wrong = codeAt(NOW_STEP) === '000000' ? '000001' : '000000';
    expect(verify(wrong, { afterStep: NOW_STEP + 5 })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('a negative afterStep replays nothing', () => {
    expect(verify(codeAt(NOW_STEP), { afterStep: -5 })).toMatchObject({ valid: true });
  });

  // With this key, steps 56188870 and 56188871 share the code 617002 (found by search). The
  // current step matches first but is used; the search must go on and accept the next one.
  it('keeps searching past a replayed match for an unused one', () => {
    const [s1, s2] = [56_188_870, 56_188_871];
    expect(codeAt(s1)).toBe('617002');
    expect(codeAt(s2)).toBe('617002');
    const at = s1 * PERIOD_MS;
    expect(verifyTotp(KEY, '617002', { at, afterStep: s1 })).toEqual({ valid: true, step: s2, delta: 1 });
    expect(verifyTotp(KEY, '617002', { at, afterStep: s2 })).toEqual({ valid: false, reason: 'replayed' });
    expect(verifyTotp(KEY, '617002', { at })).toEqual({ valid: true, step: s1, delta: 0 });
  });

  it('searches the current step before the past ones', () => {
    // Steps 56188870 and 56188871 share a code: from 56188871, delta 0 wins over delta -1.
    const at = 56_188_871 * PERIOD_MS;
    expect(verifyTotp(KEY, '617002', { at })).toEqual({ valid: true, step: 56_188_871, delta: 0 });
  });

  it.each([1.5, Number.NaN, '5', null, 2 ** 53])('afterStep %s throws', (afterStep) => {
    expect(() => verify(codeAt(NOW_STEP), { afterStep: afterStep as never })).toThrow(/"afterStep"/);
  });
});

describe('code input', () => {
  const code = codeAt(NOW_STEP);
  const spaced = `${code.slice(0, 3)} ${code.slice(3)}`;

  it.each([
    ['surrounding spaces', ` ${code} `],
    ['tabs and newlines around', `\t${code}\r\n`],
    ['a space in the middle', spaced],
    ['pairs', `${code.slice(0, 2)} ${code.slice(2, 4)} ${code.slice(4)}`],
    ['every digit spaced', code.split('').join(' ')],
    ['double inner space', `${code.slice(0, 3)}  ${code.slice(3)}`],
    ['no-break space around (String.trim whitespace)', `\u00a0${code}\u00a0`],
  ])('%s is accepted', (_name, typed) => {
    expect(verify(typed)).toEqual({ valid: true, step: NOW_STEP, delta: 0 });
  });

  it.each([
    ['a hyphen inside', `${code.slice(0, 3)}-${code.slice(3)}`],
    ['a tab inside', `${code.slice(0, 3)}\t${code.slice(3)}`],
    ['a no-break space inside', `${code.slice(0, 3)}\u00a0${code.slice(3)}`],
    ['one digit short', code.slice(1)],
    ['one digit long', `${code}0`],
    ['a trailing letter', `${code.slice(1)}x`],
    ['a plus sign', `+${code.slice(1)}`],
    ['Arabic-Indic digits', '١٢٣٤٥٦'],
    ['full-width digits', '１２３４５６'],
    ['empty', ''],
    ['spaces only', '      '],
  ])('%s is malformed', (_name, typed) => {
    expect(verify(typed)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('full-width digits of the right code are malformed, not converted', () => {
    const fullWidth = code.replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d)));
    expect(verify(fullWidth)).toEqual({ valid: false, reason: 'malformed' });
  });

  it.each([
    ['a number', Number(code)],
    ['an array of digits', code.split('')],
    ['an object with toString', { toString: () => code }],
    ['null', null],
    ['undefined', undefined],
  ])('%s instead of a string is malformed', (_name, value) => {
    expect(verify(value)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('64 characters are parsed, 65 are malformed without trimming', () => {
    expect(DEFAULTS.maxCodeLength).toBe(64);
    const sixtyFour = code.padEnd(64, ' ');
    expect(sixtyFour).toHaveLength(64);
    expect(verify(sixtyFour)).toEqual({ valid: true, step: NOW_STEP, delta: 0 });
    expect(verify(`${sixtyFour} `)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('an over-long or non-string code is malformed before the options are read', () => {
    const badOptions = { at: AT, window: 99 };
    expect(verifyTotp(KEY, 'x'.repeat(65), badOptions)).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyTotp(KEY, 42 as never, badOptions)).toEqual({ valid: false, reason: 'malformed' });
    // A well-formed-length code does reach the option checks.
    expect(() => verifyTotp(KEY, '123456', badOptions)).toThrow(RangeError);
  });

  it('a bad secret throws even when the code is well-formed', () => {
    expect(() => verifyTotp('not base32!', code, { at: AT })).toThrow(TwoFactorError);
  });

  it.each([6, 7, 8])('digits %i: its own length is checked, others are malformed', (digits) => {
    const own = codeAt(NOW_STEP, digits);
    expect(own).toHaveLength(digits);
    expect(verify(own, { digits })).toEqual({ valid: true, step: NOW_STEP, delta: 0 });
    for (const other of [6, 7, 8].filter((d) => d !== digits)) {
      expect(verify(codeAt(NOW_STEP, other), { digits })).toEqual({ valid: false, reason: 'malformed' });
    }
  });

  it('leading zeros count as digits', () => {
    // Find a step whose 6-digit code starts with 0, then check the zero is required.
    let step = NOW_STEP;
    while (!codeAt(step).startsWith('0')) step++;
    const at = step * PERIOD_MS;
    expect(verifyTotp(KEY, codeAt(step), { at })).toMatchObject({ valid: true, step });
    expect(verifyTotp(KEY, codeAt(step).slice(1), { at })).toEqual({ valid: false, reason: 'malformed' });
  });
});

describe('time', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a Date and epoch milliseconds are the same instant', () => {
    expect(verifyTotp(KEY, codeAt(NOW_STEP), { at: new Date(AT) })).toEqual(verify(codeAt(NOW_STEP)));
    expect(totp(KEY, { at: new Date(AT) })).toBe(totp(KEY, { at: AT }));
  });

  it('steps change exactly at period boundaries', () => {
    const start = NOW_STEP * PERIOD_MS;
    expect(totp(KEY, { at: start - 1 })).toBe(codeAt(NOW_STEP - 1));
    expect(totp(KEY, { at: start })).toBe(codeAt(NOW_STEP));
    expect(totp(KEY, { at: start + PERIOD_MS - 1 })).toBe(codeAt(NOW_STEP));
    expect(totp(KEY, { at: start, period: 60 })).toBe(codeAt(Math.floor(NOW_STEP / 2)));
  });

  it('T0 shifts the steps: epoch E at t is epoch 0 at t - E', () => {
    const epoch = 1_000_015;
    expect(totp(KEY, { at: AT, epoch })).toBe(totp(KEY, { at: AT - epoch * 1000 }));
    const step = Math.floor((AT / 1000 - epoch) / 30);
    expect(verifyTotp(KEY, codeAt(step), { at: AT, epoch })).toEqual({ valid: true, step, delta: 0 });
    expect(verifyTotp(KEY, codeAt(NOW_STEP), { at: AT, epoch })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('an instant before T0 throws RangeError; exactly T0 is step 0', () => {
    expect(() => totp(KEY, { at: 9_999, epoch: 10 })).toThrow(RangeError);
    expect(() => verifyTotp(KEY, '123456', { at: 9_999, epoch: 10 })).toThrow(RangeError);
    expect(totp(KEY, { at: 10_000, epoch: 10 })).toBe(codeAt(0));
  });

  it('step 0: the boundary is searched, nothing below it', () => {
    expect(verifyTotp(KEY, codeAt(0), { at: 0, window: 3 })).toEqual({ valid: true, step: 0, delta: 0 });
    expect(verifyTotp(KEY, codeAt(1), { at: 29_999 })).toEqual({ valid: true, step: 1, delta: 1 });
    expect(verifyTotp(KEY, codeAt(0), { at: 30_000 })).toEqual({ valid: true, step: 0, delta: -1 });
    // "Step -1" as a careless 64-bit write would produce it (0xFFFFFFFFFFFFFFFF) must not match.
    const wrapped = createHmac('sha1', KEY).update(Buffer.alloc(8, 0xff)).digest();
    const offset = wrapped[19]! & 0x0f;
    const minusOne = String((wrapped.readUInt32BE(offset) & 0x7fffffff) % 1e6).padStart(6, '0');
    expect([codeAt(0), codeAt(1), codeAt(2)]).not.toContain(minusOne);
    expect(verifyTotp(KEY, minusOne, { at: 0, window: 2 })).toEqual({ valid: false, reason: 'mismatch' });
  });

  it('an omitted `at` reads the clock (Date.now) at call time', () => {
    vi.useFakeTimers();
    vi.setSystemTime(AT);
    expect(totp(KEY)).toBe(codeAt(NOW_STEP));
    expect(verifyTotp(KEY, codeAt(NOW_STEP))).toEqual({ valid: true, step: NOW_STEP, delta: 0 });
    vi.setSystemTime(AT + 5 * PERIOD_MS);
    expect(verifyTotp(KEY, codeAt(NOW_STEP))).toEqual({ valid: false, reason: 'mismatch' });
  });

  it.each([
    { period: 0, error: RangeError },
    { period: 86_401, error: RangeError },
    { period: 1.5, error: TypeError },
    { epoch: -1, error: RangeError },
    { epoch: 0.5, error: TypeError },
  ])('%o throws', ({ error, ...options }) => {
    expect(() => totp(KEY, { at: AT, ...options })).toThrow(error);
    expect(() => verify(codeAt(NOW_STEP), options)).toThrow(error);
  });

  it('period 1 and 86400 are allowed', () => {
    expect(totp(KEY, { at: 5_500, period: 1 })).toBe(codeAt(5));
    expect(totp(KEY, { at: 2 * 86_400_000, period: 86_400 })).toBe(codeAt(2));
  });
});

describe('secrets', () => {
  it('a base32 string and its bytes verify alike', () => {
    const base32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(verifyTotp(base32, codeAt(NOW_STEP), { at: AT })).toEqual(verify(codeAt(NOW_STEP)));
    expect(verifyTotp(base32.toLowerCase().replace(/(.{4})/g, '$1 '), codeAt(NOW_STEP), { at: AT })).toMatchObject({
      valid: true,
    });
  });

  it('a secret under 16 bytes needs allowShortSecret; an empty one is always refused', () => {
    const short = KEY.subarray(0, 10);
    for (const call of [
      () => hotp(short, 0),
      () => totp(short, { at: AT }),
      () => verifyTotp(short, '123456', { at: AT }),
      () => verifyTotp(short, '123456', { at: AT, allowShortSecret: false }),
    ]) {
      const error = thrown(call);
      expect(error).toBeInstanceOf(TwoFactorError);
      expect(error).toMatchObject({ code: 'INVALID_SECRET', message: expect.stringMatching(/10 bytes, at least 16/) });
    }
    const code = hotp(short, NOW_STEP, { allowShortSecret: true });
    expect(totp(short, { at: AT, allowShortSecret: true })).toBe(code);
    expect(verifyTotp(short, code, { at: AT, allowShortSecret: true })).toMatchObject({ valid: true, step: NOW_STEP });
    expect(thrown(() => hotp(new Uint8Array(0), 0, { allowShortSecret: true }))).toMatchObject({ code: 'INVALID_SECRET' });
    expect(thrown(() => verifyTotp('', '123456', { allowShortSecret: true }))).toMatchObject({ code: 'INVALID_SECRET' });
    expect(() => hotp(KEY.subarray(0, 16), 0)).not.toThrow();
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const RFC6238: Array<[seconds: number, algorithm: HashAlgorithm, code: string]> = [
  [59, 'SHA1', '94287082'],
  [59, 'SHA256', '46119246'],
  [59, 'SHA512', '90693936'],
  [1111111109, 'SHA1', '07081804'],
  [1111111109, 'SHA256', '68084774'],
  [1111111109, 'SHA512', '25091201'],
  [1111111111, 'SHA1', '14050471'],
  [1111111111, 'SHA256', '67062674'],
  [1111111111, 'SHA512', '99943326'],
  [1234567890, 'SHA1', '89005924'],
  [1234567890, 'SHA256', '91819424'],
  [1234567890, 'SHA512', '93441116'],
  [2000000000, 'SHA1', '69279037'],
  [2000000000, 'SHA256', '90698825'],
  [2000000000, 'SHA512', '38618901'],
  [20000000000, 'SHA1', '65353130'],
  [20000000000, 'SHA256', '77737706'],
  [20000000000, 'SHA512', '47863826'],
];

describe('RFC 6238 Appendix B', () => {
  const rows = RFC6238.map(([seconds, algorithm, code]) => ({ seconds, algorithm, code }));

  it.each(rows)('totp $algorithm at T=$seconds = $code', ({ seconds, algorithm, code }) => {
    expect(totp(SEEDS[algorithm], { at: seconds * 1000, algorithm, digits: 8 })).toBe(code);
  });

  it.each(rows)('totp $algorithm at T=$seconds from a Date and a base32 secret', ({ seconds, algorithm, code }) => {
    const secret = toBase32(SEEDS[algorithm]); // an independent encoder, below
    expect(totp(secret, { at: new Date(seconds * 1000), algorithm, digits: 8 })).toBe(code);
  });

  it.each(rows)('verifyTotp $algorithm accepts $code at T=$seconds with delta 0', ({ seconds, algorithm, code }) => {
    const step = Math.floor(seconds / 30);
    expect(verifyTotp(SEEDS[algorithm], code, { at: seconds * 1000, algorithm, digits: 8 })).toEqual({
      valid: true,
      step,
      delta: 0,
    });
  });

  // T = 20000000000 s is past 2^32 seconds (a 32-bit time_t overflows), but its counter,
  // 666666666, still fits in 32 bits; counters past 2^32 are checked against node:crypto below.
  it('T=20000000000 is past 2^32 seconds while its step fits in 32 bits', () => {
    expect(20000000000).toBeGreaterThan(2 ** 32);
    expect(verifyTotp(SEEDS.SHA1, '65353130', { at: 20000000000 * 1000, digits: 8 })).toMatchObject({ step: 666666666 });
  });
});

describe('totp counters beyond 2^32 (node:crypto reference)', () => {
  it('totp with a 1 s period past 2^32 seconds uses the full 64-bit counter', () => {
    const seconds = 2 ** 32 + 5;
    const code = referenceHotp(RFC4226_SECRET, seconds, 'SHA1', 8);
    expect(totp(RFC4226_SECRET, { at: seconds * 1000 + 999, period: 1, digits: 8 })).toBe(code);
    expect(verifyTotp(RFC4226_SECRET, code, { at: seconds * 1000, period: 1, digits: 8 })).toEqual({
      valid: true,
      step: seconds,
      delta: 0,
    });
  });
});
