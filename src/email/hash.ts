/**
 * Email codes at rest: only a hash of a code is stored (HMAC-SHA-256 under a pepper kept
 * outside the database, or salted SHA-256), and what the agent typed is checked against it in
 * constant time. The pepper option is validated here too.
 * @module
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { _allZero, _equalBytes } from '../shared/bytes.js';
import { DEFAULTS } from '../defaults.js';
import { TwoFactorError } from '../errors.js';
import { _EMAIL_DIGITS } from '../shared/limits.js';
import { _fillRandom, _randomSource, type RandomSource } from '../shared/random.js';
import { _hasLoneSurrogate } from '../shared/text.js';
import { _formatCode, _parseCode } from '../shared/typed-code.js';
import { _describe, _integer, _options } from '../shared/validate.js';

const SALT_BYTES = 16;
const MIN_PEPPER_BYTES = 16;
/** SHA-256 output, hex. */
const HASH_HEX_LENGTH = 64;
/** What `generateEmailCode` makes: 6..10 ASCII digits, nothing else. */
const GENERATED_CODE = new RegExp(`^[0-9]{${_EMAIL_DIGITS.min},${_EMAIL_DIGITS.max}}$`);

/** A code at rest: a hex digest, and the hex salt it was made with (`null`: peppered). */
export interface EmailCodeHash {
  /** 64 hex characters: HMAC-SHA-256 under the pepper, or SHA-256 over salt and code. */
  hash: string;
  /** 32 hex characters (16 bytes) when no pepper was used; `null` for a peppered hash. */
  salt: string | null;
}

/** Options of {@link hashEmailCode}. */
export interface HashEmailCodeOptions {
  /** A secret kept outside the database (see {@link emailPepper}); recommended. */
  pepper?: Uint8Array | string;
  /** Source of the salt when there is no pepper; default Web Crypto. */
  random?: RandomSource;
}

/**
 * Hashes a code for storage; the code itself is never stored.
 *
 * With a pepper: `hash = hex(HMAC-SHA-256(pepper, code))`, `salt = null`. Without:
 * `salt` = 16 random bytes and `hash = hex(SHA-256(salt || code))`. A code has only 10^6 to
 * 10^10 values, so a salted hash stops nothing once the database is read (every candidate is
 * hashed in milliseconds); the salt only keeps equal codes from having equal hashes. A pepper
 * that lives outside the database is what makes a stolen hash useless.
 *
 * @param code - A code from {@link generateEmailCode}: 6..10 ASCII digits, nothing else.
 * @throws TypeError for a `code` that is not 6..10 ASCII digits (the message never shows it),
 *   a bad pepper (see {@link emailPepper}) or a bad `random`.
 */
export function hashEmailCode(code: string, options: HashEmailCodeOptions): EmailCodeHash {
  if (typeof code !== 'string' || !GENERATED_CODE.test(code)) {
    throw new TypeError(`"code" expected ${_EMAIL_DIGITS.min}..${_EMAIL_DIGITS.max} ASCII digits, got ${_describe(code)}`);
  }
  const o = _options('options', options);
  const source = o.random === undefined ? undefined : _randomSource(o.random);
  const message = utf8ToBytes(code);
  if (o.pepper !== undefined) {
    const key = emailPepper(o.pepper);
    const hash = bytesToHex(hmac(sha256, key, message));
    key.fill(0);
    return { hash, salt: null };
  }
  const salt = new Uint8Array(SALT_BYTES);
  _fillRandom(source ?? _randomSource(undefined), salt);
  return { hash: bytesToHex(_salted(salt, message)), salt: bytesToHex(salt) };
}

/** What {@link checkEmailCode} found. */
export type EmailCodeCheck = 'match' | 'mismatch' | 'malformed';

/**
 * Checks a code the agent typed against its stored hash, in constant time.
 *
 * `input` is untrusted. A non-string, or a string over 64 characters, is `malformed` before
 * any other work. Surrounding whitespace and inner ASCII spaces are ignored (`'123 456'`);
 * anything else that is not exactly `digits` ASCII digits is `malformed` (other scripts'
 * digits are refused, not converted). The stored form decides how to hash: a salt means
 * salted SHA-256 (a pepper passed too is then unused: the code was issued before the pepper
 * was configured); `salt: null` means HMAC under the pepper, which must then be given.
 *
 * @param input - What the agent typed.
 * @param digits - The length the code was issued with, an integer 6..10.
 * @param stored - The hash and salt from {@link hashEmailCode}.
 * @param pepper - The pepper, required when `stored.salt` is `null`.
 * @returns `'match'`, `'mismatch'` or `'malformed'`; never throws for any `input`.
 * @throws TypeError / RangeError for a bad `digits`, `stored` that is not an object, a bad
 *   pepper, or a missing pepper for a peppered hash.
 * @throws TwoFactorError `INVALID_RECORD` when `stored.hash` or `stored.salt` is not hex of
 *   the right length.
 */
