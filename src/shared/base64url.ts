/**
 * Base64url without padding (RFC 4648 §5), the text form of AES-GCM values and set-up tokens:
 * an encoder, and a strict decoder under which every byte string has exactly one text.
 * @module
 */

const _ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const _VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < _ALPHABET.length; i++) _VALUES[_ALPHABET.charCodeAt(i)] = i;

/** @internal The length of the unpadded base64url text of `n` bytes. */
export function _base64UrlLength(n: number): number {
  return Math.ceil((n * 4) / 3);
}

/** @internal Base64url without padding (RFC 4648 §5). */
export function _encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let c = 0; c < chars; c++) out += _ALPHABET[(n >> (18 - 6 * c)) & 63];
  }
  return out;
}

/**
 * @internal Strict, canonical base64url without padding: `null` for any other character, a
 * length of 4k+1, or unused low bits that are not zero (RFC 4648 §3.5). So every byte string
 * has exactly one accepted text, and any change to the text changes the bytes.
 */
export function _decodeBase64Url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? _VALUES[code]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
