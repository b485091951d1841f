import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hotp, totp, verifyTotp, type HashAlgorithm } from '../../src/index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

// RFC 4226 Appendix D: secret "12345678901234567890", HMAC-SHA1, 6 digits.
const RFC4226_SECRET = ascii('12345678901234567890');
const RFC4226 = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

// RFC 6238 Appendix B: 8 digits, 30 s, T0 = 0; each algorithm has its own seed length.
const SEEDS: Record<HashAlgorithm, Uint8Array> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};
const RFC6238: Array<[seconds: number, algorithm: HashAlgorithm, code: string]> = [
  [59, 'SHA1', '94287082'],
  [59, 'SHA256', '46119246'],
  [59, 'SHA512', '90693936'],
  [1111111109, 'SHA1', '07081804'],
  [1111111109, 'SHA256', '68084774'],
  [1111111109, 'SHA512', '25091201'],
  [1111111111, 'SHA1', '14050471'],
  [1111111111, 'SHA256', '67062674'],
  [1111111111, 'SHA512', '99943326'],
  [1234567890, 'SHA1', '89005924'],
  [1234567890, 'SHA256', '91819424'],
  [1234567890, 'SHA512', '93441116'],
  [2000000000, 'SHA1', '69279037'],
  [2000000000, 'SHA256', '90698825'],
  [2000000000, 'SHA512', '38618901'],
  [20000000000, 'SHA1', '65353130'],
  [20000000000, 'SHA256', '77737706'],
  [20000000000, 'SHA512', '47863826'],
];

describe('RFC 4226 Appendix D', () => {
  it.each(RFC4226.map((code, counter) => ({ counter, code })))('hotp counter $counter = $code', ({ counter, code }) => {
    expect(hotp(RFC4226_SECRET, counter)).toBe(code);
  });
});

describe('RFC 6238 Appendix B', () => {
  const rows = RFC6238.map(([seconds, algorithm, code]) => ({ seconds, algorithm, code }));

  it.each(rows)('totp $algorithm at T=$seconds = $code', ({ seconds, algorithm, code }) => {
    expect(totp(SEEDS[algorithm], { at: seconds * 1000, algorithm, digits: 8 })).toBe(code);
  });

  it.each(rows)('totp $algorithm at T=$seconds from a Date and a base32 secret', ({ seconds, algorithm, code }) => {
    const secret = toBase32(SEEDS[algorithm]); // an independent encoder, below
    expect(totp(secret, { at: new Date(seconds * 1000), algorithm, digits: 8 })).toBe(code);
  });

  it.each(rows)('verifyTotp $algorithm accepts $code at T=$seconds with delta 0', ({ seconds, algorithm, code }) => {
    const step = Math.floor(seconds / 30);
    expect(verifyTotp(SEEDS[algorithm], code, { at: seconds * 1000, algorithm, digits: 8 })).toEqual({
      valid: true,
      step,
      delta: 0,
    });
  });

  // T = 20000000000 s is past 2^32 seconds (a 32-bit time_t overflows), but its counter,
  // 666666666, still fits in 32 bits; counters past 2^32 are checked against node:crypto below.
  it('T=20000000000 is past 2^32 seconds while its step fits in 32 bits', () => {
    expect(20000000000).toBeGreaterThan(2 ** 32);
    expect(verifyTotp(SEEDS.SHA1, '65353130', { at: 20000000000 * 1000, digits: 8 })).toMatchObject({ step: 666666666 });
  });
});

// A reference independent of noble: node:crypto's HMAC over a BigInt-written counter.
function referenceHotp(key: Uint8Array, counter: number, algorithm: HashAlgorithm, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm.toLowerCase(), key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

function toBase32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

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

  it('totp with a 1 s period past 2^32 seconds uses the full 64-bit counter', () => {
    const seconds = 2 ** 32 + 5;
    const code = referenceHotp(RFC4226_SECRET, seconds, 'SHA1', 8);
    expect(totp(RFC4226_SECRET, { at: seconds * 1000 + 999, period: 1, digits: 8 })).toBe(code);
    expect(verifyTotp(RFC4226_SECRET, code, { at: seconds * 1000, period: 1, digits: 8 })).toEqual({
      valid: true,
      step: seconds,
      delta: 0,
    });
  });

  it('high and low words both matter: 2^32 and 0 give different codes', () => {
    expect(hotp(RFC4226_SECRET, 2 ** 32)).not.toBe(hotp(RFC4226_SECRET, 0));
    expect(hotp(RFC4226_SECRET, 2 ** 32)).toBe(referenceHotp(RFC4226_SECRET, 2 ** 32, 'SHA1', 6));
  });
});
