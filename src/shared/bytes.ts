/**
 * Byte helpers shared by every module: the constant-time comparison and the all-zero check
 * (a key, pepper, IV or random block of only zeros means a stub or an unloaded secret).
 * @module
 */
import { hexToBytes } from '@noble/hashes/utils.js';

/**
 * @internal Whether `a` equals `b` (bytes, or the bytes of a hex string), in time that depends
 * only on the lengths: every byte is XORed into one accumulator and the only branch is on the
 * total. (A string `===` stops at the first difference and leaks how much of a guess was right.)
 */
export function _equalBytes(a: Uint8Array, b: Uint8Array | string): boolean {
  const other = typeof b === 'string' ? hexToBytes(b) : b;
  if (a.length !== other.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ other[i]!;
  return diff === 0;
}

/** @internal Whether every byte is zero (true for no bytes), reading all of them whatever they hold. */
export function _allZero(bytes: Uint8Array): boolean {
  let any = 0;
  for (let i = 0; i < bytes.length; i++) any |= bytes[i]!;
  return any === 0;
}
