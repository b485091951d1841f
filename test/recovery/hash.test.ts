/** Recovery codes at rest, src/recovery/hash.ts. */
import { createHmac, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { indexOfDigest, pepperFingerprint, recoveryDigest } from '../../src/recovery/hash.js';

const PEPPER = new TextEncoder().encode('p'.repeat(32));

describe('recoveryDigest', () => {
  it('with a pepper: HMAC-SHA-256 over a domain-separated input (not the bare code, which keys email codes)', async () => {
    const expected = createHmac('sha256', PEPPER).update('twofold recovery code v1\u0000ABCDEFGHIJ').digest('hex');
    expect(await recoveryDigest('ABCDEFGHIJ', { kind: 'hmac', pepper: PEPPER })).toBe(expected);
    expect(expected).not.toBe(createHmac('sha256', PEPPER).update('ABCDEFGHIJ').digest('hex'));
  });

  it('without: scrypt with the set\'s salt and parameters, as node:crypto computes it', async () => {
    const salt = new Uint8Array(16).fill(7);
    const params = { N: 1024, r: 8, p: 1, dkLen: 32 };
    const expected = scryptSync('ABCDEFGHIJ', salt, 32, { N: 1024, r: 8, p: 1 }).toString('hex');
    expect(await recoveryDigest('ABCDEFGHIJ', { kind: 'scrypt', salt, params })).toBe(expected);
    expect(await recoveryDigest('ABCDEFGHIJ', { kind: 'scrypt', salt: new Uint8Array(16).fill(8), params })).not.toBe(expected);
  });
});

describe('pepperFingerprint and indexOfDigest', () => {
  it('a fingerprint is 16 hex characters, the same for the same pepper, different for another, and not the pepper', () => {
    const a = pepperFingerprint(PEPPER);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(pepperFingerprint(Uint8Array.from(PEPPER))).toBe(a);
    expect(pepperFingerprint(new TextEncoder().encode('q'.repeat(32)))).not.toBe(a);
  });

  it.each([
    ['a'.repeat(64), ['b'.repeat(64), 'a'.repeat(64), 'c'.repeat(64)], 1],
    ['a'.repeat(64), ['a'.repeat(64), 'a'.repeat(64)], 0],
    ['d'.repeat(64), ['b'.repeat(64), 'c'.repeat(64)], -1],
    ['a'.repeat(64), [], -1],
  ])('indexOfDigest(%s, …) = %i', (digest, digests, index) => {
    expect(indexOfDigest(digest, digests)).toBe(index);
  });
});
