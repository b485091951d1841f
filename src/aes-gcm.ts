/**
 * `aesGcmSecretCipher`: a {@link SecretCipher} on Web Crypto AES-256-GCM (NIST SP 800-38D),
 * for encrypting TOTP secrets at rest with keys kept outside the database.
 *
 * Stored format, four `.`-separated fields, base64url without padding (RFC 4648 §5):
 *
 * ```text
 * v1.<key id>.<12-byte IV>.<ciphertext || 16-byte tag>
 * ```
 *
 * The plaintext is UTF-8; the context (the agent id, UTF-8) is the additional authenticated
 * data, so a value copied into another agent's record fails to decrypt. The layout is plain
 * AES-GCM: node:crypto's `createDecipheriv('aes-256-gcm', ...)` or any other implementation
 * reads it with the same key, IV, tag and AAD. The key list is checked in `aes-gcm-keys.ts`.
 * @module
 */
import { _keySlots, _KEY_ID, _MAX_KEY_ID_LENGTH, type _Slot, type AesGcmKey } from './aes-gcm-keys.js';
import { _base64UrlLength, _decodeBase64Url, _encodeBase64Url } from './shared/base64url.js';
import { _allZero } from './shared/bytes.js';
import { TwoFactorError } from './errors.js';
import { _hasLoneSurrogate } from './shared/text.js';
import { _describe, _options } from './shared/validate.js';
import type { SecretCipher } from './ports.js';

export type { AesGcmKey } from './aes-gcm-keys.js';

/** Options of {@link aesGcmSecretCipher}. */
export interface AesGcmSecretCipherOptions {
  /**
   * The keys, current first. New values are always encrypted with the first key; a value is
   * decrypted with whichever listed key its id names. To rotate, put the new key first and
   * keep the old ones until no stored value names them.
   */
  keys: readonly AesGcmKey[];
}

/** The cipher {@link aesGcmSecretCipher} returns: a `SecretCipher` that also tells key ids. */
export interface AesGcmSecretCipher extends SecretCipher {
  /** The id of the first key, the one every new value is encrypted with. */
  readonly currentKeyId: string;
  /**
   * The key id a stored value names, or `null` when the value is not in this cipher's format.
   * It reads the id only: it neither authenticates the value nor checks that the key is listed.
   * `keyIdOf(value) !== currentKeyId` finds values still encrypted with an older key.
   */
  keyIdOf(value: unknown): string | null;
  /**
   * Whether a stored value was sealed with a key other than the current (first) one; the
   * service re-encrypts such a secret the next time it saves the record.
   */
  needsRotation(value: string): boolean;
}

const VERSION = 'v1';
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit IVs
const TAG_BYTES = 16; // the full 128-bit tag
/** Largest plaintext, in UTF-8 bytes. A base32 TOTP secret is at most 103 characters. */
const MAX_PLAIN_BYTES = 4096;
/** Longest value `decrypt` looks at: what the largest plaintext encrypts to. */
const MAX_CIPHER_LENGTH =
  VERSION.length + 1 + _MAX_KEY_ID_LENGTH + 1 + _base64UrlLength(IV_BYTES) + 1 + _base64UrlLength(MAX_PLAIN_BYTES + TAG_BYTES);

