// The byte helpers of src/bytes.ts: the constant-time comparison (moved here from
// test/email/hash.test.ts with its function) and the all-zero check.
import { describe, expect, it } from 'vitest';
import { _allZero, _equalBytes } from '../../src/shared/bytes.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('_equalBytes (the constant-time comparison)', () => {
  const a = Uint8Array.from({ length: 32 }, (_, i) => i);
  const flip = (at: number) => a.map((v, i) => (i === at ? v ^ 1 : v));
  it.each([
    ['equal', a, a.slice(), true],
    ['first byte differs', a, flip(0), false],
    ['last byte differs', a, flip(31), false],
    ['a middle byte differs', a, flip(16), false],
    ['shorter', a, a.slice(0, 31), false],
    ['longer', a.slice(0, 31), a, false],
    ['both empty', new Uint8Array(0), new Uint8Array(0), true],
  ])('%s', (_, x, y, equal) => {
    expect(_equalBytes(x, y)).toBe(equal);
  });

  it('compares against hex text by its bytes', () => {
    expect(_equalBytes(a, hex(a))).toBe(true);
    expect(_equalBytes(a, hex(a).toUpperCase())).toBe(true);
    expect(_equalBytes(a, hex(flip(31)))).toBe(false);
  });

  it('accumulates every byte instead of stopping at the first difference', () => {
    // Every byte of both inputs is read even when the first one already differs.
    const reads: number[] = [];
    const spy = new Proxy(flip(0), {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads.push(Number(key));
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
      },
    });
    expect(_equalBytes(a, spy)).toBe(false);
    expect(reads).toEqual(Array.from({ length: 32 }, (_, i) => i));
  });
});

describe('_allZero', () => {
  it.each([
    ['no bytes', new Uint8Array(0), true],
    ['one zero', new Uint8Array(1), true],
    ['32 zeros', new Uint8Array(32), true],
    ['a one at the start', Uint8Array.from([1, 0, 0, 0]), false],
    ['a one at the end', Uint8Array.from([0, 0, 0, 1]), false],
    ['only the high bit', Uint8Array.from([0, 0x80, 0]), false],
    ['all 0xff', new Uint8Array(16).fill(0xff), false],
  ])('%s', (_, bytes, zero) => {
    expect(_allZero(bytes)).toBe(zero);
  });

  it('reads every byte instead of stopping at the first non-zero one', () => {
    const reads: number[] = [];
    const spy = new Proxy(Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0]), {
      get(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads.push(Number(key));
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? (v as () => unknown).bind(target) : v;
      },
    });
    expect(_allZero(spy)).toBe(false);
    expect(reads).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
