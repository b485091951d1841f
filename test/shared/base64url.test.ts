/** Base64url of src/base64url.ts: node:crypto's Buffer as the reference, and the strict decoder. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { _base64UrlLength, _decodeBase64Url, _encodeBase64Url } from '../../src/shared/base64url.js';

describe('_encodeBase64Url', () => {
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('RFC 4648 §10: %j is %j (unpadded)', (plain, text) => {
    expect(_encodeBase64Url(new TextEncoder().encode(plain))).toBe(text);
  });

  it('agrees with Buffer base64url on random bytes, and the length formula holds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = _encodeBase64Url(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64url'));
        expect(text).toHaveLength(_base64UrlLength(bytes.length));
        expect(_decodeBase64Url(text)).toEqual(bytes);
      }),
      { numRuns: 500 },
    );
  });
});

describe('_decodeBase64Url (strict)', () => {
  it.each([
    ['a length of 4k+1', 'Zm9vY'],
    ['padding', 'Zg=='],
    ['the standard alphabet', 'a+/b'],
    ['a space', 'Zm 9v'],
    ['non-ASCII', 'Zm9é'],
    ['non-zero unused bits', 'Zh'],
  ])('refuses %s', (_, text) => {
    expect(_decodeBase64Url(text)).toBeNull();
  });

  it('the empty text is no bytes', () => {
    expect(_decodeBase64Url('')).toEqual(new Uint8Array(0));
  });
});
