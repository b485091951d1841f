/** Key-order-free JSON comparison, src/json.ts: what the conformance kit and the email undo rely on. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { _canonicalJson, _sameJson } from '../../src/shared/json.js';

describe('_canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(_canonicalJson({ b: 1, a: { d: [3, { z: 0, y: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":0}]},"b":1}');
    expect(_canonicalJson([2, 1])).toBe('[2,1]');
  });

  it('leaves scalars as JSON.stringify writes them', () => {
    for (const v of [null, true, 0, -1.5, 'a"b\u2028', Number.MAX_SAFE_INTEGER]) expect(_canonicalJson(v)).toBe(JSON.stringify(v));
  });

  it('sorts by UTF-16 code units, as Array#sort does', () => {
    expect(_canonicalJson({ é: 1, z: 2, Z: 3, '10': 4, '9': 5 })).toBe('{"10":4,"9":5,"Z":3,"z":2,"é":1}');
  });
});

describe('_sameJson', () => {
  it('is true for a reordered copy, false for any changed value', () => {
    const a = { schema: 2, email: { address: 'a@b.co', enrolledAt: 1 }, emailSends: [1, 2] };
    expect(_sameJson(a, { emailSends: [1, 2], email: { enrolledAt: 1, address: 'a@b.co' }, schema: 2 })).toBe(true);
    expect(_sameJson(a, { ...a, emailSends: [2, 1] })).toBe(false);
    expect(_sameJson(a, { ...a, email: { address: 'a@b.co', enrolledAt: 2 } })).toBe(false);
    expect(_sameJson(a, { ...a, extra: null })).toBe(false);
  });

  it('property: a JSON value equals itself after a round trip through JSON text with keys reversed', () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverse(x)]))
          : v;
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const copy = JSON.parse(JSON.stringify(value)) as unknown;
        expect(_sameJson(value, reverse(copy))).toBe(true);
      }),
    );
  });
});
