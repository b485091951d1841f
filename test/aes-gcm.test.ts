// aesGcmSecretCipher (src/aes-gcm.ts): round trips, interop with node:crypto, every failure
// SECRET_DECRYPT_FAILED, key rotation, argument checks, key import, and the cipher inside
// createTwoFactor. The key list's own checks: test/aes-gcm-keys.test.ts.
import { createCipheriv, createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { aesGcmSecretCipher, type AesGcmSecretCipher } from '../src/aes-gcm.js';
import { TwoFactorError } from '../src/errors.js';
import type { TwoFactorStorage } from '../src/ports.js';
import { BAD_VALUES } from './_bad-inputs.js';
import { AGENT, KEY_A, KEY_B, SECRET, b64url, cipherA, decryptFailure, expectCipherRefused, expectClean, fromB64url, keyForms, withField } from './_aes-gcm.js';
import { STEP_MS, codeAt, enroll, harness, rejectsWith, stored } from './support/harness.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('aesGcmSecretCipher: round trip', () => {
  const plains: Array<[string, string]> = [
    ['the empty string', ''],
    ['a base32 secret', SECRET],
    ['a 103-character (64-byte) base32 secret', 'A'.repeat(103)],
    ['Unicode (accents, CJK, emoji, ZWJ)', 'naïve 日本語 🔐 👩‍💻'],
    ['a NUL byte and a BOM', 'a\u0000b\uFEFFc'],
    ['the largest plaintext: 4096 ASCII bytes', 'x'.repeat(4096)],
    ['4095 bytes of 3-byte characters', '日'.repeat(1365)],
  ];
  it.each(plains)('%s', async (_, plain) => {
    const c = cipherA();
    const value = await c.encrypt(plain, AGENT);
    expect(await c.decrypt(value, AGENT)).toBe(plain);
    if (plain.length > 0) expect(value).not.toContain(plain);
  });

  it('round-trips any well-formed string under any agent id (property)', async () => {
    const c = cipherA();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
        async (plain, agent) => {
          const value = await c.encrypt(plain, agent);
          expect(await c.decrypt(value, agent)).toBe(plain);
          await decryptFailure(c.decrypt(value, `${agent}x`));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes v1.<id>.<12-byte IV>.<ciphertext + 16-byte tag> in unpadded base64url', async () => {
    const value = await cipherA().encrypt(SECRET, AGENT);
    expect(value).toMatch(/^v1\.k-a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    const [, , iv, sealed] = value.split('.') as [string, string, string, string];
    expect(fromB64url(iv)).toHaveLength(12);
    expect(fromB64url(sealed)).toHaveLength(SECRET.length + 16);
  });

  it('uses a fresh IV for every encryption, so equal plaintexts give different values', async () => {
    const c = cipherA();
    const values = await Promise.all(Array.from({ length: 64 }, () => c.encrypt(SECRET, AGENT)));
    expect(new Set(values).size).toBe(64);
    expect(new Set(values.map((v) => v.split('.')[2])).size).toBe(64);
    for (const v of values) expect(await c.decrypt(v, AGENT)).toBe(SECRET);
  });
});

describe('aesGcmSecretCipher: standard AES-256-GCM (interop with node:crypto)', () => {
  it('decrypts a value sealed independently by node:crypto with the agent id as AAD', async () => {
    const iv = Uint8Array.from({ length: 12 }, (_, i) => 0xa0 + i);
    const node = createCipheriv('aes-256-gcm', KEY_A, iv, { authTagLength: 16 });
    node.setAAD(Buffer.from(AGENT, 'utf8'));
    const body = Buffer.concat([node.update(SECRET, 'utf8'), node.final(), node.getAuthTag()]);
    const value = `v1.k-a.${b64url(iv)}.${b64url(body)}`;
    expect(await cipherA().decrypt(value, AGENT)).toBe(SECRET);
    await decryptFailure(cipherA().decrypt(value, 'agent-43'));
  });

  it('produces values that node:crypto decrypts with the same key, IV, tag and AAD', async () => {
    const value = await cipherA().encrypt('café 🔐', AGENT);
    const [, , ivText, sealedText] = value.split('.') as [string, string, string, string];
    const sealed = fromB64url(sealedText);
    const node = createDecipheriv('aes-256-gcm', KEY_A, fromB64url(ivText), { authTagLength: 16 });
    node.setAAD(Buffer.from(AGENT, 'utf8'));
    node.setAuthTag(sealed.subarray(sealed.length - 16));
    const plain = Buffer.concat([node.update(sealed.subarray(0, sealed.length - 16)), node.final()]).toString('utf8');
    expect(plain).toBe('café 🔐');
  });
});

describe('aesGcmSecretCipher: every failure is SECRET_DECRYPT_FAILED', () => {
  it.each([
    ['another agent', 'agent-43'],
    ['a prefix of the agent id', 'agent-4'],
    ['the agent id with a trailing space', `${AGENT} `],
    ['another case', AGENT.toUpperCase()],
  ])('refuses the value under %s', async (_, context) => {
    const c = cipherA();
    const value = await c.encrypt(SECRET, AGENT);
    const error = await decryptFailure(c.decrypt(value, context));
    expect(error.cause).toBeDefined(); // the Web Crypto error is kept
    expect(error.message).toMatch(/authentication failed/);
  });

  it('refuses every single-bit change of every IV, ciphertext and tag byte', async () => {
    const c = cipherA();
    const value = await c.encrypt(SECRET, AGENT);
    const [, , ivText, sealedText] = value.split('.') as [string, string, string, string];
    let tried = 0;
    for (const [field, text] of [
      [2, ivText],
      [3, sealedText],
    ] as const) {
      const bytes = fromB64url(text);
      for (let i = 0; i < bytes.length; i++) {
        for (const bit of [0x01, 0x80]) {
          const changed = bytes.slice();
          changed[i]! ^= bit;
          await decryptFailure(c.decrypt(withField(value, field, b64url(changed)), AGENT));
          tried++;
        }
      }
    }
    expect(tried).toBe(2 * (12 + SECRET.length + 16));
    expect(await c.decrypt(value, AGENT)).toBe(SECRET); // the original still decrypts
  });

  it('refuses every change of a single character of the IV and ciphertext text', async () => {
    // Canonical base64url only: a changed last character can't decode to the same bytes.
    const c = cipherA();
    const value = await c.encrypt(SECRET, AGENT);
    const start = 'v1.k-a.'.length;
    for (let i = start; i < value.length; i++) {
      if (value[i] === '.') continue;
      for (const ch of ['A', 'B', 'Q', 'g', '-', '_']) {
        if (ch === value[i]) continue;
        await decryptFailure(c.decrypt(value.slice(0, i) + ch + value.slice(i + 1), AGENT));
      }
    }
  });

  it('refuses a truncated tag, an extra byte, and a swapped IV', async () => {
    const c = cipherA();
    const v1 = await c.encrypt(SECRET, AGENT);
    const v2 = await c.encrypt(SECRET, AGENT);
    const sealed = fromB64url(v1.split('.')[3]!);
    await decryptFailure(c.decrypt(withField(v1, 3, b64url(sealed.subarray(0, sealed.length - 1))), AGENT));
    await decryptFailure(c.decrypt(withField(v1, 3, b64url(Uint8Array.of(...sealed, 0))), AGENT));
    await decryptFailure(c.decrypt(withField(v1, 2, v2.split('.')[2]!), AGENT));
  });

  it('refuses an unknown key id, and names the id (not the value)', async () => {
    const value = await cipherA().encrypt(SECRET, AGENT);
    const other = aesGcmSecretCipher({ keys: [{ id: 'k-b', key: KEY_B }] });
    const error = await decryptFailure(other.decrypt(value, AGENT));
    expect(error.message).toContain('"k-a"');
    expect(error.cause).toBeUndefined();
    // The same bytes under another id are still another id.
    await decryptFailure(aesGcmSecretCipher({ keys: [{ id: 'renamed', key: KEY_A }] }).decrypt(value, AGENT));
  });

  it('refuses a value relabelled with another listed key id', async () => {
    const both = aesGcmSecretCipher({ keys: [{ id: 'k-a', key: KEY_A }, { id: 'k-b', key: KEY_B }] });
    const value = await both.encrypt(SECRET, AGENT);
    await decryptFailure(both.decrypt(withField(value, 1, 'k-b'), AGENT));
  });

  const tooShortIv = b64url(new Uint8Array(11).fill(7));
  const tooLongIv = b64url(new Uint8Array(13).fill(7));
  const goodIv = b64url(new Uint8Array(12).fill(7));
  const goodBody = b64url(new Uint8Array(40).fill(9));
  const malformed: Array<[string, string]> = [
    ['empty string', ''],
    ['one field', 'v1'],
    ['three fields', `v1.k-a.${goodIv}`],
    ['five fields', `v1.k-a.${goodIv}.${goodBody}.x`],
    ['a trailing dot', `v1.k-a.${goodIv}.${goodBody}.`],
    ['prefix v2', `v2.k-a.${goodIv}.${goodBody}`],
    ['prefix V1', `V1.k-a.${goodIv}.${goodBody}`],
    ['prefix v1 with a space', ` v1.k-a.${goodIv}.${goodBody}`],
    ['empty key id', `v1..${goodIv}.${goodBody}`],
    ['key id with a space', `v1.k a.${goodIv}.${goodBody}`],
    ['key id of 33 characters', `v1.${'k'.repeat(33)}.${goodIv}.${goodBody}`],
    ['empty IV', `v1.k-a..${goodBody}`],
    ['11-byte IV', `v1.k-a.${tooShortIv}.${goodBody}`],
    ['13-byte IV', `v1.k-a.${tooLongIv}.${goodBody}`],
    ['IV with padding', `v1.k-a.${goodIv}==.${goodBody}`],
    ['IV in standard base64 (+ and /)', `v1.k-a.${'+/'.repeat(8)}.${goodBody}`],
    ['IV with a non-ASCII letter', `v1.k-a.${goodIv.slice(0, 15)}é.${goodBody}`],
    ['empty ciphertext', `v1.k-a.${goodIv}.`],
    ['15-byte ciphertext (shorter than the tag)', `v1.k-a.${goodIv}.${b64url(new Uint8Array(15).fill(1))}`],
    ['ciphertext of 4k+1 characters', `v1.k-a.${goodIv}.${'A'.repeat(25)}`],
    ['ciphertext with padding', `v1.k-a.${goodIv}.${goodBody}=`],
    ['ciphertext with a space', `v1.k-a.${goodIv}.${goodBody.slice(0, 10)} ${goodBody.slice(11)}`],
    ['a trailing newline', `v1.k-a.${goodIv}.${goodBody}\n`],
    ['well-formed but never encrypted', `v1.k-a.${goodIv}.${goodBody}`],
    ['huge (2 MB)', `v1.k-a.${goodIv}.${'A'.repeat(2_000_000)}`],
    ['JSON of a secret', JSON.stringify({ secret: SECRET })],
    ['a plain base32 secret', SECRET],
  ];
  // The message says which check refused the value (a shorter value also fails in Web Crypto,
  // so these prove the parser itself refuses first).
  it.each([
    ['three fields', `v1.k-a.${goodIv}`, /expected 4 fields/],
    ['prefix v2', `v2.k-a.${goodIv}.${goodBody}`, /unsupported format/],
    ['key id with a space', `v1.k a.${goodIv}.${goodBody}`, /key id is malformed/],
    ['11-byte IV', `v1.k-a.${tooShortIv}.${goodBody}`, /IV is not 12 bytes/],
    ['IV with padding', `v1.k-a.${goodIv}==.${goodBody}`, /IV is not 12 bytes/],
    ['15-byte ciphertext', `v1.k-a.${goodIv}.${b64url(new Uint8Array(15).fill(1))}`, /shorter than the 16-byte tag/],
    ['ciphertext with padding', `v1.k-a.${goodIv}.${goodBody}=`, /not base64url/],
    ['huge', `v1.k-a.${goodIv}.${'A'.repeat(2_000_000)}`, /too long/],
    ['a non-string', 42, /expected a string, got 42/],
  ])('says why it refuses %s', async (_, value, message) => {
    expect((await decryptFailure(cipherA().decrypt(value as string, AGENT))).message).toMatch(message);
  });

  it.each(malformed)('refuses a malformed value: %s', async (_, value) => {
    const error = await decryptFailure(cipherA().decrypt(value, AGENT));
    expect(error.message.length).toBeLessThan(200);
    expectClean(error, [goodBody, goodIv, SECRET, ...keyForms(KEY_A)]);
  });

  it.each(BAD_VALUES.map((b) => [b.name, b.value] as const))('refuses the shared bad input %s', async (_, value) => {
    await decryptFailure(cipherA().decrypt(value as string, AGENT));
  });

  it('never puts the plaintext, the key or the ciphertext into a message', async () => {
    const plain = 'KRUGS4ZANFZSAYJAONSWG4TFOQQQ';
    const c = cipherA();
    const value = await c.encrypt(plain, AGENT);
    const [, , iv, sealed] = value.split('.') as [string, string, string, string];
    const forbidden = [plain, value, iv, sealed, sealed.slice(0, 12), ...keyForms(KEY_A)];
    const failures = [
      () => c.decrypt(value, 'agent-43'),
      () => c.decrypt(`${value}A`, AGENT),
      () => c.decrypt(value.replace('v1.', 'v9.'), AGENT),
      () => c.decrypt(value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A'), AGENT),
      () => aesGcmSecretCipher({ keys: [{ id: 'k-b', key: KEY_B }] }).decrypt(value, AGENT),
    ];
    for (const failure of failures) expectClean(await decryptFailure(failure()), forbidden);
  });
});

describe('aesGcmSecretCipher: key rotation', () => {
  it('decrypts values of any listed key, and encrypts new ones with the first', async () => {
    const old = aesGcmSecretCipher({ keys: [{ id: 'k-a', key: KEY_A }] });
    const rotated = aesGcmSecretCipher({ keys: [{ id: 'k-b', key: KEY_B }, { id: 'k-a', key: KEY_A }] });
    const before = await old.encrypt(SECRET, AGENT);
    expect(await rotated.decrypt(before, AGENT)).toBe(SECRET);

    const after = await rotated.encrypt(SECRET, AGENT);
    expect(after.startsWith('v1.k-b.')).toBe(true);
    expect(rotated.currentKeyId).toBe('k-b');
    expect(rotated.keyIdOf(before)).toBe('k-a');
    expect(rotated.keyIdOf(after)).toBe('k-b');
    // Only the new key can open it: the old-only cipher does not know k-b.
    await decryptFailure(old.decrypt(after, AGENT));
    // Once k-a is dropped, values still under it no longer decrypt.
    const dropped = aesGcmSecretCipher({ keys: [{ id: 'k-b', key: KEY_B }] });
    expect(await dropped.decrypt(after, AGENT)).toBe(SECRET);
    await decryptFailure(dropped.decrypt(before, AGENT));
  });

  it.each([
    ['a value', 'v1.k-a.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', 'k-a'],
    ['an id that is not listed (not checked)', 'v1.unlisted.x.y', 'unlisted'],
    ['a plain base32 secret', SECRET, null],
    ['three fields', 'v1.k-a.x', null],
    ['prefix v2', 'v2.k-a.x.y', null],
    ['a malformed id', 'v1.k a.x.y', null],
    ['a non-string', 42, null],
    ['null', null, null],
    ['a huge string', `v1.k-a.${'A'.repeat(100_000)}.x`, null],
  ])('keyIdOf reads %s', (_, value, expected) => {
    expect(cipherA().keyIdOf(value)).toBe(expected);
  });
});

describe('aesGcmSecretCipher: keys and arguments are checked up front', () => {
  const refused: Array<[string, unknown, typeof TypeError | typeof RangeError, RegExp]> = [
    ['no options', undefined, TypeError, /"options"/],
    ['null options', null, TypeError, /"options" expected an object/],
  ];
  it.each(refused)('refuses %s', (_, options, ErrorClass, message) => {
    expectCipherRefused(options, ErrorClass, message);
  });

  it.each([
    ['a number', 42, TypeError],
    ['undefined', undefined, TypeError],
    ['an unpaired surrogate', 'ab\ud800cd', TypeError],
    ['more than 4096 UTF-8 bytes', 'x'.repeat(4097), RangeError],
    ['2731 2-byte characters (4098 bytes)', 'é'.repeat(2049), RangeError],
  ])('encrypt refuses a plaintext that is %s', async (_, plain, ErrorClass) => {
    await expect(cipherA().encrypt(plain as string, AGENT)).rejects.toThrow(ErrorClass);
  });

  it.each([
    ['empty', ''],
    ['a number', 42],
    ['undefined', undefined],
    ['an unpaired high surrogate', 'agent\ud800'],
    ['an unpaired low surrogate', 'agent\udc00'],
  ])('encrypt and decrypt refuse a context that is %s', async (_, context) => {
    const c = cipherA();
    const value = await c.encrypt(SECRET, AGENT);
    await expect(c.encrypt(SECRET, context as string)).rejects.toThrow(TypeError);
    await expect(c.decrypt(value, context as string)).rejects.toThrow(/"context"/);
  });

  it('fails at creation when Web Crypto is missing', () => {
    vi.stubGlobal('crypto', undefined);
    expect(() => cipherA()).toThrow(/needs Web Crypto/);
  });
});

describe('aesGcmSecretCipher: key import', () => {
  it('imports each key once, lazily, as a non-extractable AES-GCM key, even under concurrent calls', async () => {
    const importKey = vi.spyOn(globalThis.crypto.subtle, 'importKey');
    const c: AesGcmSecretCipher = aesGcmSecretCipher({ keys: [{ id: 'k-b', key: KEY_B }, { id: 'k-a', key: KEY_A }] });
    expect(importKey).not.toHaveBeenCalled();
    const oldValue = await cipherA().encrypt(SECRET, AGENT);
    importKey.mockClear();
    const values = await Promise.all(Array.from({ length: 20 }, () => c.encrypt(SECRET, AGENT)));
    expect(importKey).toHaveBeenCalledTimes(1);
    await Promise.all([...values, oldValue, oldValue].map((v) => c.decrypt(v, AGENT)));
    expect(importKey).toHaveBeenCalledTimes(2);
    for (const call of importKey.mock.calls) {
      expect(call[0]).toBe('raw');
      expect(call[2]).toEqual({ name: 'AES-GCM' });
      expect(call[3]).toBe(false);
    }
  });

  it('wraps a failed encryption as SECRET_ENCRYPT_FAILED with the cause, and recovers', async () => {
    const failure = new Error('import refused');
    vi.spyOn(globalThis.crypto.subtle, 'importKey').mockRejectedValueOnce(failure);
    const c = cipherA();
    const error = await c.encrypt(SECRET, AGENT).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TwoFactorError);
    expect((error as TwoFactorError).code).toBe('SECRET_ENCRYPT_FAILED');
    expect((error as TwoFactorError).cause).toBe(failure);
    expect(await c.decrypt(await c.encrypt(SECRET, AGENT), AGENT)).toBe(SECRET);
  });

  it('reports a failed import during decryption as SECRET_DECRYPT_FAILED with the cause', async () => {
    const value = await cipherA().encrypt(SECRET, AGENT);
    const failure = new Error('import refused');
    vi.spyOn(globalThis.crypto.subtle, 'importKey').mockRejectedValueOnce(failure);
    const c = cipherA();
    const error = await decryptFailure(c.decrypt(value, AGENT));
    expect(error.cause).toBe(failure);
    expect(await c.decrypt(value, AGENT)).toBe(SECRET);
  });

  it('refuses to encrypt when the random source leaves the IV unfilled', async () => {
    vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(<T,>(a: T) => a);
    await expect(cipherA().encrypt(SECRET, AGENT)).rejects.toThrow(/IV all zero/);
  });
});

/**
 * The re-encryption loop of docs/security.md ("Rotating the key"), verbatim but for the
 * imports: every agent's TOTP secret re-encrypted with the current key, by compare-and-set.
 */
async function reencrypt(storage: TwoFactorStorage, cipher: AesGcmSecretCipher, agentId: string): Promise<'none' | 'current' | 'updated'> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const loaded = await storage.load(agentId);
    const totp = loaded?.record.totp;
    if (!loaded || !totp) return 'none';
    if (totp.secretEncrypted && cipher.keyIdOf(totp.secret) === cipher.currentKeyId) return 'current';
    const plain = totp.secretEncrypted ? await cipher.decrypt(totp.secret, agentId) : totp.secret;
    const secret = await cipher.encrypt(plain, agentId);
    const record = { ...loaded.record, totp: { ...totp, secret, secretEncrypted: true } };
    if (await storage.save(agentId, record, loaded.version)) return 'updated';
  }
  throw new Error(`re-encrypting ${agentId}: too many concurrent writes, run it again`);
}

