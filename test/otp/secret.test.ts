import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULTS, decodeBase32, encodeBase32, generateSecret, type RandomSource } from '../../src/index.js';

// A deterministic source: 1, 2, 3, ... so the output can be predicted exactly.
const counting: RandomSource = (bytes) => {
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i + 1) & 0xff;
};
const expectedFor = (n: number) => encodeBase32(Uint8Array.from({ length: n }, (_, i) => (i + 1) & 0xff));

describe('generateSecret', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('defaults to 20 bytes: 32 base32 characters, no padding', () => {
    expect(DEFAULTS.totp.secretBytes).toBe(20);
    const secret = generateSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(decodeBase32(secret)).toHaveLength(20);
  });

  it.each([
    [16, 26],
    [20, 32],
    [32, 52],
    [64, 103],
  ])('%i bytes give %i characters', (bytes, chars) => {
    const secret = generateSecret({ bytes });
    expect(secret).toHaveLength(chars);
    expect(secret).not.toContain('=');
    expect(decodeBase32(secret)).toHaveLength(bytes);
  });

  it('uses the injected random source, with the requested length', () => {
    const asked: number[] = [];
    const spy: RandomSource = (bytes) => {
      asked.push(bytes.length);
      counting(bytes);
    };
    expect(generateSecret({ random: spy })).toBe(expectedFor(20));
    expect(generateSecret({ random: spy, bytes: 33 })).toBe(expectedFor(33));
    expect(asked).toEqual([20, 33]);
  });

  it('accepts crypto.getRandomValues bound to crypto (it returns the array)', () => {
    const secret = generateSecret({ random: crypto.getRandomValues.bind(crypto) });
    expect(decodeBase32(secret)).toHaveLength(20);
  });

  it('real randomness differs between calls', () => {
    const seen = new Set(Array.from({ length: 50 }, () => generateSecret()));
    expect(seen.size).toBe(50);
  });

  it('refuses fewer than 16 or more than 64 bytes with RangeError', () => {
    expect(() => generateSecret({ bytes: 15 })).toThrow(RangeError);
    expect(() => generateSecret({ bytes: 10 })).toThrow('"bytes" expected an integer 16..64, got 10');
    expect(() => generateSecret({ bytes: 65 })).toThrow(RangeError);
    expect(() => generateSecret({ bytes: 16.5 })).toThrow(TypeError);
  });

  it('refuses a source that fills nothing, and a non-function', () => {
    expect(() => generateSecret({ random: () => undefined })).toThrow(/left every byte zero/);
    expect(() => generateSecret({ random: 'crypto' as never })).toThrow(TypeError);
  });

  it('never calls Math.random', () => {
    const spy = vi.spyOn(Math, 'random');
    generateSecret();
    generateSecret({ bytes: 64 });
    expect(spy).not.toHaveBeenCalled();
  });

  it('without globalThis.crypto and no source, throws TypeError instead of weak randomness', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => generateSecret()).toThrow(/no globalThis.crypto/);
    expect(generateSecret({ random: counting })).toBe(expectedFor(20));
  });

  it('lets a source error through unchanged', () => {
    const failure = new Error('entropy pool empty');
    expect(() =>
      generateSecret({
        random: () => {
          throw failure;
        },
      }),
    ).toThrow(failure);
  });
});
