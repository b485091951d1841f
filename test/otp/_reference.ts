// Reference material shared by test/otp/hotp.test.ts and test/otp/totp.test.ts: the RFC test
// secrets, and an HOTP and a base32 encoder independent of twofold and of noble.
import { createHmac } from 'node:crypto';
import type { HashAlgorithm } from '../../src/index.js';

const ascii = (s: string) => new TextEncoder().encode(s);

// RFC 4226 Appendix D: secret "12345678901234567890", HMAC-SHA1, 6 digits.
export const RFC4226_SECRET = ascii('12345678901234567890');

// RFC 6238 Appendix B: 8 digits, 30 s, T0 = 0; each algorithm has its own seed length.
export const SEEDS: Record<HashAlgorithm, Uint8Array> = {
  SHA1: ascii('12345678901234567890'),
  SHA256: ascii('12345678901234567890123456789012'),
  SHA512: ascii('1234567890123456789012345678901234567890123456789012345678901234'),
};

// A reference independent of noble: node:crypto's HMAC over a BigInt-written counter.
export function referenceHotp(key: Uint8Array, counter: number, algorithm: HashAlgorithm, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm.toLowerCase(), key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

export function toBase32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}
