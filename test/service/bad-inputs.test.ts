/**
 * The shared bad inputs (test/_bad-inputs.ts) thrown at every service entry point, plus bad
 * options, garbage settings and a storage that breaks its contract on load. Nothing may crash
 * with an unplanned error, accept, count a failure for malformed input, or skip 2FA.
 */
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryStorage } from '../../src/memory.js';
import type { TwoFactorStorage } from '../../src/ports.js';
import { createTwoFactor, type TwoFactor, type TwoFactorOptions } from '../../src/index.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { CountingStorage, TOTP_ONLY, begin, codeAt, enroll, harness } from './_helpers.js';

/** What calling `fn` did: threw synchronously, rejected, or resolved. */
async function outcome(fn: () => unknown): Promise<{ kind: 'threw' | 'rejected' | 'resolved'; value: unknown }> {
  let pending: unknown;
  try {
    pending = fn();
  } catch (e) {
    return { kind: 'threw', value: e };
  }
  try {
    return { kind: 'resolved', value: await pending };
  } catch (e) {
    return { kind: 'rejected', value: e };
  }
}

const isArgumentError = (e: unknown) => e instanceof TypeError || e instanceof RangeError;

/** Every entry point that takes an agent id, called with `id` and otherwise valid arguments. */
const ENTRY_POINTS: Array<[string, (tf: TwoFactor, id: unknown) => unknown]> = [
  ['policy', (tf, id) => tf.policy(id as string)],
  ['skipSetup', (tf, id) => tf.skipSetup(id as string)],
  ['beginTotpSetup', (tf, id) => tf.beginTotpSetup(id as string, { account: 'ann@example.com' })],
  ['confirmTotpSetup', (tf, id) => tf.confirmTotpSetup(id as string, '123456', { setupToken: 'token' })],
  ['verifyTotp', (tf, id) => tf.verifyTotp(id as string, '123456')],
  ['status', (tf, id) => tf.status(id as string)],
  ['admin.provisionTotp', (tf, id) => tf.admin.provisionTotp(id as string, { account: 'ann@example.com' })],
  ['admin.setEnforced', (tf, id) => tf.admin.setEnforced(id as string, true)],
  ['admin.remove', (tf, id) => tf.admin.remove(id as string)],
  ['admin.unlock', (tf, id) => tf.admin.unlock(id as string)],
];

// Agent ids are the host's opaque keys: any string of 1..256 characters that is not blank is
// a legitimate id, even one that would be a bad TOTP code ('26920x', Arabic-Indic digits ...).
const OPAQUE_BUT_VALID_IDS = new Set([
  'Arabic-Indic digits', 'full-width digits', 'Devanagari digits', 'digits with a trailing letter', 'hex-looking',
  'exponent form', 'signed', 'NUL byte inside', 'zero-width space inside',
]);
// A lone surrogate has no UTF-8 form: a database or a cipher context could not hold it
// faithfully, so it is refused with the other bad ids (TypeError, no storage call).
// A blank id is refused like an empty one (as blank account names are): it can only come from
// a host bug, and would pool every such call into one shared record. Tested on its own below.
const BLANK_ID = 'whitespace only';
const BAD_IDS = BAD_VALUES.filter((b) => !OPAQUE_BUT_VALID_IDS.has(b.name) && b.name !== BLANK_ID);

/** Runs `call` on every entry point; returns those whose outcome `ok` does not accept. */
async function offenders(
  make: () => TwoFactor,
  call: (tf: TwoFactor, run: (tf: TwoFactor, id: unknown) => unknown) => unknown,
  ok: (got: Awaited<ReturnType<typeof outcome>>) => boolean,
): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, run] of ENTRY_POINTS) {
    const got = await outcome(() => call(make(), run));
    if (!ok(got)) bad.push(`${name}: ${got.kind} ${got.value instanceof Error ? `${got.value.name}: ${got.value.message}` : JSON.stringify(got.value)}`);
  }
  return bad;
}

