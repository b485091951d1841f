// The shared bad-input list thrown at every public entry point of the OTP core. For each
// (entry point, argument, value) the expected outcome is stated exactly: a TypeError or
// RangeError for programmer errors, TwoFactorError INVALID_SECRET for bad secrets, the
// `malformed` result for bad codes, or `ok` where the value happens to be valid there.
import { describe, expect, it } from 'vitest';
import {
  TwoFactorError,
  decodeBase32,
  encodeBase32,
  formatSecret,
  generateSecret,
  hotp,
  totp,
  verifyTotp,
} from '../../src/index.js';
import { BAD_TIMES, BAD_VALUES, type BadInput } from '../_bad-inputs.js';

type Outcome = 'ok' | 'TypeError' | 'RangeError' | 'INVALID_SECRET' | 'malformed' | 'mismatch' | 'accepted';

// A real secret: no error message may contain it (or a chunk of it).
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const AT = 1_700_000_000_000;
const CODE = totp(SECRET, { at: AT });

/** Runs `fn` and classifies what happened; any other kind of error fails the test. */
function outcome(fn: () => unknown, secretText = SECRET): Outcome {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    const message = (e as Error).message;
    expect(message).not.toContain(secretText.slice(0, 8));
    if (e instanceof TwoFactorError) return e.code as Outcome;
    if (e instanceof RangeError) return 'RangeError';
    if (e instanceof TypeError) return 'TypeError';
    throw new Error(`unexpected ${String(e)}`);
  }
  if (result !== null && typeof result === 'object' && 'valid' in result) {
    const r = result as { valid: boolean; reason?: Outcome };
    return r.valid ? 'accepted' : r.reason!;
  }
  return 'ok';
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
/** The outcome of an integer option that must lie in `[min, max]` (undefined: default). */
const integerIn = (min: number, max: number) => (v: unknown): Outcome =>
  v === undefined ? 'ok' : !isInt(v) ? 'TypeError' : v < min || v > max ? 'RangeError' : 'ok';
/** A secret: strings are decoded (and all the listed ones are bad base32), the rest are wrong types. */
const asSecret = (v: unknown): Outcome => (typeof v === 'string' ? 'INVALID_SECRET' : 'TypeError');
/** An options bag: any plain object is one (unknown keys such as `toString` are ignored). */
const asOptions = (v: unknown): Outcome =>
  v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v)) ? 'ok' : 'TypeError';
/** A required integer: undefined is a TypeError too. */
const requiredIntegerIn = (min: number, max: number) => (v: unknown): Outcome =>
  v === undefined ? 'TypeError' : integerIn(min, max)(v);
const asAlgorithm = (v: unknown): Outcome => (v === undefined ? 'ok' : typeof v === 'string' ? 'RangeError' : 'TypeError');
const asBoolean = (v: unknown): Outcome => (v === undefined || typeof v === 'boolean' ? 'ok' : 'TypeError');
const asWindow = (v: unknown): Outcome =>
  v === undefined
    ? 'ok'
    : typeof v === 'number'
      ? integerIn(0, 10)(v)
      : 'TypeError'; // objects lack `past`, arrays and other types are refused
const asTime = (v: unknown): Outcome =>
  v === undefined
    ? 'ok'
    : v instanceof Date
      ? Number.isNaN(v.getTime()) ? 'RangeError' : 'ok'
      : typeof v !== 'number' ? 'TypeError' : Number.isSafeInteger(v) && v >= 0 ? 'ok' : 'RangeError';

interface Target {
  name: string;
  call: (value: unknown) => unknown;
  expected: (value: unknown) => Outcome;
  /** The inputs to throw at it; default BAD_VALUES. */
  values?: readonly BadInput[];
}

const verifyWith = (options: Record<string, unknown>) => verifyTotp(SECRET, CODE, { at: AT, ...options } as never);
const verifyOption = (name: string, expected: (v: unknown) => Outcome): Target => ({
  name: `verifyTotp options.${name}`,
  call: (v) => verifyWith({ [name]: v }),
  expected,
});