/** @internal The part of Web Crypto used here (typed locally: the package assumes no DOM lib). */
interface _Subtle {
  importKey(
    format: 'raw',
    keyData: Uint8Array,
    algorithm: { name: 'AES-GCM' },
    extractable: boolean,
    usages: Array<'encrypt' | 'decrypt'>,
  ): Promise<unknown>;
  encrypt(algorithm: _GcmParams, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: _GcmParams, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}
interface _GcmParams {
  name: 'AES-GCM';
  iv: Uint8Array;
  additionalData: Uint8Array;
  tagLength: number;
}

/**
 * Creates a {@link SecretCipher} that encrypts with AES-256-GCM through Web Crypto
 * (`globalThis.crypto.subtle`: Node 20+, browsers in secure contexts, Deno, Bun, workers).
 * Pass it as `secretCipher` to `createTwoFactor`; the service passes the agent id as context.
 *
 * - `encrypt(plain, context)` uses the first key and a fresh random 96-bit IV per call, and
 *   returns `v1.<key id>.<iv>.<ciphertext+tag>` (base64url, no padding). The empty string is
 *   allowed and round-trips. Two encryptions of the same text differ.
 * - `decrypt(value, context)` accepts a value made with any listed key (key rotation) and the
 *   same context. Anything else (a wrong context, a changed byte, an unknown key id, a
 *   malformed or non-string value) throws `TwoFactorError` `SECRET_DECRYPT_FAILED`; it never
 *   returns a wrong plaintext.
 *
 * Everything is checked when the cipher is created; each key is imported once, lazily, as a
 * non-extractable `CryptoKey`, and the copy of its bytes is then wiped. Messages never contain
 * key material, plaintext or ciphertext. NIST SP 800-38D §8.3 allows 2^32 encryptions with
 * random IVs per key: rotate the key long before (every save of a record encrypts once).
 *
 * @param options - `keys`: at least one `{ id, key }`, the current key first.
 * @throws TypeError / RangeError for a missing or malformed key or id, a repeated id, or when
 *   `globalThis.crypto.subtle` is missing. The returned methods reject with `TypeError` for a
 *   context that is not a non-empty, well-formed string or a plaintext that is not a
 *   well-formed string, `RangeError` for a plaintext over 4096 UTF-8 bytes, and `TwoFactorError`
 *   `SECRET_ENCRYPT_FAILED` / `SECRET_DECRYPT_FAILED` (with the Web Crypto error as `cause`).
 * @example
 * ```ts
 * const secretCipher = aesGcmSecretCipher({
 *   keys: [
 *     { id: '2025-06', key: process.env.TWOFOLD_KEY_2025_06! }, // current: encrypts
 *     { id: '2024-11', key: process.env.TWOFOLD_KEY_2024_11! }, // old: still decrypts
 *   ],
 * });
 * const twoFactor = createTwoFactor({ storage, issuer: 'Acme Help', settings, secretCipher });
 * ```
 */
export function aesGcmSecretCipher(options: AesGcmSecretCipherOptions): AesGcmSecretCipher {
  if (options === undefined) throw new TypeError('"options" expected { keys: [{ id, key }] }, got undefined');
  const o = _options('options', options);
  const { slots, current } = _keySlots(o.keys);
  const webCrypto = (globalThis as { crypto?: { subtle?: _Subtle; getRandomValues?: (a: Uint8Array) => unknown } }).crypto;
  const subtle = webCrypto?.subtle;
  if (typeof subtle?.importKey !== 'function' || typeof webCrypto?.getRandomValues !== 'function') {
    throw new TypeError('aesGcmSecretCipher needs Web Crypto (globalThis.crypto.subtle and getRandomValues)');
  }
  const getRandomValues = webCrypto.getRandomValues.bind(webCrypto);

  function cryptoKey(slot: _Slot): Promise<unknown> {
    if (slot.imported === null) {
      slot.imported = subtle!.importKey('raw', slot.bytes!, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']).then(
        (key) => {
          slot.bytes?.fill(0);
          slot.bytes = null;
          return key;
        },
        (error: unknown) => {
          slot.imported = null; // keep the bytes; the next call tries again
          throw error;
        },
      );
    }
    return slot.imported;
  }

  function keyIdOf(value: unknown): string | null {
    if (typeof value !== 'string' || value.length > MAX_CIPHER_LENGTH) return null;
    const parts = value.split('.');
    return parts.length === 4 && parts[0] === VERSION && _KEY_ID.test(parts[1]!) ? parts[1]! : null;
  }

  return {
    currentKeyId: current.id,

    keyIdOf,

    needsRotation(value) {
      return keyIdOf(value) !== current.id;
    },

    async encrypt(plain, context) {
      if (typeof plain !== 'string' || _hasLoneSurrogate(plain)) {
        throw new TypeError(`"plain" expected a well-formed string (no unpaired surrogates), got ${_describe(plain)}`);
      }
      const data = new TextEncoder().encode(plain);
      if (data.length > MAX_PLAIN_BYTES) {
        throw new RangeError(`"plain" expected at most ${MAX_PLAIN_BYTES} bytes of UTF-8, got ${data.length}`);
      }
      const aad = _context(context);
      const iv = new Uint8Array(IV_BYTES);
      getRandomValues(iv);
      // A stub that leaves the IV unfilled would repeat IVs, which breaks GCM outright
      // (SP 800-38D Appendix A); a real CSPRNG gives twelve zero bytes with probability 2^-96.
      if (_allZero(iv)) throw new TypeError('crypto.getRandomValues left the IV all zero');
      let sealed: ArrayBuffer;
      try {
        sealed = await subtle.encrypt(
          { name: 'AES-GCM', iv, additionalData: aad, tagLength: TAG_BYTES * 8 },
          await cryptoKey(current),
          data,
        );
      } catch (cause) {
        throw new TwoFactorError('SECRET_ENCRYPT_FAILED', 'AES-GCM encryption failed', { cause });
      } finally {
        data.fill(0);
      }
      return `${VERSION}.${current.id}.${_encodeBase64Url(iv)}.${_encodeBase64Url(new Uint8Array(sealed))}`;
    },

    async decrypt(value, context) {
      const aad = _context(context);
      if (typeof value !== 'string') throw _failed(`expected a string, got ${_describe(value)}`);
      if (value.length > MAX_CIPHER_LENGTH) throw _failed(`the value is too long (${value.length} characters)`);
      const parts = value.split('.');
      if (parts.length !== 4) throw _failed(`expected 4 fields separated by '.', got ${parts.length}`);
      const [version, id, ivText, sealedText] = parts as [string, string, string, string];
      if (version !== VERSION) throw _failed(`unsupported format (expected "${VERSION}")`);
      if (!_KEY_ID.test(id)) throw _failed('the key id is malformed');
      const slot = slots.get(id);
      if (slot === undefined) throw _failed(`no key with the id "${id}" is listed (was it removed before every value was re-encrypted?)`);
      const iv = _decodeBase64Url(ivText);
      if (iv === null || iv.length !== IV_BYTES) throw _failed(`the IV is not ${IV_BYTES} bytes of base64url`);
      const sealed = _decodeBase64Url(sealedText);
      if (sealed === null) throw _failed('the ciphertext is not base64url');
      if (sealed.length < TAG_BYTES) throw _failed(`the ciphertext is shorter than the ${TAG_BYTES}-byte tag`);
      let key: unknown;
      try {
        key = await cryptoKey(slot);
      } catch (cause) {
        throw _failed('the key could not be imported', cause);
      }
      let opened: ArrayBuffer;
      try {
        opened = await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: TAG_BYTES * 8 }, key, sealed);
      } catch (cause) {
        // One message for a changed byte, a wrong key and a wrong context: GCM cannot tell them apart.
        throw _failed('authentication failed (wrong agent, wrong key, or the value was altered)', cause);
      }
      const bytes = new Uint8Array(opened);
      try {
        return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
      } catch (cause) {
        throw _failed('the plaintext is not UTF-8', cause);
      } finally {
        bytes.fill(0);
      }
    },
  };
}

/** @internal The error for every decryption failure; `detail` never holds the value or key. */
function _failed(detail: string, cause?: unknown): TwoFactorError {
  return new TwoFactorError('SECRET_DECRYPT_FAILED', `cannot decrypt the secret: ${detail}`, cause === undefined ? undefined : { cause });
}

/** @internal The context as AAD bytes. Unpaired surrogates are refused: UTF-8 would merge them. */
function _context(context: unknown): Uint8Array {
  if (typeof context !== 'string' || context.length === 0 || _hasLoneSurrogate(context)) {
    throw new TypeError(`"context" expected a non-empty, well-formed string (the agent id), got ${_describe(context)}`);
  }
  return new TextEncoder().encode(context);
}

