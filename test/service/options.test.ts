/**
 * @module createTwoFactor's options (src/service/options.ts): bad options are refused at once
 * with TypeError or RangeError, boundaries are accepted, and an issuer no key URI can carry is
 * refused; settings given as a function are read at every call. (Garbage that a settings
 * function returns: bad-inputs.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage } from '../../src/memory.js';
import type { PolicySettings, TwoFactorOptions } from '../../src/index.js';
import { isArgumentError, thrownBy } from '../support/entry-points.js';
import { TOTP_ONLY, codeAt, createTwoFactor, enroll, harness, now } from '../support/harness.js';

describe('createTwoFactor refuses bad options', () => {
  const storage = new MemoryStorage();
  const valid: TwoFactorOptions = { storage, issuer: 'Acme Help', settings: TOTP_ONLY };
  const CASES: Array<[string, unknown]> = [
    ['no options', undefined],
    ['options null', null],
    ['options a string', 'storage'],
    ['storage missing', { ...valid, storage: undefined }],
    ['storage null', { ...valid, storage: null }],
    ['storage without save', { ...valid, storage: { load: async () => null } }],
    ['storage with a non-function load', { ...valid, storage: { load: 1, save: async () => true } }],
    ['issuer missing', { ...valid, issuer: undefined }],
    ['issuer empty', { ...valid, issuer: '' }],
    ['issuer blank', { ...valid, issuer: '   ' }],
    ["issuer with ':'", { ...valid, issuer: 'Acme:Help' }],
    ['issuer a number', { ...valid, issuer: 7 }],
    ['settings missing', { ...valid, settings: undefined }],
    ['settings null', { ...valid, settings: null }],
    ['settings a string', { ...valid, settings: 'on' }],
    ['settings with a non-boolean flag', { ...valid, settings: { totp: 'yes', email: false, requireAll: false } }],
    ['settings with negative grace days', { ...valid, settings: { ...TOTP_ONLY, requireAll: true, gracePeriod: { days: -1 } } }],
    ['settings with both until and days', { ...valid, settings: { ...TOTP_ONLY, gracePeriod: { days: 1, until: new Date() } } }],
    ['clock without now()', { ...valid, clock: {} }],
    ['clock a number', { ...valid, clock: 5 }],
    ['random not a function', { ...valid, random: 'dice' }],
    ['random null', { ...valid, random: null }],
    ['onEvent not a function', { ...valid, onEvent: 'log' }],
    ['onEventError not a function', { ...valid, onEventError: 'log' }],
    ['throttle a number', { ...valid, throttle: 5 }],
    ['throttle.freeFailures 0', { ...valid, throttle: { freeFailures: 0 } }],
    ['throttle.freeFailures 101 (NIST SP 800-63B 5.2.2: at most 100)', { ...valid, throttle: { freeFailures: 101 } }],
    ['throttle.freeFailures 1.5', { ...valid, throttle: { freeFailures: 1.5 } }],
    ['throttle.freeFailures NaN', { ...valid, throttle: { freeFailures: Number.NaN } }],
    ['throttle.freeFailures Infinity', { ...valid, throttle: { freeFailures: Number.POSITIVE_INFINITY } }],
    ['throttle.freeFailures "5"', { ...valid, throttle: { freeFailures: '5' } }],
    ['throttle.freeFailures 100 without maxConsecutiveFailures above it', { ...valid, throttle: { freeFailures: 100 } }],
    ['throttle.maxConsecutiveFailures equal to freeFailures', { ...valid, throttle: { freeFailures: 5, maxConsecutiveFailures: 5 } }],
    ['throttle.maxConsecutiveFailures below the default freeFailures', { ...valid, throttle: { maxConsecutiveFailures: 3 } }],
    ['throttle.maxConsecutiveFailures 1001', { ...valid, throttle: { maxConsecutiveFailures: 1001 } }],
    ['throttle.maxConsecutiveFailures 50.5', { ...valid, throttle: { maxConsecutiveFailures: 50.5 } }],
    ['throttle.maxConsecutiveFailures "100"', { ...valid, throttle: { maxConsecutiveFailures: '100' } }],
    ['throttle.maxConsecutiveFailures Infinity (no hard limit is not an option)', { ...valid, throttle: { maxConsecutiveFailures: Number.POSITIVE_INFINITY } }],
    ['totp.setupTtlMs 999', { ...valid, totp: { setupTtlMs: 999 } }],
    ['totp.setupTtlMs a day and 1 ms', { ...valid, totp: { setupTtlMs: 86_400_001 } }],
    ['throttle.baseLockMs 0', { ...valid, throttle: { baseLockMs: 0 } }],
    ['throttle.baseLockMs -1', { ...valid, throttle: { baseLockMs: -1 } }],
    ['throttle.maxLockMs below baseLockMs', { ...valid, throttle: { baseLockMs: 60_000, maxLockMs: 30_000 } }],
    ['throttle.maxLockMs below the default baseLockMs', { ...valid, throttle: { maxLockMs: 1000 } }],
    ['totp a string', { ...valid, totp: 'SHA1' }],
    ['totp.digits 5', { ...valid, totp: { digits: 5 } }],
    ['totp.digits 9', { ...valid, totp: { digits: 9 } }],
    ['totp.algorithm MD5', { ...valid, totp: { algorithm: 'MD5' } }],
    ['totp.periodSeconds 0', { ...valid, totp: { periodSeconds: 0 } }],
    ['totp.window 11', { ...valid, totp: { window: 11 } }],
    ['totp.window { past: -1 }', { ...valid, totp: { window: { past: -1, future: 1 } } }],
    ['totp.window null', { ...valid, totp: { window: null } }],
    ['totp.secretBytes 15', { ...valid, totp: { secretBytes: 15 } }],
    ['storageAttempts 0', { ...valid, storageAttempts: 0 }],
    ['storageAttempts 101', { ...valid, storageAttempts: 101 }],
  ];

  it.each(CASES)('%s', (_name, options) => {
    expect(isArgumentError(thrownBy(() => createTwoFactor(options as TwoFactorOptions)))).toBe(true);
  });

  it.each([
    ['throttle.freeFailures 100 (with maxConsecutiveFailures 101)', { throttle: { freeFailures: 100, maxConsecutiveFailures: 101 } }],
    ['throttle.maxConsecutiveFailures 1000', { throttle: { maxConsecutiveFailures: 1000 } }],
    ['throttle.maxConsecutiveFailures 6 (freeFailures 5 + 1)', { throttle: { maxConsecutiveFailures: 6 } }],
    ['totp.setupTtlMs 1 s', { totp: { setupTtlMs: 1000 } }],
    ['throttle.freeFailures 1', { throttle: { freeFailures: 1 } }],
    ['maxLockMs equal to baseLockMs', { throttle: { baseLockMs: 5000, maxLockMs: 5000 } }],
    ['totp.window { past: 10, future: 0 }', { totp: { window: { past: 10, future: 0 } } }],
    ['settings as an async function', { settings: async () => TOTP_ONLY }],
  ])('boundary accepted: %s', (_name, extra) => {
    expect(() => createTwoFactor({ ...valid, ...extra } as TwoFactorOptions)).not.toThrow();
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

describe('settings read at every call', () => {
  it('an async settings function: turning TOTP off applies to the next call, and on again', async () => {
    let current: PolicySettings = { totp: true, email: true, requireAll: false };
    let reads = 0;
    const h = harness({
      settings: async () => {
        reads++;
        return current;
      },
      mailer: new MemoryMailer(),
    });
    const secret = await enroll(h, 'a');
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', verifyMethods: ['totp'] });

    current = { totp: false, email: true, requireAll: false };
    const readsBefore = reads;
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: false, reason: 'method-disabled' });
    expect(reads).toBe(readsBefore + 1);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'optional', setupMethods: ['email'] });
    expect(await h.tf.beginTotpSetup('a', { account: 'x@example.com' })).toEqual({ ok: false, reason: 'method-disabled' });
    // The factor is not deleted, only unused; the code's step was not consumed.
    expect((await h.tf.status('a')).enrolled).toEqual(['totp']);

    current = { totp: false, email: false, requireAll: true };
    expect(await h.tf.policy('a')).toMatchObject({ action: 'skip', reason: 'no-method-enabled' });

    current = { totp: true, email: false, requireAll: false };
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it('a sync settings function works the same way', async () => {
    let totpOn = true;
    const h = harness({ settings: () => ({ totp: totpOn, email: false, requireAll: false }) });
    await enroll(h, 'a');
    totpOn = false;
    expect(await h.tf.verifyTotp('a', '123456')).toEqual({ ok: false, reason: 'method-disabled' });
    expect(await h.tf.confirmTotpSetup('a', '123456', { setupToken: 'any' })).toEqual({ ok: false, reason: 'method-disabled' });
  });
});