describe('bad agent ids: TypeError before any storage call', () => {
  describe.each(ENTRY_POINTS)('%s', (_name, call) => {
    it.each(BAD_IDS)('$name', async ({ value }) => {
      const counting = new CountingStorage(new MemoryStorage());
      const { tf } = harness({ storage: counting });
      const got = await outcome(() => call(tf, value));
      expect(got.kind).not.toBe('resolved');
      expect(got.value).toBeInstanceOf(TypeError);
      expect(counting.calls).toEqual([]);
    });
  });

  it.each([...OPAQUE_BUT_VALID_IDS])('an id that only looks odd (%s) is accepted as an opaque key', async (name) => {
    const value = BAD_VALUES.find((b) => b.name === name)!.value as string;
    const h = harness();
    await h.tf.admin.setEnforced(value, true);
    expect((await h.tf.status(value)).enforced).toBe(true);
    expect((await h.tf.status('other')).enforced).toBe(false);
  });

  it("a blank id ('   \\t\\n') is refused with TypeError before any storage call, by every entry point", async () => {
    const counting = new CountingStorage(new MemoryStorage());
    const blank = BAD_VALUES.find((b) => b.name === BLANK_ID)!.value;
    const bad = await offenders(
      () => harness({ storage: counting }).tf,
      (tf, run) => run(tf, blank),
      (got) => got.kind !== 'resolved' && got.value instanceof TypeError,
    );
    expect(bad).toEqual([]);
    expect(counting.calls).toEqual([]);
  });

  it('an id of 256 characters is accepted, 257 refused', async () => {
    const { tf } = harness();
    await expect(tf.status('x'.repeat(256))).resolves.toMatchObject({ enrolled: [] });
    await expect(tf.status('x'.repeat(257))).rejects.toThrow(TypeError);
  });
});

describe('bad codes: { ok: false, reason: malformed }, nothing counted, nothing written', () => {
  it.each(BAD_VALUES)('verifyTotp($name)', async ({ value }) => {
    const h = harness();
    const secret = await enroll(h, 'a');
    const before = h.storage.raw('a');
    expect(await h.tf.verifyTotp('a', value as string)).toEqual({ ok: false, reason: 'malformed' });
    expect(h.storage.raw('a')).toBe(before);
    // The factor still works: the malformed input neither consumed a step nor counted.
    expect(await h.tf.verifyTotp('a', codeAt(secret, h.clock.now().getTime()))).toEqual({ ok: true, method: 'totp' });
  });

  it.each(BAD_VALUES)('confirmTotpSetup($name)', async ({ value }) => {
    const h = harness();
    const { setupToken } = await begin(h, 'a');
    const before = h.storage.raw('a');
    expect(await h.tf.confirmTotpSetup('a', value as string, { setupToken })).toEqual({ ok: false, reason: 'malformed' });
    expect(h.storage.raw('a')).toBe(before);
  });

  it('a hundred malformed codes in a row never lock the agent', async () => {
    const h = harness();
    await enroll(h, 'a');
    for (let i = 0; i < 100; i++) await h.tf.verifyTotp('a', BAD_VALUES[i % BAD_VALUES.length]!.value as string);
    expect(await h.tf.status('a')).toMatchObject({ failures: 0, lockedUntil: null });
  });
});

describe('bad account names', () => {
  // Labels that are odd but legal in an otpauth URI are accepted as given.
  const LEGAL = new Set(['Arabic-Indic digits', 'full-width digits', 'Devanagari digits', 'digits with a trailing letter', 'hex-looking', 'exponent form', 'signed']);

  describe.each([
    ['beginTotpSetup', (tf: TwoFactor, account: unknown) => tf.beginTotpSetup('a', { account: account as string })],
    ['admin.provisionTotp', (tf: TwoFactor, account: unknown) => tf.admin.provisionTotp('a', { account: account as string })],
  ] as const)('%s', (_name, call) => {
    it.each(BAD_VALUES.filter((b) => !LEGAL.has(b.name)))('$name: TypeError or INVALID_URI, nothing stored', async ({ value }) => {
      const h = harness();
      const got = await outcome(() => call(h.tf, value));
      expect(got.kind).not.toBe('resolved');
      const e = got.value;
      expect(isArgumentError(e) || (e instanceof TwoFactorError && e.code === 'INVALID_URI')).toBe(true);
      expect(h.storage.raw('a')).toBeUndefined();
      expect(h.events).toEqual([]);
    });

    it.each(BAD_VALUES.filter((b) => LEGAL.has(b.name)))('$name: a legal label, used as given', async ({ value }) => {
      const h = harness();
      const r = await call(h.tf, value);
      expect(r.ok).toBe(true);
      const { parseKeyUri } = await import('../../src/otp/uri-parse.js');
      if (r.ok) expect(parseKeyUri(r.uri).account).toBe(value);
    });
  });

  it("an account with ':' (forbidden in a key URI label) is refused and nothing is stored", async () => {
    const h = harness();
    const got = await outcome(() => h.tf.beginTotpSetup('a', { account: 'ann:admin' }));
    expect(got.value).toBeInstanceOf(TwoFactorError);
    expect(h.storage.raw('a')).toBeUndefined();
  });
});

