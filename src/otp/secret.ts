import { DEFAULTS } from '../defaults.js';
import { _describe, _integer, _options } from '../_validate.js';
import { encodeBase32 } from './base32.js';

/** Largest secret `generateSecret` makes: 64 bytes, the SHA-512 output (RFC 6238 Appendix B seed). */
const MAX_SECRET_BYTES = 64;

/**
 * A source of cryptographically secure random bytes: it must fill the whole array it is given,
 * in place (its return value is ignored). `crypto.getRandomValues.bind(crypto)` is one; tests
 * pass a deterministic one.
 */
export type RandomSource = (bytes: Uint8Array) => void;

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
  const { secretBytes, minSecretBytes } = DEFAULTS.totp;
  const length = o.bytes === undefined ? secretBytes : _integer('bytes', o.bytes, minSecretBytes, MAX_SECRET_BYTES);
  const random = o.random === undefined ? _webCryptoRandom() : o.random;
  if (typeof random !== 'function') {
    throw new TypeError(`"random" expected a function (bytes: Uint8Array) => void, got ${_describe(random)}`);
  }
  const bytes = _randomBytes(random as RandomSource, length);
  const secret = encodeBase32(bytes);
  bytes.fill(0);
  return secret;
}

/**
 * @internal `length` bytes from `random`, refusing a source that left them all zero (a stub
 * or a broken binding would otherwise hand out one fixed secret or token to everyone).
 */
export function _randomBytes(random: RandomSource, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  random(bytes);
  let any = 0;
  for (let i = 0; i < bytes.length; i++) any |= bytes[i]!;
  if (any === 0) throw new TypeError('"random" left every byte zero; it must fill the Uint8Array it is given');
  return bytes;
}

/** @internal The platform CSPRNG, looked up at call time so importing this module has no effect. */
export function _webCryptoRandom(): RandomSource {
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => unknown } }).crypto;
  if (typeof webCrypto?.getRandomValues !== 'function') {
    throw new TypeError('no globalThis.crypto.getRandomValues here; pass options.random');
  }
  return (bytes) => {
    webCrypto.getRandomValues!(bytes);
  };
}
