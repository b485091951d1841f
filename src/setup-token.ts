/**
 * @module Set-up tokens: the opaque value that binds a pending TOTP set-up to the session that
 * began it. 256 random bits, base64url; only the SHA-256 of a token is stored (a token has
 * far too much entropy to be found from its hash, so no salt or pepper is needed).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { _equalBytes } from './bytes.js';
import { _randomBytes, type RandomSource } from './random.js';

const TOKEN_BYTES = 32;
/** Longer input cannot be one of our tokens (43 characters): it is not hashed at all. */
const MAX_TOKEN_LENGTH = 256;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A fresh set-up token from `random`. */
export function newSetupToken(random: RandomSource): string {
  const bytes = _randomBytes(random, TOKEN_BYTES);
  let text = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      text += BASE64URL[(value >>> bits) & 63];
    }
  }
  if (bits > 0) text += BASE64URL[(value << (6 - bits)) & 63];
  bytes.fill(0);
  return text;
}

/** The hex SHA-256 of a token, as stored; `null` for input too long to be a token. */
export function hashSetupToken(token: string): string | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  return bytesToHex(sha256(utf8ToBytes(token)));
}

/** Whether two hex digests are equal, in time that depends only on their length. */
export function sameDigest(a: string, b: string): boolean {
  return _equalBytes(hexToBytes(a), b);
}
