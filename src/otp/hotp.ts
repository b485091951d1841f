/**
 * RFC 4226 HOTP: the code for one counter value, and the helpers TOTP shares with it.
 * @module
 */
import type { CHash } from '@noble/hashes/utils.js';
import { _digitsOption, type HashAlgorithm } from '../shared/limits.js';
import { _formatCode } from '../shared/typed-code.js';
import { _integer, _options } from '../shared/validate.js';
import { _CounterMac, _hashFor, _secretKey } from './_core.js';

export type { HashAlgorithm } from '../shared/limits.js';

/** Options of {@link hotp}. Omitted values come from `DEFAULTS.totp`. */
export interface HotpOptions {
  /** HMAC hash; default `'SHA1'`. */
  algorithm?: HashAlgorithm;
  /** Code length, an integer 6..8; default 6. */
  digits?: number;
  /** Accept a secret shorter than 16 bytes (imported legacy secrets); default false. */
  allowShortSecret?: boolean;
}

/**
 * Computes an RFC 4226 HOTP code for one counter value.
 *
 * @param secret - The shared key: bytes, or a base32 string (as shown to users).
 * @param counter - The moving factor, a safe integer >= 0 (values past 2^32 are exact).
 * @returns The code as a string of `digits` ASCII digits, zero-padded.
 * @throws TypeError / RangeError for a wrong counter or option (programmer errors).
 * @throws TwoFactorError `INVALID_SECRET` when the secret is not base32, empty or too short.
 * @example
 * ```ts
 * const secret = new TextEncoder().encode('12345678901234567890');
 * hotp(secret, 0); // '755224' (RFC 4226 Appendix D)
 * ```
 */
export function hotp(secret: Uint8Array | string, counter: number, options?: HotpOptions): string {
  const o = _options('options', options);
  const hash = _hashFor(o.algorithm);
  const digits = _digitsOption('digits', o.digits);
  _integer('counter', counter, 0, Number.MAX_SAFE_INTEGER);
  const key = _secretKey(secret, o.allowShortSecret);
  try {
    return _hotp(hash, key, counter, digits);
  } finally {
    _wipeDecoded(secret, key);
  }
}

/** @internal Zeroes key bytes that twofold decoded from a base32 string (never the caller's array). */
export function _wipeDecoded(secret: unknown, key: Uint8Array): void {
  if (typeof secret === 'string') key.fill(0);
}

/**
 * @internal HOTP on already validated arguments: HMAC of the 8-byte big-endian counter
 * (RFC 4226 §5.2), then dynamic truncation (§5.3).
 */
export function _hotp(hash: CHash, key: Uint8Array, counter: number, digits: number): string {
  const mac = new _CounterMac(hash, key);
  const value = mac.truncated(counter, digits);
  mac.destroy();
  return _formatCode(value, digits);
}
