/**
 * Edges found in review: a stored drift outside a narrowed window, an issuer no key URI can
 * carry, and an admin removal that has nothing to remove.
 */
import { describe, expect, it } from 'vitest';
import { createTwoFactor } from '../../src/index.js';
import { MemoryStorage } from '../../src/memory.js';
import { STEP_MS, TOTP_ONLY, codeAt, enroll, harness, stored, wrongCode } from './_helpers.js';

describe('a stored drift is re-clamped to the current window', () => {
  it('after the window is narrowed from 3 to 1, an on-time device is accepted and an old code is not', async () => {
    const storage = new MemoryStorage();
    const wide = harness({ totp: { window: 3 } }, storage);
    const secret = await enroll(wide, 'a');
    // A slow device: its code is three steps behind. Accepted with window 3; drift -3 stored.
    wide.clock.advance(3 * STEP_MS); // so that the slow device's code is a step not used yet
    expect(await wide.tf.verifyTotp('a', codeAt(secret, wide.clock.now().getTime(), -3))).toEqual({ ok: true, method: 'totp' });
    expect(stored(storage, 'a')!.totp!.driftSteps).toBe(-3);

    // The operator goes back to the default window of 1, on the same storage and time.
    const narrow = harness({ totp: { window: 1 } }, storage);
    narrow.clock.set(wide.clock.now().getTime() + 2 * STEP_MS);
    const now = narrow.clock.now().getTime();
    // A code from three steps ago is outside the window centred at -1.
    expect(await narrow.tf.verifyTotp('a', codeAt(secret, now, -3))).toMatchObject({ ok: false, reason: 'invalid-code' });
    // The on-time code is inside it (centre -1, +1 reaches 0).
    expect(await narrow.tf.verifyTotp('a', codeAt(secret, now))).toEqual({ ok: true, method: 'totp' });
    expect(stored(storage, 'a')!.totp!.driftSteps).toBe(0);
  });
});

describe('createTwoFactor refuses an issuer that no key URI can carry', () => {
  it.each([
    ['trailing space', 'Acme '],
    ['leading space', ' Acme'],
    ['a line break', 'Acme\nHelp'],
    ['a right-to-left override', 'Ac\u202eme'],
    ['a NUL', 'Acme\u0000'],
    ['too long', 'A'.repeat(2100)],
  ])('%s', (_name, issuer) => {
    expect(() => createTwoFactor({ storage: new MemoryStorage(), issuer, settings: TOTP_ONLY })).toThrow(TypeError);
  });

  it('accepts punctuation, spaces inside and emoji', () => {
    expect(() => createTwoFactor({ storage: new MemoryStorage(), issuer: 'Acme & Co. / Help 🙂', settings: TOTP_ONLY })).not.toThrow();
  });
});

describe('admin.remove with nothing of that method to remove changes nothing', () => {
  it('a locked agent with TOTP only: remove({ method: "email" }) keeps the lock, writes nothing, emits nothing', async () => {
    const h = harness({ settings: { totp: true, email: true, requireAll: false } });
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, h.clock.now().getTime()));
    expect((await h.tf.status('a')).lockedUntil).not.toBeNull();
    const before = h.storage.raw('a');
    h.events.length = 0;

    expect(await h.tf.admin.remove('a', { method: 'email' })).toEqual({ ok: true, removed: [] });
    expect(h.storage.raw('a')).toBe(before);
    expect(h.events).toEqual([]);
    expect((await h.tf.status('a')).lockedUntil).not.toBeNull();
  });

  it('removing TOTP from the same agent does clear the lock', async () => {
    const h = harness();
    const secret = await enroll(h, 'a');
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, h.clock.now().getTime()));
    expect(await h.tf.admin.remove('a', { method: 'totp' })).toEqual({ ok: true, removed: ['totp'] });
    expect((await h.tf.status('a')).lockedUntil).toBeNull();
  });
});
