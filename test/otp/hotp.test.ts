// hotp (src/otp/hotp.ts): the RFC 4226 Appendix D vectors, and counters beyond 2^32, keys of
// every length around the hash blocks and random inputs against node:crypto's HMAC.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hotp, type HashAlgorithm } from '../../src/index.js';
import { RFC4226_SECRET, SEEDS, referenceHotp } from './_reference.js';

const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

describe('RFC 4226 Appendix D', () => {
  it.each(RFC4226.map((code, counter) => ({ counter, code })))('hotp counter $counter = $code', ({ counter, code }) => {
    expect(hotp(RFC4226_SECRET, counter)).toBe(code);
  });
});

describe('hotp counters beyond 2^32 (node:crypto reference)', () => {
  const counters = [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 40 + 12345, 2 ** 52 + 7, Number.MAX_SAFE_INTEGER];
  const algorithms: HashAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
  const cases = counters.flatMap((counter) => algorithms.map((algorithm) => ({ counter, algorithm })));

  it.each(cases)('counter $counter with $algorithm', ({ counter, algorithm }) => {
    const key = SEEDS[algorithm];
    expect(hotp(key, counter, { algorithm, digits: 8 })).toBe(referenceHotp(key, counter, algorithm, 8));
  });

  // Keys up to 300 bytes: longer than SHA1's and SHA-512's block, so RFC 2104 §2 hashes them first.
  it('agrees with node:crypto on random safe-integer counters, keys, algorithms and digits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 300, size: 'max' }),
        fc.maxSafeNat(),
        fc.constantFrom<HashAlgorithm>('SHA1', 'SHA256', 'SHA512'),
        fc.integer({ min: 6, max: 8 }),
        (key, counter, algorithm, digits) => {
          expect(hotp(key, counter, { algorithm, digits })).toBe(referenceHotp(key, counter, algorithm, digits));
        },
      ),
      { numRuns: 500 },
    );
  });

  // RFC 2104 §2: keys longer than the block (64 bytes for SHA1/SHA256, 128 for SHA512) are hashed.
  const lengths = [16, 63, 64, 65, 100, 127, 128, 129, 300];
  it.each(lengths.flatMap((length) => algorithms.map((algorithm) => ({ length, algorithm }))))(
    'a $length-byte key with $algorithm',
    ({ length, algorithm }) => {
      const key = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(hotp(key, 123_456_789, { algorithm, digits: 8 })).toBe(referenceHotp(key, 123_456_789, algorithm, 8));
    },
  );

  it('high and low words both matter: 2^32 and 0 give different codes', () => {
    expect(hotp(RFC4226_SECRET, 2 ** 32)).not.toBe(hotp(RFC4226_SECRET, 0));
    expect(hotp(RFC4226_SECRET, 2 ** 32)).toBe(referenceHotp(RFC4226_SECRET, 2 ** 32, 'SHA1', 6));
  });
});
