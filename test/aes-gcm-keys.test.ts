// The key list of aesGcmSecretCipher (src/aes-gcm-keys.ts): ids, key bytes and key text are
// checked when the cipher is created, and no message shows key material.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aesGcmSecretCipher } from '../src/aes-gcm.js';
import { AGENT, KEY_A, KEY_B, SECRET, b64url, cipherA, expectCipherRefused, expectClean, keyForms } from './_aes-gcm.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('aesGcmSecretCipher: keys and arguments are checked up front', () => {
  const ok = { id: 'k-a', key: KEY_A };
  const refused: Array<[string, unknown, typeof TypeError | typeof RangeError, RegExp]> = [
    ['no keys', {}, TypeError, /"keys" expected an array/],
    ['keys not an array', { keys: ok }, TypeError, /"keys" expected an array/],
    ['an empty key list', { keys: [] }, RangeError, /at least one key/],
    ['a null entry', { keys: [null] }, TypeError, /"keys\[0\]"/],
    ['an undefined entry', { keys: [ok, undefined] }, TypeError, /"keys\[1\]"/],
    ['a missing id', { keys: [{ key: KEY_A }] }, TypeError, /"keys\[0\]\.id"/],
    ['an empty id', { keys: [{ id: '', key: KEY_A }] }, TypeError, /"keys\[0\]\.id" expected 1\.\.32/],
    ['an id of 33 characters', { keys: [{ id: 'k'.repeat(33), key: KEY_A }] }, TypeError, /"keys\[0\]\.id"/],
    ['an id with a dot', { keys: [{ id: 'k.a', key: KEY_A }] }, TypeError, /"keys\[0\]\.id"/],
    ['an id with a space', { keys: [{ id: 'k a', key: KEY_A }] }, TypeError, /"keys\[0\]\.id"/],
    ['a non-ASCII id', { keys: [{ id: 'clé', key: KEY_A }] }, TypeError, /"keys\[0\]\.id"/],
    ['a numeric id', { keys: [{ id: 1, key: KEY_A }] }, TypeError, /"keys\[0\]\.id"/],
    ['a repeated id', { keys: [ok, { id: 'k-b', key: KEY_B }, { id: 'k-a', key: KEY_B }] }, RangeError, /"keys\[2\]\.id" repeats the id "k-a"/],
    ['a missing key', { keys: [{ id: 'k-a' }] }, TypeError, /"keys\[0\]\.key" expected a Uint8Array/],
    ['a 16-byte key', { keys: [{ id: 'k-a', key: KEY_A.subarray(0, 16) }] }, RangeError, /expected 32 bytes \(AES-256\), got 16 bytes/],
    ['a 31-byte key', { keys: [{ id: 'k-a', key: KEY_A.subarray(0, 31) }] }, RangeError, /got 31 bytes/],
    ['a 33-byte key', { keys: [{ id: 'k-a', key: Uint8Array.of(...KEY_A, 1) }] }, RangeError, /got 33 bytes/],
    ['an all-zero key', { keys: [{ id: 'k-a', key: new Uint8Array(32) }] }, RangeError, /all zero/],
    ['a key as an array of numbers', { keys: [{ id: 'k-a', key: Array.from(KEY_A) }] }, TypeError, /"keys\[0\]\.key"/],
    ['a key as a number', { keys: [{ id: 'k-a', key: 42 }] }, TypeError, /"keys\[0\]\.key"/],
    ['a key as hex text', { keys: [{ id: 'k-a', key: Buffer.from(KEY_A).toString('hex') }] }, RangeError, /got a string of length 64/],
    ['a 24-byte key as base64', { keys: [{ id: 'k-a', key: Buffer.from(KEY_A.subarray(0, 24)).toString('base64') }] }, RangeError, /"keys\[0\]\.key"/],
    ['a key text with a newline', { keys: [{ id: 'k-a', key: `${Buffer.from(KEY_A).toString('base64')}\n` }] }, RangeError, /length 45/],
    ['a key text with two alphabets', { keys: [{ id: 'k-a', key: `+-${'A'.repeat(41)}` }] }, RangeError, /"keys\[0\]\.key"/],
    ['a key text with a bad character', { keys: [{ id: 'k-a', key: `*${'A'.repeat(42)}` }] }, RangeError, /"keys\[0\]\.key"/],
    ['a non-canonical key text', { keys: [{ id: 'k-a', key: `${b64url(KEY_A).slice(0, 42)}B` }] }, RangeError, /"keys\[0\]\.key"/],
    ['a bad second key', { keys: [ok, { id: 'k-b', key: KEY_B.subarray(1) }] }, RangeError, /"keys\[1\]\.key"/],
  ];
  it.each(refused)('refuses %s', (_, options, ErrorClass, message) => {
    expectCipherRefused(options, ErrorClass, message);
  });

  it('never echoes an id that may be a key pasted into the wrong field', () => {
    const pasted = Buffer.from(KEY_A).toString('base64');
    expect(() => aesGcmSecretCipher({ keys: [{ id: pasted, key: KEY_A }] })).toThrow(/got a string of length 44/);
    try {
      aesGcmSecretCipher({ keys: [{ id: pasted, key: KEY_A }] });
    } catch (e) {
      expectClean(e, keyForms(KEY_A));
    }
  });

  it.each([
    ['base64 with padding', Buffer.from(KEY_A).toString('base64')],
    ['base64 without padding', Buffer.from(KEY_A).toString('base64').replace(/=$/, '')],
    ['base64url without padding', Buffer.from(KEY_A).toString('base64url')],
    ['base64url with padding', `${Buffer.from(KEY_A).toString('base64url')}=`],
  ])('accepts the key as %s, equal to the bytes', async (_, text) => {
    const fromText = aesGcmSecretCipher({ keys: [{ id: 'k-a', key: text }] });
    expect(await fromText.decrypt(await cipherA().encrypt(SECRET, AGENT), AGENT)).toBe(SECRET);
    expect(await cipherA().decrypt(await fromText.encrypt(SECRET, AGENT), AGENT)).toBe(SECRET);
  });

  it('accepts base64 text whose bytes need + and /', async () => {
    const key = Uint8Array.from({ length: 32 }, () => 0xfb); // '+/v7' repeated in base64
    const text = Buffer.from(key).toString('base64');
    expect(text).toMatch(/[+/]/);
    const c = aesGcmSecretCipher({ keys: [{ id: 'x', key: text }] });
    const bytes = aesGcmSecretCipher({ keys: [{ id: 'x', key }] });
    expect(await bytes.decrypt(await c.encrypt(SECRET, AGENT), AGENT)).toBe(SECRET);
  });

  it('keeps its own copy of the key bytes', async () => {
    const key = KEY_A.slice();
    const c = aesGcmSecretCipher({ keys: [{ id: 'k-a', key }] });
    key.fill(0x55); // the caller reuses its buffer before the first use
    const value = await c.encrypt(SECRET, AGENT);
    expect(await cipherA().decrypt(value, AGENT)).toBe(SECRET);
  });
});