export function checkEmailCode(
  input: unknown,
  digits: number,
  stored: EmailCodeHash,
  pepper?: Uint8Array | string,
): EmailCodeCheck {
  if (typeof input !== 'string' || input.length > DEFAULTS.maxCodeLength) return 'malformed';
  const length = _integer('digits', digits, _EMAIL_DIGITS.min, _EMAIL_DIGITS.max);
  const { hash, salt } = _stored(stored);
  const key = pepper === undefined ? undefined : emailPepper(pepper);
  if (salt === null && key === undefined) {
    throw new TypeError('"pepper" required: the stored code hash was made with a pepper (its salt is null)');
  }
  const value = _parseCode(input, length);
  if (value < 0) {
    key?.fill(0);
    return 'malformed';
  }
  const message = utf8ToBytes(_formatCode(value, length));
  const actual = salt === null ? hmac(sha256, key!, message) : _salted(salt, message);
  key?.fill(0);
  return _equalBytes(actual, hash) ? 'match' : 'mismatch';
}

/**
 * Validates the host's `email.pepper` option and returns its bytes (a copy).
 *
 * A pepper is a secret mixed into every code hash and kept outside the database (an
 * environment variable, a secrets manager), so that someone who reads the database cannot
 * test the 10^6 possible codes against a hash. Give at least 16 bytes; 32 random bytes are
 * recommended (`crypto.getRandomValues(new Uint8Array(32))`, stored as base64 and decoded).
 * Changing it voids codes outstanding at that moment (they expire within minutes anyway).
 *
 * @param value - A string (taken as UTF-8) or a `Uint8Array`.
 * @throws TypeError for another type or a string with a lone surrogate; RangeError for fewer
 *   than 16 bytes or all zero bytes. Messages never contain the value.
 */
export function emailPepper(value: unknown): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    // A lone surrogate would be encoded as U+FFFD, silently turning two peppers into one.
    if (_hasLoneSurrogate(value)) throw new TypeError('"pepper" expected well-formed text, got a string with a lone surrogate');
    bytes = utf8ToBytes(value);
  } else if (value instanceof Uint8Array) {
    bytes = Uint8Array.from(value);
  } else {
    throw new TypeError(
      `"pepper" expected a string or a Uint8Array of at least ${MIN_PEPPER_BYTES} bytes, got ${_describe(value)}`,
    );
  }
  if (bytes.length < MIN_PEPPER_BYTES) {
    throw new RangeError(`"pepper" expected at least ${MIN_PEPPER_BYTES} bytes (32 recommended), got ${bytes.length}`);
  }
  if (_allZero(bytes)) throw new RangeError('"pepper" is all zero bytes; was the key loaded?');
  return bytes;
}

/** @internal SHA-256(salt || code). */
function _salted(salt: Uint8Array | string, message: Uint8Array): Uint8Array {
  const h = sha256.create();
  h.update(typeof salt === 'string' ? hexToBytes(salt) : salt);
  h.update(message);
  return h.digest();
}

/** @internal `stored` checked: a 64-hex hash and a null or hex salt of 16+ bytes. */
function _stored(stored: unknown): { hash: string; salt: string | null } {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) {
    throw new TypeError(`"stored" expected { hash, salt }, got ${_describe(stored)}`);
  }
  const { hash, salt } = stored as { hash?: unknown; salt?: unknown };
  if (typeof hash !== 'string' || hash.length !== HASH_HEX_LENGTH || !_isHex(hash)) {
    throw new TwoFactorError('INVALID_RECORD', `the stored email code hash is not ${HASH_HEX_LENGTH} hex characters`);
  }
  if (salt !== null && (typeof salt !== 'string' || salt.length < 2 * SALT_BYTES || salt.length % 2 !== 0 || !_isHex(salt))) {
    throw new TwoFactorError('INVALID_RECORD', `the stored email code salt is not null or hex of at least ${SALT_BYTES} bytes`);
  }
  return { hash, salt };
}

function _isHex(text: string): boolean {
  return /^[0-9a-fA-F]*$/.test(text);
}
