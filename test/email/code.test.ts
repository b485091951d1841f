// generateEmailCode: exact length, uniform digits by rejection sampling, no hang on a broken
// source, and a chi-squared test that is shown able to fail (a negative control).
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RandomSource } from '../../src/index.js';
import { generateEmailCode } from '../../src/email/code.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { chiSquared, chiSquaredSurvival, digitCounts, sha256Stream } from './_stats.js';

const N = 200_000;

// Critical values of chi-squared, computed with scipy.stats.chi2.isf(p, df) and cross-checked
// with mpmath's regularized upper incomplete gamma (and below, with the closed form).
/** df = 9, p = 0.001 (every table: 27.877). */
const CHI2_9_P1E3 = 27.877164871256575;
/** df = 9, p = 1e-6. */
const CHI2_9_P1E6 = 44.81093787068782;
/** df = 99, p = 0.001. */
const CHI2_99_P1E3 = 148.23035916510173;

/** The biased generator the rejection sampling exists to avoid: `byte % 10` on every byte. */
function moduloBiasedCode(digits: number, random: RandomSource): string {
  const bytes = new Uint8Array(digits);
  random(bytes);
  return Array.from(bytes, (b) => String(b % 10)).join('');
}

/** Chi-squared of each digit position, and of all positions pooled. */
function positionStats(codes: readonly string[], length: number): { perPosition: number[]; pooled: number } {
  const counts = digitCounts(codes, length);
  const pooled = new Array<number>(10).fill(0);
  for (const c of counts) c.forEach((n, d) => (pooled[d]! += n));
  return { perPosition: counts.map(chiSquared), pooled: chiSquared(pooled) };
}

describe('the cited chi-squared critical values', () => {
  it.each([
    [CHI2_9_P1E3, 9, 1e-3],
    [CHI2_9_P1E6, 9, 1e-6],
    [CHI2_99_P1E3, 99, 1e-3],
  ])('chi2 = %d at df %i has upper tail %d', (x, df, p) => {
    expect(chiSquaredSurvival(x, df) / p).toBeCloseTo(1, 4);
  });

  it('the closed form agrees with known table values', () => {
    // df 9: P(X >= 16.919) = 0.05 and P(X >= 21.666) = 0.01 in every printed table.
    expect(chiSquaredSurvival(16.918977604620448, 9)).toBeCloseTo(0.05, 6);
    expect(chiSquaredSurvival(21.665994333461924, 9)).toBeCloseTo(0.01, 6);
  });
});

describe('distribution of generateEmailCode(6)', () => {
  it(`deterministic stream: every position and the pooled digits pass at p > 0.001 (${N} codes)`, () => {
    const random = sha256Stream('twofold email-code chi-squared v1');
    const codes = Array.from({ length: N }, () => generateEmailCode(6, random));
    const { perPosition, pooled } = positionStats(codes, 6);
    for (const chi2 of perPosition) expect(chi2).toBeLessThan(CHI2_9_P1E3);
    expect(pooled).toBeLessThan(CHI2_9_P1E3);
    // Independence of neighbouring positions: the 100 (d_i, d_i+1) pairs, df = 99.
    for (let i = 0; i < 5; i++) {
      const pairs = new Array<number>(100).fill(0);
      for (const code of codes) pairs[Number(code.slice(i, i + 2))]!++;
      expect(chiSquared(pairs)).toBeLessThan(CHI2_99_P1E3);
    }
  });

  it(`Web Crypto: every position passes at p > 1e-6 (false alarm about 6e-6 per run)`, () => {
    const codes = Array.from({ length: N }, () => generateEmailCode(6));
    const { perPosition, pooled } = positionStats(codes, 6);
    for (const chi2 of perPosition) expect(chi2).toBeLessThan(CHI2_9_P1E6);
    expect(pooled).toBeLessThan(CHI2_9_P1E6);
  });

  it('negative control: the same test flags byte % 10 without rejection', () => {
    // 0..5 come from 26 byte values each, 6..9 from 25: the expected chi2 at N codes is
    // about 73 + 9 per position, far above both thresholds.
    const random = sha256Stream('twofold email-code chi-squared v1');
    const codes = Array.from({ length: N }, () => moduloBiasedCode(6, random));
    const { perPosition, pooled } = positionStats(codes, 6);
    for (const chi2 of perPosition) expect(chi2).toBeGreaterThan(CHI2_9_P1E6);
    expect(pooled).toBeGreaterThan(CHI2_9_P1E6);
  });

  it('keeps leading zeros: about a tenth of codes start with 0, and all have 6 characters', () => {
    const random = sha256Stream('leading zeros');
    const codes = Array.from({ length: 20_000 }, () => generateEmailCode(6, random));
    const leading = codes.filter((c) => c.startsWith('0'));
    expect(leading.length).toBeGreaterThan(1_700);
    expect(leading.length).toBeLessThan(2_300);
    expect(codes.some((c) => c.startsWith('00'))).toBe(true);
    for (const c of codes) expect(c).toMatch(/^[0-9]{6}$/);
  });
});

