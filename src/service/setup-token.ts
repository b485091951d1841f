/**
 * Set-up tokens: the opaque value that binds a pending TOTP set-up to the session that
 * began it. 256 random bits, base64url; only the SHA-256 of a token is stored (a token has
 * far too much entropy to be found from its hash, so no salt or pepper is needed).
 * @module
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { _encodeBase64Url } from '../shared/base64url.js';
import { _equalBytes } from '../shared/bytes.js';
import { _randomBytes, type RandomSource } from '../shared/random.js';

const TOKEN_BYTES = 32;
/** Longer input cannot be one of our tokens (43 characters): it is not hashed at all. */
const MAX_TOKEN_LENGTH = 256;

/** A fresh set-up token from `random`. */
export function newSetupToken(random: RandomSource): string {
  const bytes = _randomBytes(random, TOKEN_BYTES);
  const text = _encodeBase64Url(bytes);
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
