/**
 * New TOTP/HOTP secrets: random bytes from the given source or Web Crypto, as base32.
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { _SECRET_BYTES } from '../shared/limits.js';
import { _randomBytes, _randomSource, type RandomSource } from '../shared/random.js';
import { _integer, _options } from '../shared/validate.js';
import { encodeBase32 } from './base32.js';

export type { RandomSource } from '../shared/random.js';

/** Options of {@link generateSecret}. */
export interface GenerateSecretOptions {
  /** Key length in bytes, an integer 16..64; default 20 (160 bits, RFC 4226 §4 R6 recommends it). */
  bytes?: number;
  /** Where the bytes come from; default `globalThis.crypto.getRandomValues`. */
  random?: RandomSource;
}

/**
 * Generates a new TOTP/HOTP secret, returned as base32 without padding (what apps accept).
 *
 * The default random source is the Web Crypto CSPRNG (`globalThis.crypto`, present in Node 20+,
 * browsers, Deno, Bun and workers); `Math.random` is never used. As a guard against a stub that
 * forgets to fill the array, a source that leaves every byte zero is refused (the chance of that
 * from a real CSPRNG is at most 2^-128).
 *
 * @returns A base32 string of `ceil(bytes * 8 / 5)` characters (32 for the default 20 bytes).
 * @throws RangeError when `bytes` is outside 16..64.
 * @throws TypeError when `random` is not a function or leaves the bytes all zero, or when no
 *   `globalThis.crypto` exists and no `random` was given.
 * @example
 * ```ts
 * const secret = generateSecret(); // e.g. 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'
 * generateSecret({ bytes: 32 });   // for SHA256
 * ```
 */
export function generateSecret(options?: GenerateSecretOptions): string {
  const o = _options('options', options);
  const { min, max } = _SECRET_BYTES;
  const length = o.bytes === undefined ? DEFAULTS.totp.secretBytes : _integer('bytes', o.bytes, min, max);
  const bytes = _randomBytes(_randomSource(o.random), length);
  const secret = encodeBase32(bytes);
  bytes.fill(0);
  return secret;
}