describe('other bad arguments', () => {
  it.each(BAD_VALUES.filter((b) => typeof b.value !== 'boolean'))('setEnforced(on: $name): TypeError, nothing stored', async ({ value }) => {
    const h = harness();
    const got = await outcome(() => h.tf.admin.setEnforced('a', value as boolean));
    expect(got.value).toBeInstanceOf(TypeError);
    expect(h.storage.raw('a')).toBeUndefined();
  });

  it.each([
    ['remove with method "sms"', (tf: TwoFactor) => tf.admin.remove('a', { method: 'sms' as never })],
    ['remove with options null', (tf: TwoFactor) => tf.admin.remove('a', null as never)],
    ['remove with options "totp"', (tf: TwoFactor) => tf.admin.remove('a', 'totp' as never)],
    ['beginTotpSetup with sessionVerified "yes"', (tf: TwoFactor) => tf.beginTotpSetup('a', { account: 'x@example.com', sessionVerified: 'yes' as never })],
    ['beginTotpSetup with setupToken 1', (tf: TwoFactor) => tf.beginTotpSetup('a', { account: 'x@example.com', setupToken: 1 as never })],
    ['beginTotpSetup with setupToken null', (tf: TwoFactor) => tf.beginTotpSetup('a', { account: 'x@example.com', setupToken: null as never })],
    ['confirmTotpSetup without options', (tf: TwoFactor) => tf.confirmTotpSetup('a', '123456', undefined as never)],
    ['confirmTotpSetup without a setupToken', (tf: TwoFactor) => tf.confirmTotpSetup('a', '123456', {} as never)],
    ['confirmTotpSetup with an empty setupToken', (tf: TwoFactor) => tf.confirmTotpSetup('a', '123456', { setupToken: '' })],
    ['confirmTotpSetup with setupToken 42', (tf: TwoFactor) => tf.confirmTotpSetup('a', '123456', { setupToken: 42 as never })],
    ['confirmTotpSetup with options "token"', (tf: TwoFactor) => tf.confirmTotpSetup('a', '123456', 'token' as never)],
    ['beginTotpSetup with no options', (tf: TwoFactor) => tf.beginTotpSetup('a', undefined as never)],
    ['beginTotpSetup with options []', (tf: TwoFactor) => tf.beginTotpSetup('a', [] as never)],
    ['provisionTotp with no options', (tf: TwoFactor) => tf.admin.provisionTotp('a', undefined as never)],
  ])('%s: TypeError/RangeError, no storage call', async (_name, call) => {
    const counting = new CountingStorage(new MemoryStorage());
    const { tf } = harness({ storage: counting });
    const got = await outcome(() => call(tf));
    expect(got.kind).not.toBe('resolved');
    expect(isArgumentError(got.value)).toBe(true);
    expect(counting.calls).toEqual([]);
  });

  it('bad arguments are reported as a rejected promise, like every other failure, never a synchronous throw', async () => {
    const CALLS: Array<[string, (tf: TwoFactor) => unknown]> = [
      ['beginTotpSetup, bad account', (tf) => tf.beginTotpSetup('a', { account: 42 as never })],
      ['beginTotpSetup, bad setupToken', (tf) => tf.beginTotpSetup('a', { account: 'x@example.com', setupToken: 7 as never })],
      ['confirmTotpSetup, no setupToken', (tf) => tf.confirmTotpSetup('a', '123456', {} as never)],
      ['admin.provisionTotp, bad account', (tf) => tf.admin.provisionTotp('a', { account: null as never })],
      ['admin.setEnforced, bad flag', (tf) => tf.admin.setEnforced('a', 'yes' as never)],
      ['admin.remove, bad method', (tf) => tf.admin.remove('a', { method: 'sms' as never })],
      ['verifyTotp, bad agent id', (tf) => tf.verifyTotp(42 as never, '123456')],
      ['status, bad agent id', (tf) => tf.status(42 as never)],
    ];
    const threw: string[] = [];
    for (const [name, call] of CALLS) {
      const got = await outcome(() => call(harness().tf));
      expect(isArgumentError(got.value)).toBe(true);
      if (got.kind !== 'rejected') threw.push(`${name}: ${got.kind}`);
    }
    // `await` hides the difference, but `tf.x(...).catch(...)` does not: a sync throw escapes it.
    expect(threw).toEqual([]);
  });
});

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
    let caught: unknown;
    try {
      createTwoFactor(options as TwoFactorOptions);
    } catch (e) {
      caught = e;
    }
    expect(isArgumentError(caught)).toBe(true);
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

