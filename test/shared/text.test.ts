/** The text primitives of src/text.ts: the lone-surrogate check and ASCII-only lower-casing. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { _asciiLower, _hasLoneSurrogate } from '../../src/shared/text.js';

describe('_hasLoneSurrogate', () => {
  it.each([
    ['plain ASCII', 'agent-42', false],
    ['the empty string', '', false],
    ['a surrogate pair (an emoji)', 'a\u{1F600}b', false],
    ['a lone high surrogate', 'a\uD800b', true],
    ['a lone low surrogate', 'a\uDC00b', true],
    ['a high surrogate at the end', 'abc\uDBFF', true],
    ['a low surrogate at the start', '\uDFFFabc', true],
    ['two highs in a row', '\uD800\uD800\uDC00', true],
    ['a reversed pair', '\uDC00\uD800', true],
  ])('%s: %s', (_, text, lone) => {
    expect(_hasLoneSurrogate(text)).toBe(lone);
  });

  it('agrees with "cannot round-trip through UTF-8" on random UTF-16', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.array(fc.integer({ min: 0xd800, max: 0xdfff }), { maxLength: 3 }), (text, units) => {
        const s = text + String.fromCharCode(...units);
        const roundTrips = new TextDecoder().decode(new TextEncoder().encode(s)) === s;
        expect(_hasLoneSurrogate(s)).toBe(!roundTrips);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('_asciiLower', () => {
  it('folds A-Z and nothing else', () => {
    expect(_asciiLower('Ann.Lee+HELP@Example.COM')).toBe('ann.lee+help@example.com');
    expect(_asciiLower('SHA1')).toBe('sha1');
    // Look-alikes that Unicode case mapping would turn into ASCII stay as they are.
    expect(_asciiLower('\u212A')).toBe('\u212A'); // Kelvin sign
    expect(_asciiLower('\u017F')).toBe('\u017F'); // long s
    expect(_asciiLower('İÉÀ')).toBe('İÉÀ');
  });

  it('equals toLowerCase on ASCII text', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0, max: 127 }).map((c) => String.fromCharCode(c)) }), (text) => {
        expect(_asciiLower(text)).toBe(text.toLowerCase());
      }),
    );
  });
});
