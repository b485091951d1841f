import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TwoFactorError, decodeBase32, encodeBase32, formatSecret } from '../../src/index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

// RFC 4648 §10 test vectors, without the padding apps do not use.
const RFC4648 = [
  ['', ''],
  ['f', 'MY'],
  ['fo', 'MZXQ'],
  ['foo', 'MZXW6'],
  ['foob', 'MZXW6YQ'],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI'],
] as const;

describe('RFC 4648 §10 vectors', () => {
  it.each(RFC4648)('encode(%j) = %j', (plain, encoded) => {
    expect(encodeBase32(ascii(plain))).toBe(encoded);
  });
  it.each(RFC4648.filter(([plain]) => plain !== ''))('decode(%j padded) round-trips', (plain, encoded) => {
    const padded = encoded.padEnd(Math.ceil(encoded.length / 8) * 8, '=');
    expect(decodeBase32(padded)).toEqual(ascii(plain));
    expect(decodeBase32(encoded)).toEqual(ascii(plain));
  });
});

describe('properties and differential (otpauth Secret as a Buffer-free reference)', () => {
  it('decode(encode(bytes)) = bytes, and the result is a plain Uint8Array', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200, size: 'max' }), (bytes) => {
        const text = encodeBase32(bytes);
        expect(text).toMatch(/^[A-Z2-7]+$/);
        const back = decodeBase32(text);
        expect(back).toEqual(bytes);
        expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes and decodes like otpauth on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 100, size: 'max' }), (bytes) => {
        const reference = new OTPAuth.Secret({ buffer: bytes.slice().buffer }).base32;
        expect(encodeBase32(bytes)).toBe(reference);
        expect(decodeBase32(reference)).toEqual(OTPAuth.Secret.fromBase32(reference).bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes a subarray view, not its whole buffer', () => {
    const whole = ascii('xxfoobarxx');
    expect(encodeBase32(whole.subarray(2, 8))).toBe('MZXW6YTBOI');
  });
});

// Spellings of 'foobar' (MZXW6YTBOI) that decodeBase32 reads as it, and formatSecret, which
// normalizes the same way, writes as 'MZXW 6YTB OI'.
const FOOBAR_SPELLINGS = [
  ['lower case', 'mzxw6ytboi'],
  ['mixed case', 'MzXw6YtBoI'],
  ['spaces in groups of 4', 'MZXW 6YTB OI'],
  ['hyphens', 'MZXW-6YTB-OI'],
  ['lower case and hyphens', 'mzxw-6ytb-oi'],
  ['padding', 'MZXW6YTBOI======'],
  ['short padding', 'MZXW6YTBOI=='],
  ['tabs and newlines', '\tMZXW6\nYTBOI\r\n'],
  ['all at once', ' mzxw-6ytb oi== '],
] as const;

describe('normalization', () => {
  const bytes = ascii('foobar');
  it.each(FOOBAR_SPELLINGS)('%s', (_name, text) => {
    expect(decodeBase32(text)).toEqual(bytes);
  });
  it.each(FOOBAR_SPELLINGS)('formatSecret: %s', (_name, text) => {
    expect(formatSecret(text)).toBe('MZXW 6YTB OI');
  });
});

describe('refusals (TwoFactorError INVALID_SECRET, never a different key)', () => {
  it.each([
    ['the digit 1', 'MZXW1YTBOI'],
    ['the digit 0', 'MZXW0YTBOI'],
    ['the digit 8', 'MZXW8YTBOI'],
    ['the digit 9', 'MZXW9YTBOI'],
    ['an exclamation mark', 'MZXW6YTBOI!'],
    ['a dot', 'MZXW.6YTB'],
    ['padding in the middle', 'MZ======XW6YTBOI'],
    ['a residue of 1', 'MZXW6YTBO'],
    ['a residue of 3', 'MZX'],
    ['a residue of 6', 'MZXW6Y'],
    ['a single character', 'M'],
    ['empty', ''],
    ['only spaces and hyphens', ' - - '],
    ['only padding', '========'],
    ['a non-ASCII letter', 'MZXWÉYTBOI'],
    // toUpperCase maps these onto the alphabet: they must be refused before it runs.
    ['a dotless i (upper-cases to I)', 'ı'.repeat(32)],
    ['a long s (upper-cases to S)', 'ſ'.repeat(32)],
    ['a sharp s (upper-cases to SS)', 'ß'.repeat(16)],
    ['an st ligature (upper-cases to ST)', 'ﬆ'.repeat(16)],
    ['too long', 'A'.repeat(8200)],
  ])('%s', (_name, text) => {
    let error: unknown;
    try {
      decodeBase32(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TwoFactorError);
    expect(error).toMatchObject({ code: 'INVALID_SECRET' });
    if (text.length >= 4) expect((error as Error).message).not.toContain(text);
  });

  it('residues 0, 2, 4, 5 and 7 are the lengths bytes encode to', () => {
    const residues = new Set<number>();
    for (let n = 1; n <= 10; n++) residues.add(encodeBase32(new Uint8Array(n).fill(7)).length % 8);
    expect([...residues].sort()).toEqual([0, 2, 4, 5, 7]);
  });

  it('wrong types throw TypeError', () => {
    expect(() => encodeBase32('foo' as never)).toThrow(TypeError);
    expect(() => encodeBase32([1, 2] as never)).toThrow(TypeError);
    expect(() => decodeBase32(ascii('MZXW') as never)).toThrow(TypeError);
    expect(() => formatSecret(null as never)).toThrow(TypeError);
  });
});

describe('formatSecret', () => {
  it.each([
    ['jbswy3dpehpk3pxp', 'JBSW Y3DP EHPK 3PXP'],
    ['GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 'GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ'],
    ['MZXW', 'MZXW'],
    ['MY', 'MY'],
  ])('%j -> %j', (input, formatted) => {
    expect(formatSecret(input)).toBe(formatted);
  });

  it('decode(formatSecret(x)) = decode(x) on random keys, in any case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64, size: 'max' }), fc.boolean(), (bytes, lower) => {
        const text = lower ? encodeBase32(bytes).toLowerCase() : encodeBase32(bytes);
        const formatted = formatSecret(text);
        expect(formatted).toMatch(/^([A-Z2-7]{4} )*[A-Z2-7]{1,4}$/);
        expect(decodeBase32(formatted)).toEqual(decodeBase32(text));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what decodeBase32 refuses', () => {
    expect(() => formatSecret('MZXW1')).toThrow(TwoFactorError);
    expect(() => formatSecret('')).toThrow(TwoFactorError);
  });
});