describe('garbage settings from a function: every operation fails closed before touching storage', () => {
  const GARBAGE: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'totp'],
    ['an empty object', {}],
    ['totp "true"', { totp: 'true', email: false, requireAll: true }],
    ['requireAll missing', { totp: true, email: false }],
    ['grace days 0', { totp: true, email: false, requireAll: true, gracePeriod: { days: 0 } }],
    ['grace days NaN', { totp: true, email: false, requireAll: true, gracePeriod: { days: Number.NaN } }],
    ['grace until an invalid Date', { totp: true, email: false, requireAll: true, gracePeriod: { until: new Date('nope') } }],
    ['grace until a string', { totp: true, email: false, requireAll: true, gracePeriod: { until: '2030-01-01' } }],
    ['grace with both until and days', { totp: true, email: false, requireAll: true, gracePeriod: { days: 1, until: new Date(0) } }],
  ];
  const OPS = ENTRY_POINTS.filter(([name]) => name !== 'status'); // status does not read settings

  describe.each(GARBAGE)('settings %s', (_name, garbage) => {
    it.each(OPS)('%s rejects with TypeError/RangeError', async (_op, call) => {
      const counting = new CountingStorage(new MemoryStorage());
      const { tf } = harness({ storage: counting, settings: async () => garbage as never });
      const got = await outcome(() => call(tf, 'a'));
      expect(got.kind).not.toBe('resolved'); // never a decision, so never a skip
      expect(isArgumentError(got.value)).toBe(true);
      expect(counting.calls).toEqual([]);
    });
  });

  it('a settings function that throws or rejects: the error propagates, nothing is read or written', async () => {
    const boom = new Error('settings service down');
    for (const settings of [() => { throw boom; }, async () => { throw boom; }]) {
      const counting = new CountingStorage(new MemoryStorage());
      const { tf } = harness({ storage: counting, settings: settings as never });
      await expect(tf.policy('a')).rejects.toBe(boom);
      await expect(tf.verifyTotp('a', '123456')).rejects.toBe(boom);
      expect(counting.calls).toEqual([]);
    }
  });
});

describe('a load that breaks the storage contract', () => {
  // load must resolve null or { record, version }. Anything else is a broken storage: the
  // service should say so (STORAGE_FAILED or INVALID_RECORD), not crash with an unplanned
  // TypeError or, worse, treat the agent as having no 2FA.
  const BROKEN: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['a string', 'row'],
    ['an object without record', { version: 1 }],
    ['a record that is a string', { record: 'x', version: 1 }],
  ];
  it.each(BROKEN)('resolving %s: every entry point rejects with TwoFactorError STORAGE_FAILED or INVALID_RECORD', async (_name, value) => {
    const storage: TwoFactorStorage = { load: async () => value as never, save: async () => true };
    const bad = await offenders(
      () => createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY }),
      (tf, run) => run(tf, 'a'),
      (got) =>
        got.kind === 'rejected' &&
        got.value instanceof TwoFactorError &&
        (got.value.code === 'STORAGE_FAILED' || got.value.code === 'INVALID_RECORD'),
    );
    expect(bad).toEqual([]);
  });
});
