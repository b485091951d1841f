/** The random source of src/random.ts: the Web Crypto default, the option check, the all-zero refusal. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { _fillRandom, _randomBytes, _randomSource, _webCryptoRandom, type RandomSource } from '../../src/shared/random.js';
import { BAD_VALUES } from '../_bad-inputs.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('_webCryptoRandom', () => {
  it('fills through crypto.getRandomValues, looked up at call time', () => {
    const web = vi.spyOn(globalThis.crypto, 'getRandomValues');
    const bytes = new Uint8Array(32);
    _webCryptoRandom()(bytes);
    expect(web).toHaveBeenCalledWith(bytes);
    expect(bytes.some((b) => b !== 0)).toBe(true);
  });

  it('throws a TypeError without Web Crypto', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => _webCryptoRandom()).toThrow('no globalThis.crypto.getRandomValues here; pass options.random');
  });
});

describe('_randomSource', () => {
  it('undefined is the platform CSPRNG; a function is taken as it is', () => {
    const web = vi.spyOn(globalThis.crypto, 'getRandomValues');
    _randomSource(undefined)(new Uint8Array(4));
    expect(web).toHaveBeenCalled();
    const mine: RandomSource = (bytes) => bytes.fill(1);
    expect(_randomSource(mine)).toBe(mine);
  });

  it.each(BAD_VALUES.filter((b) => b.value !== undefined && typeof b.value !== 'function').map((b) => ({ label: b.name, value: b.value })))(
    'refuses $label with a TypeError',
    ({ value }) => {
      expect(() => _randomSource(value)).toThrow('"random" expected a function (bytes: Uint8Array) => void, got');
    },
  );
});

describe('_fillRandom and _randomBytes', () => {
  it('a source that fills nothing is refused, even on a buffer that held bytes before', () => {
    const dirty = new Uint8Array(8).fill(9);
    expect(() => _fillRandom(() => {}, dirty)).toThrow('"random" left every byte zero; it must fill the Uint8Array it is given');
    expect(() => _randomBytes(() => {}, 8)).toThrow(TypeError);
  });

  it('one non-zero byte is enough; the bytes are what the source wrote', () => {
    const bytes = _randomBytes((b) => (b[5] = 1), 8);
    expect([...bytes]).toEqual([0, 0, 0, 0, 0, 1, 0, 0]);
  });

  it('asks for exactly the requested length', () => {
    const lengths: number[] = [];
    _randomBytes((b) => {
      lengths.push(b.length);
      b.fill(7);
    }, 20);
    expect(lengths).toEqual([20]);
  });
});
