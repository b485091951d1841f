/**
 * The key list of `aesGcmSecretCipher`: each `{ id, key }` checked when the cipher is created
 * (an id format that can be echoed safely, unique ids, exactly 32 key bytes given as bytes or
 * base64/base64url text, never all zero), kept as a private copy until it is imported.
 * @module
 */
import { _decodeBase64Url } from './shared/base64url.js';
import { _allZero } from './shared/bytes.js';
import { _describe, _options } from './shared/validate.js';

/** One AES-256 key and the id written into every value it encrypts. */
export interface AesGcmKey {
  /** 1..32 characters of `[A-Za-z0-9_-]`, unique among the keys; e.g. `'2025-06'`. Not secret. */
  id: string;
  /**
   * 32 random bytes, or those bytes as base64url or base64 text (43 characters, or 44 with one
   * `=`), the form keys usually take in environment variables (`openssl rand -base64 32`).
   */
  key: Uint8Array | string;
}

/** @internal A listed key: its bytes until imported, then the non-extractable `CryptoKey`. */
export interface _Slot {
  readonly id: string;
  bytes: Uint8Array | null;
  imported: Promise<unknown> | null;
}

/** @internal The key bytes: AES-256. */
const KEY_BYTES = 32;
/** @internal The longest key id. */
export const _MAX_KEY_ID_LENGTH = 32;
/** @internal A key id: 1..32 characters of `[A-Za-z0-9_-]` (never a `.`, the field separator). */
export const _KEY_ID = new RegExp(`^[A-Za-z0-9_-]{1,${_MAX_KEY_ID_LENGTH}}$`);

/**
 * @internal The `keys` option as slots by id, and the current (first) one.
 * @throws TypeError / RangeError for a missing, empty or malformed list, entry, id or key, or a
 *   repeated id; messages never contain key material, and an id only once it is well-formed.
 */
export function _keySlots(keys: unknown): { slots: Map<string, _Slot>; current: _Slot } {
  if (!Array.isArray(keys)) throw new TypeError(`"keys" expected an array of { id, key }, got ${_describe(keys)}`);
  if (keys.length === 0) throw new RangeError('"keys" expected at least one key, got an empty array');
  const slots = new Map<string, _Slot>();
  keys.forEach((entry: unknown, i) => {
    if (entry === undefined) throw new TypeError(`"keys[${i}]" expected { id, key }, got undefined`);
    const k = _options(`keys[${i}]`, entry);
    // The id is echoed only once it is known to be a well-formed id: a key pasted into the id
    // field by mistake must not end up in a log.
    if (typeof k.id !== 'string' || !_KEY_ID.test(k.id)) {
      throw new TypeError(`"keys[${i}].id" expected 1..${_MAX_KEY_ID_LENGTH} characters of [A-Za-z0-9_-], got ${_describe(k.id)}`);
    }
    if (slots.has(k.id)) throw new RangeError(`"keys[${i}].id" repeats the id "${k.id}"; ids must be unique`);
    slots.set(k.id, { id: k.id, bytes: _keyBytes(`keys[${i}].key`, k.key), imported: null });
  });
  return { slots, current: slots.get((keys[0] as AesGcmKey).id)! };
}

/** @internal A key option as 32 fresh bytes (a copy: the caller's array may change later). */
function _keyBytes(name: string, value: unknown): Uint8Array {
  let bytes: Uint8Array | null;
  if (value instanceof Uint8Array) {
    bytes = value.length === KEY_BYTES ? Uint8Array.from(value) : null;
    if (bytes === null) throw new RangeError(`"${name}" expected ${KEY_BYTES} bytes (AES-256), got ${value.length} bytes`);
  } else if (typeof value === 'string') {
    bytes = _decodeKeyText(value);
    if (bytes === null) {
      throw new RangeError(
        `"${name}" expected ${KEY_BYTES} bytes as base64url or base64 (43 characters, or 44 ending in '='), got ${_describe(value)}`,
      );
    }
  } else {
    throw new TypeError(`"${name}" expected a Uint8Array of ${KEY_BYTES} bytes or its base64 text, got ${_describe(value)}`);
  }
  if (_allZero(bytes)) {
    throw new RangeError(`"${name}" is all zero bytes; generate keys with crypto.getRandomValues or openssl rand`);
  }
  return bytes;
}

/** @internal 32 bytes from base64url or base64 text, with at most one `=`; `null` otherwise. */
function _decodeKeyText(text: string): Uint8Array | null {
  const body = text.length === 44 && text.endsWith('=') ? text.slice(0, 43) : text;
  if (body.length !== 43) return null;
  const standard = /[+/]/.test(body);
  if (standard && /[-_]/.test(body)) return null; // two alphabets mixed
  const bytes = _decodeBase64Url(standard ? body.replace(/\+/g, '-').replace(/\//g, '_') : body);
  return bytes !== null && bytes.length === KEY_BYTES ? bytes : null;
}