describe('aesGcmSecretCipher with createTwoFactor', () => {
  const A = { id: 'k-a', key: KEY_A };
  const B = { id: 'k-b', key: KEY_B };

  it('stores the TOTP secret encrypted, bound to the agent, and logins still work', async () => {
    const h = harness({ secretCipher: aesGcmSecretCipher({ keys: [A] }) });
    const secret = await enroll(h, 'ann');
    const raw = h.storage.raw('ann')!;
    expect(raw).not.toContain(secret);
    expect(stored(h.storage, 'ann')!.totp).toMatchObject({ secretEncrypted: true, secret: expect.stringMatching(/^v1\.k-a\./) });
    expect(await h.tf.verifyTotp('ann', codeAt(secret, h.clock.now().getTime()))).toEqual({ ok: true, method: 'totp' });

    // Ann's ciphertext copied into Bob's record does not decrypt as Bob's.
    await enroll(h, 'bob');
    const bob = (await h.storage.load('bob'))!;
    const copied = { ...bob.record, totp: { ...bob.record.totp!, secret: stored(h.storage, 'ann')!.totp!.secret } };
    expect(await h.storage.save('bob', copied, bob.version)).toBe(true);
    await rejectsWith(h.tf.verifyTotp('bob', '123456'), 'SECRET_DECRYPT_FAILED');
  });

  it('rotates: old values decrypt, each save moves a record to the new key, the loop does the rest', async () => {
    const h = harness({ secretCipher: aesGcmSecretCipher({ keys: [A] }) });
    const agents = ['ann', 'bob', 'cy'];
    const secrets = new Map<string, string>();
    for (const agent of agents) secrets.set(agent, await enroll(h, agent));

    const rotated = aesGcmSecretCipher({ keys: [B, A] });
    const h2 = harness({ secretCipher: rotated }, h.storage);
    h2.clock.set(h.clock.now());
    h2.clock.advance(STEP_MS);
    // A login saves Ann's record, which re-encrypts it with k-b.
    expect((await h2.tf.verifyTotp('ann', codeAt(secrets.get('ann')!, h2.clock.now().getTime()))).ok).toBe(true);
    expect(rotated.keyIdOf(stored(h.storage, 'ann')!.totp!.secret)).toBe('k-b');
    expect(rotated.keyIdOf(stored(h.storage, 'bob')!.totp!.secret)).toBe('k-a');

    const outcomes = await Promise.all([...agents, 'nobody'].map((agent) => reencrypt(h.storage, rotated, agent)));
    expect(outcomes).toEqual(['current', 'updated', 'updated', 'none']);
    for (const agent of agents) expect(rotated.keyIdOf(stored(h.storage, agent)!.totp!.secret)).toBe('k-b');

    // Now k-a can go: every agent still logs in with k-b alone.
    const h3 = harness({ secretCipher: aesGcmSecretCipher({ keys: [B] }) }, h.storage);
    h3.clock.set(h2.clock.now());
    h3.clock.advance(STEP_MS);
    for (const agent of agents) {
      expect((await h3.tf.verifyTotp(agent, codeAt(secrets.get(agent)!, h3.clock.now().getTime()))).ok).toBe(true);
    }
  });

  it('the loop also encrypts secrets stored before a cipher was configured', async () => {
    const h = harness();
    const secret = await enroll(h, 'ann');
    expect(stored(h.storage, 'ann')!.totp!.secretEncrypted).toBe(false);
    const cipher = aesGcmSecretCipher({ keys: [A] });
    expect(await reencrypt(h.storage, cipher, 'ann')).toBe('updated');
    expect(h.storage.raw('ann')).not.toContain(secret);
    expect(await cipher.decrypt(stored(h.storage, 'ann')!.totp!.secret, 'ann')).toBe(secret);
  });
});
