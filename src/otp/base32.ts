/**
 * RFC 4648 base32, the text form of TOTP secrets: strict decoding (a typo never becomes a
 * different key), unpadded encoding, and grouping for typing by hand. `thirty-two` does the
 * work behind a validating wrapper; `Buffer` appears only at that boundary.
 * @module
 */
import * as thirtyTwo from 'thirty-two';
import { TwoFactorError } from '../errors.js';
import { _describe } from '../shared/validate.js';

/** Longest base32 text accepted, after normalization (5,120 bytes of key; real keys are 10-64). */
const MAX_BASE32_CHARS = 8192;

// RFC 4648 §6: 8 characters carry 5 bytes. A final group of 1, 3 or 6 characters cannot
// come from any byte string, so such input is a typo, not a key.
const VALID_RESIDUES = new Set([0, 2, 4, 5, 7]);
// Checked BEFORE upper-casing: toUpperCase maps some non-ASCII letters onto the alphabet
// ('ı' -> 'I', 'ſ' -> 'S', 'ß' -> 'SS'), which would turn a typo into a different key.
const ALPHABET = /^[A-Za-z2-7]*$/;

/**
 * Encodes bytes as RFC 4648 base32 without `=` padding, the form authenticator apps expect.
 *
 * @throws TypeError when `bytes` is not a `Uint8Array`.
 * @example
 * ```ts
 * encodeBase32(new TextEncoder().encode('12345678901234567890')); // 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
 * ```
 */
export function encodeBase32(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`"bytes" expected a Uint8Array, got ${_describe(bytes)}`);
  }
  if (bytes.length === 0) return '';
  // thirty-two wants a Buffer and returns one; convert at this boundary only.
  const out = thirtyTwo.encode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  return Buffer.from(out).toString('ascii').replace(/=+$/, '');
}

/**
 * Normalizes human-typed base32: upper-cases, drops ASCII spaces, tabs, line breaks, hyphens
 * and trailing `=` padding. Returns the bare alphabet string (not yet validated).
 * @internal
 */
export function _normalizeBase32(text: string): string {
  return _stripBase32(text).toUpperCase();
}

/** Drops separators and trailing padding, keeping the case (see ALPHABET). */
function _stripBase32(text: string): string {
  return text.replace(/[ \t\r\n-]/g, '').replace(/=+$/, '');
}

/**
 * Decodes RFC 4648 base32 text into bytes, strictly.
 *
 * Case, spaces, hyphens and trailing `=` padding are forgiven (people copy secrets in groups).
 * Anything else outside `A-Z2-7`, a length no byte string encodes to (a last group of 1, 3 or 6
 * characters), an empty result or text longer than 8,192 characters is refused: a typo must
 * never turn silently into a different key.
 *
 * @throws TypeError when `text` is not a string.
 * @throws TwoFactorError `INVALID_SECRET` when the text is not valid base32.
 */
export function decodeBase32(text: string): Uint8Array {
  if (typeof text !== 'string') {
    throw new TypeError(`"text" expected a base32 string, got ${_describe(text)}`);
  }
  if (text.length > MAX_BASE32_CHARS * 2) {
    throw new TwoFactorError('INVALID_SECRET', `base32 text is too long (${text.length} characters)`);
  }
  const stripped = _stripBase32(text);
  if (!ALPHABET.test(stripped)) {
    // Do not echo the text: it is usually a secret.
    throw new TwoFactorError('INVALID_SECRET', 'base32 text contains a character outside A-Z and 2-7');
  }
  const clean = stripped.toUpperCase();
  if (clean.length === 0) {
    throw new TwoFactorError('INVALID_SECRET', 'base32 text is empty');
  }
  if (clean.length > MAX_BASE32_CHARS) {
    throw new TwoFactorError('INVALID_SECRET', `base32 text is too long (${clean.length} characters)`);
  }
  if (!VALID_RESIDUES.has(clean.length % 8)) {
    throw new TwoFactorError(
      'INVALID_SECRET',
      `base32 text has an impossible length (${clean.length} characters; a last group of 1, 3 or 6 is a typo)`,
    );
  }
  const decoded = thirtyTwo.decode(clean);
  // Copy out of the Buffer (and its shared pool) into a plain Uint8Array.
  return Uint8Array.from(decoded);
}

/**
 * Formats a base32 secret for typing by hand: groups of 4, separated by spaces,
 * upper-case, no padding. `decodeBase32` reads the result back unchanged.
 *
 * @throws TypeError when `base32` is not a string.
 * @throws TwoFactorError `INVALID_SECRET` when it is not valid base32.
 * @example
 * ```ts
 * formatSecret('jbswy3dpehpk3pxp'); // 'JBSW Y3DP EHPK 3PXP'
 * ```
 */
export function formatSecret(base32: string): string {
  decodeBase32(base32); // validates; throws on bad input
  const clean = _normalizeBase32(base32);
  return clean.replace(/(.{4})(?=.)/g, '$1 ');
}