describe('length', () => {
  it.each([6, 7, 8, 9, 10])('%i digits: always exactly that many ASCII digits', (digits) => {
    const random = sha256Stream(`length ${digits}`);
    const pattern = new RegExp(`^[0-9]{${digits}}$`);
    for (let i = 0; i < 5_000; i++) expect(generateEmailCode(digits, random)).toMatch(pattern);
    expect(generateEmailCode(digits)).toMatch(pattern);
  });

  it.each([
    [5, RangeError],
    [11, RangeError],
    [0, RangeError],
    [-6, RangeError],
    [6.5, TypeError],
    [Number.NaN, TypeError],
    ['6', TypeError],
  ])('digits %s is refused with %o', (digits, error) => {
    expect(() => generateEmailCode(digits as number)).toThrow(error as ErrorConstructor);
  });

  it('the message names the range', () => {
    expect(() => generateEmailCode(11)).toThrow('"digits" expected an integer 6..10, got 11');
  });
});

describe('rejection sampling', () => {
  it('skips bytes of 250 and above and maps the rest modulo 10', () => {
    const fed = [255, 250, 251, 7, 252, 249, 0, 253, 254, 10, 123, 99];
    const random: RandomSource = (bytes) => bytes.set(fed.slice(0, bytes.length));
    // 7, 249 % 10 = 9, 0, 10 % 10 = 0, 123 % 10 = 3, 99 % 10 = 9
    expect(generateEmailCode(6, random)).toBe('790039');
  });

  it('draws another block when one has too few usable bytes', () => {
    const blocks = [
      [1, 2, 3, ...new Array<number>(29).fill(250)],
      [4, 5, 6, 7, 8, 9, 1, 2, 3, 4],
    ];
    const lengths: number[] = [];
    const random: RandomSource = (bytes) => {
      lengths.push(bytes.length);
      bytes.set(blocks[lengths.length - 1]!.slice(0, bytes.length));
    };
    expect(generateEmailCode(8, random)).toBe('12345678');
    expect(lengths).toEqual([32, 32]);
  });

  it('a source that always gives 255 is refused after 8 blocks, not looped on', () => {
    let calls = 0;
    const random: RandomSource = (bytes) => {
      calls++;
      bytes.fill(255);
    };
    expect(() => generateEmailCode(6, random)).toThrow(TypeError);
    expect(() => generateEmailCode(6, random)).toThrow(/random" source looks broken/);
    expect(calls).toBe(16);
  });

  it('a source that yields some usable bytes but too few in 256 is refused too', () => {
    // One usable byte per block: 8 digits can never be reached.
    const random: RandomSource = (bytes) => {
      bytes.fill(251);
      bytes[0] = 5;
    };
    expect(() => generateEmailCode(10, random)).toThrow(/looks broken/);
  });

  it('a source that fills nothing (all zero) is refused, not turned into 000000', () => {
    expect(() => generateEmailCode(6, () => {})).toThrow('"random" left every byte zero');
  });

  it('wipes its buffer after use', () => {
    let seen: Uint8Array | undefined;
    generateEmailCode(6, (bytes) => {
      seen = bytes;
      bytes.fill(17);
    });
    expect([...seen!].every((b) => b === 0)).toBe(true);
  });
});

describe('the random source', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('defaults to crypto.getRandomValues, never Math.random', () => {
    const web = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const math = vi.spyOn(Math, 'random');
    expect(generateEmailCode(6)).toMatch(/^[0-9]{6}$/);
    expect(web).toHaveBeenCalled();
    expect(math).not.toHaveBeenCalled();
  });

  it('without Web Crypto and without a source it throws a TypeError', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => generateEmailCode(6)).toThrow('no globalThis.crypto.getRandomValues here');
    expect(generateEmailCode(6, sha256Stream('x'))).toMatch(/^[0-9]{6}$/);
  });

  it('accepts crypto.getRandomValues bound to crypto', () => {
    expect(generateEmailCode(10, crypto.getRandomValues.bind(crypto))).toMatch(/^[0-9]{10}$/);
  });

  it('real randomness differs between calls', () => {
    const seen = new Set(Array.from({ length: 50 }, () => generateEmailCode(10)));
    expect(seen.size).toBe(50);
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad random: $label', ({ value }) => {
    // undefined means Web Crypto; the listed function fills nothing; the rest are not functions.
    if (value === undefined) expect(generateEmailCode(6, value)).toMatch(/^[0-9]{6}$/);
    else expect(() => generateEmailCode(6, value as never)).toThrow(TypeError);
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('bad digits: $label', ({ value }) => {
    const isInt = typeof value === 'number' && Number.isInteger(value);
    expect(() => generateEmailCode(value as never)).toThrow(isInt ? RangeError : TypeError);
  });
});
