/** Set-up tokens, src/setup-token.ts: 256 random bits in base64url, stored only as SHA-256. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { _webCryptoRandom } from '../../src/shared/random.js';
import { hashSetupToken, newSetupToken, sameDigest } from '../../src/service/setup-token.js';

describe('set-up tokens', () => {
  it('43 base64url characters, carrying the 32 random bytes exactly', () => {
    let n = 0;
    const token = newSetupToken((bytes) => bytes.forEach((_, i) => (bytes[i] = (i * 37 + n++) & 0xff)));
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expected = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + i) & 0xff)).toString('base64url');
    expect(token).toBe(expected);
  });

  it('fresh from the platform CSPRNG every time', () => {
    const random = _webCryptoRandom();
    const tokens = new Set(Array.from({ length: 1000 }, () => newSetupToken(random)));
    expect(tokens.size).toBe(1000);
  });

  it('a random source that leaves every byte zero is refused', () => {
    expect(() => newSetupToken(() => {})).toThrow(TypeError);
  });

  it('the stored hash is the hex SHA-256 of the token; input too long to be a token is not hashed', () => {
    const token = newSetupToken(_webCryptoRandom());
    expect(hashSetupToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashSetupToken('x'.repeat(256))).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSetupToken('x'.repeat(257))).toBeNull();
  });

  it('sameDigest compares two digests', () => {
    const a = hashSetupToken('a')!;
    expect(sameDigest(a, a)).toBe(true);
    expect(sameDigest(a, hashSetupToken('b')!)).toBe(false);
    expect(sameDigest(a, a.slice(0, 62))).toBe(false);
  });
});