const TARGETS: Target[] = [
  { name: 'hotp secret', call: (v) => hotp(v as never, 0), expected: asSecret },
  { name: 'hotp counter', call: (v) => hotp(SECRET, v as never), expected: requiredIntegerIn(0, Number.MAX_SAFE_INTEGER) },
  { name: 'hotp options', call: (v) => hotp(SECRET, 0, v as never), expected: asOptions },
  { name: 'hotp options.algorithm', call: (v) => hotp(SECRET, 0, { algorithm: v as never }), expected: asAlgorithm },
  { name: 'hotp options.digits', call: (v) => hotp(SECRET, 0, { digits: v as never }), expected: integerIn(6, 8) },
  {
    name: 'hotp options.allowShortSecret',
    call: (v) => hotp(SECRET, 0, { allowShortSecret: v as never }),
    expected: asBoolean,
  },
  { name: 'totp secret', call: (v) => totp(v as never, { at: AT }), expected: asSecret },
  { name: 'totp options', call: (v) => totp(SECRET, v as never), expected: asOptions },
  { name: 'totp options.at', call: (v) => totp(SECRET, { at: v as never }), expected: asTime, values: [...BAD_VALUES, ...BAD_TIMES] },
  { name: 'totp options.period', call: (v) => totp(SECRET, { at: AT, period: v as never }), expected: integerIn(1, 86_400) },
  {
    name: 'totp options.epoch',
    call: (v) => totp(SECRET, { at: AT, epoch: v as never }),
    expected: integerIn(0, Math.floor(Number.MAX_SAFE_INTEGER / 1000)),
  },
  { name: 'totp options.algorithm', call: (v) => totp(SECRET, { at: AT, algorithm: v as never }), expected: asAlgorithm },
  { name: 'totp options.digits', call: (v) => totp(SECRET, { at: AT, digits: v as never }), expected: integerIn(6, 8) },
  { name: 'verifyTotp secret', call: (v) => verifyTotp(v as never, CODE, { at: AT }), expected: asSecret },
  // Every listed value is a bad code: non-strings, wrong lengths, other scripts, 1 MB.
  { name: 'verifyTotp code', call: (v) => verifyTotp(SECRET, v as never, { at: AT }), expected: () => 'malformed' },
  { name: 'verifyTotp options', call: (v) => verifyTotp(SECRET, CODE, v as never), expected: (v) => asOptions(v) },
  verifyOption('at', asTime),
  verifyOption('window', asWindow),
  verifyOption('afterStep', integerIn(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)),
  verifyOption('period', integerIn(1, 86_400)),
  verifyOption('epoch', integerIn(0, Math.floor(Number.MAX_SAFE_INTEGER / 1000))),
  verifyOption('algorithm', asAlgorithm),
  verifyOption('digits', integerIn(6, 8)),
  verifyOption('allowShortSecret', asBoolean),
  { name: 'generateSecret options', call: (v) => generateSecret(v as never), expected: asOptions },
  { name: 'generateSecret options.bytes', call: (v) => generateSecret({ bytes: v as never }), expected: integerIn(16, 64) },
  {
    name: 'generateSecret options.random',
    call: (v) => generateSecret({ random: v as never }),
    // undefined means the platform CSPRNG; the listed function fills nothing and is refused.
    expected: (v) => (v === undefined ? 'ok' : 'TypeError'),
  },
  { name: 'encodeBase32', call: (v) => encodeBase32(v as never), expected: () => 'TypeError' },
  { name: 'decodeBase32', call: (v) => decodeBase32(v as never), expected: asSecret },
  { name: 'formatSecret', call: (v) => formatSecret(v as never), expected: asSecret },
];

describe.each(TARGETS)('$name', ({ call, expected, values, name }) => {
  it.each((values ?? BAD_VALUES).map((b) => ({ label: b.name, value: b.value })))('$label', ({ value }) => {
    const want = expected(value);
    const got = outcome(() => call(value));
    if (want === 'ok' && name.startsWith('verifyTotp')) {
      // A valid value leaves verification working; which result depends on the value (a
      // different `at` or `digits` changes the code), but it must be a result, not a throw.
      expect(['accepted', 'mismatch', 'malformed', 'replayed']).toContain(got);
    } else {
      expect(got).toBe(want);
    }
    // Bad secret text must never be echoed back.
    if (typeof value === 'string' && value.length >= 4 && want === 'INVALID_SECRET') {
      try {
        call(value);
      } catch (e) {
        expect((e as Error).message).not.toContain(value.slice(0, 64));
      }
    }
  });
});

describe('BAD_TIMES on verifyTotp `at`', () => {
  it.each(BAD_TIMES.map((b) => ({ label: b.name, value: b.value })))('$label', ({ value }) => {
    const want = asTime(value);
    expect(want).not.toBe('ok');
    expect(outcome(() => verifyWith({ at: value }))).toBe(want);
  });
});

describe('never accepts a bad code, whatever the window', () => {
  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('$label', ({ value }) => {
    expect(verifyTotp(SECRET, value as never, { at: AT, window: 10 })).toEqual({ valid: false, reason: 'malformed' });
  });
});

describe('error messages never contain the secret', () => {
  const secrets = [SECRET, 'JBSWY3DPEHPK3PXP' /* 10 bytes: too short */];
  const calls: Array<(s: string) => unknown> = [
    (s) => hotp(s, -1),
    (s) => hotp(s, 0, { digits: 9 }),
    (s) => totp(s, { at: -5 }),
    (s) => totp(s, { at: AT, algorithm: 'MD5' as never }),
    (s) => verifyTotp(s, '123456', { at: AT, window: 11 }),
    (s) => verifyTotp(s, '123456', { at: 5, epoch: 10 }),
    (s) => verifyTotp(`${s}1`, '123456', { at: AT }),
    (s) => verifyTotp(s.slice(0, 16), '123456', { at: AT }),
    (s) => formatSecret(`${s}!`),
  ];
  it.each(secrets)('%s', (secret) => {
    for (const call of calls) {
      let message = '';
      try {
        call(secret);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      expect(message).not.toContain(secret.slice(0, 8));
    }
  });
});
