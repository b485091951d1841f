// The private keyed-HMAC helper shares its hash states between calls; these tests pin down
// that sharing never mixes two keys.
import { createHmac } from 'node:crypto';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { _CounterMac } from '../../src/otp/_core.js';
import { hotp, totp, verifyTotp } from '../../src/index.js';

const keyA = new Uint8Array(20).fill(0xa1);
const keyB = new Uint8Array(20).fill(0xb2);

function reference(key: Uint8Array, counter: number, algorithm = 'sha1'): number {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, key).update(message).digest();
  return (mac.readUInt32BE(mac[mac.length - 1]! & 0x0f) & 0x7fffffff) % 1e6;
}

describe('_CounterMac', () => {
  it('two live instances for the same hash keep their own keys', () => {
    const a = new _CounterMac(sha1, keyA);
    const b = new _CounterMac(sha1, keyB); // the shared states are busy: b gets its own
    expect(a.truncated(7, 6)).toBe(reference(keyA, 7));
    expect(b.truncated(7, 6)).toBe(reference(keyB, 7));
    expect(a.truncated(8, 6)).toBe(reference(keyA, 8));
    b.destroy();
    a.destroy();
    // After both are gone the shared states work again.
    const c = new _CounterMac(sha1, keyB);
    expect(c.truncated(9, 6)).toBe(reference(keyB, 9));
    c.destroy();
  });

  it('instances for different hashes do not interfere', () => {
    const a = new _CounterMac(sha1, keyA);
    const b = new _CounterMac(sha256, keyA);
    expect(b.truncated(1, 6)).toBe(reference(keyA, 1, 'sha256'));
    expect(a.truncated(1, 6)).toBe(reference(keyA, 1));
    a.destroy();
    b.destroy();
  });

  it('alternating keys and algorithms through the public API stay exact', () => {
    for (let i = 0; i < 20; i++) {
      const key = i % 2 ? keyA : keyB;
      expect(Number(hotp(key, i))).toBe(reference(key, i));
      expect(Number(hotp(key, i, { algorithm: 'SHA256' }))).toBe(reference(key, i, 'sha256'));
      const code = hotp(key, 1000 + i);
      expect(verifyTotp(key, code, { at: (1000 + i) * 30_000 })).toMatchObject({ valid: true, delta: 0 });
    }
  });
});

describe('key bytes', () => {
  it("never changes the caller's Uint8Array secret (only bytes twofold decoded itself are wiped)", () => {
    for (const length of [16, 20, 64, 65, 200]) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
      const copy = Uint8Array.from(bytes);
      totp(bytes, { at: 0, algorithm: 'SHA256' });
      verifyTotp(bytes, '123456', { at: 0, algorithm: 'SHA512' });
      verifyTotp(bytes, 'bad', { at: 0 });
      hotp(bytes, 5);
      expect(bytes).toEqual(copy);
    }
  });
});
