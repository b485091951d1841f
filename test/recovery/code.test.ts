/** Recovery codes as the agent sees them, src/recovery/code.ts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRecoveryCode, generateRecoveryCodes, normalizeRecoveryCode } from '../../src/recovery/code.js';
import { _webCryptoRandom } from '../../src/shared/random.js';

describe('recovery codes', () => {
  it('count distinct codes of length base32 characters, in two halves', () => {
    const codes = generateRecoveryCodes(_webCryptoRandom(), 10, 10);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
  });

  it('each character carries 5 uniform bits: every symbol appears, roughly evenly, over many codes', () => {
    const counts = new Map<string, number>();
    for (const c of generateRecoveryCodes(_webCryptoRandom(), 2000, 10)) for (const ch of c.replace('-', '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect(counts.size).toBe(32);
    // 20,000 symbols: 625 expected each; a biased draw (e.g. modulo over a non-multiple) would skew far more.
    for (const n of counts.values()) expect(Math.abs(n - 625)).toBeLessThan(150);
  });

  it('a random source that repeats itself still yields distinct codes, and one that writes nothing is refused', () => {
    let i = 0;
    const cycling = (bytes: Uint8Array) => bytes.forEach((_, k) => (bytes[k] = (i++ % 3) + 1));
    expect(new Set(generateRecoveryCodes(cycling, 3, 10)).size).toBe(3);
    expect(() => generateRecoveryCodes(() => {}, 1, 10)).toThrow(TypeError);
  });

  it.each([
    ['ABCDE-FGHIJ', 'ABCDEFGHIJ'], ['abcde-fghij', 'ABCDEFGHIJ'], [' ABCDE FGHIJ ', 'ABCDEFGHIJ'], ['AB-CDE-FG-HIJ', 'ABCDEFGHIJ'], ['ABCDE\tFGHIJ', 'ABCDEFGHIJ'],
  ])('normalizes %j', (input, out) => {
    expect(normalizeRecoveryCode(input, 10)).toBe(out);
  });

  it.each(['ABCDE-FGHI', 'ABCDEFGHIJK', 'ABCD1-FGHIJ', 'ABCD0-FGHIJ', 'ABCD8-FGHIJ', 'ABCDÉ-FGHIJ', 'ABCDıFGHIJ', '🙂BCDE-FGHIJ', '', 7, null])('refuses %j', (input) => {
    expect(normalizeRecoveryCode(input, 10)).toBeNull();
  });

  it('property: formatting then normalizing gives the code back', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Z2-7]{10}$/), (code) => normalizeRecoveryCode(formatRecoveryCode(code), 10) === code));
  });
});
