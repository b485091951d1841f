/**
 * Recovery codes at rest (NIST SP 800-63B §5.1.2.2). With a pepper: HMAC-SHA-256 under it, over
 * a domain-separated input, and a fingerprint of the pepper stored beside the set so a rotated
 * pepper is recognised. Without one: scrypt over one random salt per set, so a check costs one
 * derivation whatever the number of codes. Digests are compared in constant time.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { _equalBytes } from '../shared/bytes.js';

/** scrypt's cost parameters, as stored with a set. */
export interface ScryptParams {
  N: number;
  r: number;
  p: number;
  dkLen: number;
}

/** How a set's codes are hashed: under a pepper, or with scrypt and the set's salt. */
export type RecoveryKey = { kind: 'hmac'; pepper: Uint8Array } | { kind: 'scrypt'; salt: Uint8Array; params: ScryptParams };

// Domain separation: the same pepper also keys email codes, whose input is the bare code.
const HMAC_DOMAIN = utf8ToBytes('twofold recovery code v1\u0000');
const ID_DOMAIN = utf8ToBytes('twofold pepper id v1\u0000');

/** The hex digest of a normalized code. */
export async function recoveryDigest(code: string, key: RecoveryKey): Promise<string> {
  const input = utf8ToBytes(code);
  if (key.kind === 'hmac') {
    const mac = hmac.create(sha256, key.pepper);
    mac.update(HMAC_DOMAIN);
    mac.update(input);
    return bytesToHex(mac.digest());
  }
  return bytesToHex(await scryptAsync(input, key.salt, key.params));
}

/**
 * A short, non-secret fingerprint of a pepper (16 hex characters of a domain-separated
 * SHA-256), stored with a set to say which pepper made it.
 */
export function pepperFingerprint(pepper: Uint8Array): string {
  const h = sha256.create();
  h.update(ID_DOMAIN);
  h.update(pepper);
  return bytesToHex(h.digest().subarray(0, 8));
}

/**
 * The index of `digest` among `digests`, or -1. Every entry is compared, each in constant time,
 * so the time taken does not say which code (or whether any) matched.
 */
export function indexOfDigest(digest: string, digests: readonly string[]): number {
  let found = -1;
  const bytes = utf8ToBytes(digest);
  for (let i = 0; i < digests.length; i++) {
    const match = _equalBytes(bytes, utf8ToBytes(digests[i]!));
    found = match && found < 0 ? i : found;
  }
  return found;
}
