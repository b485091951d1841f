/**
 * @module The shared bad inputs (test/_bad-inputs.ts) thrown at every service entry point
 * (test/support/entry-points.ts): bad agent ids, bad codes, bad account names, bad options of a
 * call, and garbage settings. Nothing may crash with an unplanned error, accept, count a failure
 * for malformed input, or skip 2FA. (Bad options of createTwoFactor: options.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import { TwoFactorError, parseKeyUri, type TwoFactor } from '../../src/index.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { ENTRY_POINTS, harnessFor, isArgumentError, offenders, outcome } from '../support/entry-points.js';
import { ADDRESS, begin, codeAt, emailHarness, enroll, harness, now, sendCode, type Harness } from '../support/harness.js';
import { CountingStorage } from '../support/storages.js';

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

describe('bad agent ids: TypeError before any storage call', () => {
  describe.each(ENTRY_POINTS)('%s', (name, call) => {
    it.each(BAD_IDS)('$name', async ({ value }) => {
      const counting = new CountingStorage(new MemoryStorage());
      const { tf } = harnessFor(name, { storage: counting });
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
      (name) => harnessFor(name, { storage: counting }).tf,
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

/** An entry point that checks a typed code, with the agent brought to where it would check one. */
interface CodeEntryPoint {
  name: string;
  /** Brings agent 'a' to the state where the call checks a code; returns the call. */
  prepare: (h: Harness) => Promise<(code: string) => Promise<unknown>>;
  make: () => Harness;
  /** Checks, after the malformed input, that the factor still works (nothing consumed or counted). */
  stillWorks?: (h: Harness) => Promise<void>;
}

/** The TOTP factor's secret per harness, for `stillWorks`. */
const secrets = new WeakMap<Harness, string>();

const CODE_ENTRY_POINTS: CodeEntryPoint[] = [
  {
    name: 'verifyTotp',
    make: () => harness(),
    prepare: async (h) => {
      secrets.set(h, await enroll(h, 'a'));
      return (code) => h.tf.verifyTotp('a', code);
    },
    stillWorks: async (h) => {
      // The factor still works: the malformed input neither consumed a step nor counted.
      expect(await h.tf.verifyTotp('a', codeAt(secrets.get(h)!, now(h)))).toEqual({ ok: true, method: 'totp' });
    },
  },
  {
    name: 'confirmTotpSetup',
    make: () => harness(),
    prepare: async (h) => {
      const { setupToken } = await begin(h, 'a');
      return (code) => h.tf.confirmTotpSetup('a', code, { setupToken });
    },
  },
  {
    name: 'verifyEmailCode',
    make: () => emailHarness(),
    prepare: async (h) => {
      await sendCode(h as ReturnType<typeof emailHarness>, 'a');
      return (code) => h.tf.verifyEmailCode('a', code);
    },
  },
];

/** Codes that are malformed for the 6-digit codes every entry point checks by default. */
const BAD_CODES: Array<{ name: string; value: unknown }> = [
  { name: 'letters', value: 'abcdef' },
  { name: '5 digits', value: '12345' },
  { name: '7 digits', value: '1234567' },
  { name: 'a trailing letter', value: '12345x' },
  { name: 'a dash', value: '123-456' },
  { name: 'an array of one code', value: ['123456'] },
  { name: '65 characters', value: '1'.repeat(65) },
];

describe('bad codes: { ok: false, reason: malformed }, no attempt used, nothing counted, nothing written', () => {
  describe.each(CODE_ENTRY_POINTS)('$name', ({ make, prepare, stillWorks }) => {
    it.each([...BAD_VALUES, ...BAD_CODES])('$name', async ({ value }) => {
      const h = make();
      const call = await prepare(h);
      const before = h.storage.raw('a');
      expect(await call(value as string)).toEqual({ ok: false, reason: 'malformed' });
      expect(h.storage.raw('a')).toBe(before);
      await stillWorks?.(h);
    });
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

  // The second-method guard rests on this flag: a truthy string must not pass for `true`.
  it.each<[string, (tf: TwoFactor) => Promise<unknown>]>([
    ['sendEmailCode, "true"', (tf) => tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: 'true' as never })],
    ['sendEmailCode, 1', (tf) => tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: 1 as never })],
    ['sendEmailCode, null', (tf) => tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: null as never })],
    ['beginTotpSetup, "yes"', (tf) => tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: 'yes' as never })],
    ['beginTotpSetup, {}', (tf) => tf.beginTotpSetup('a', { account: ADDRESS, sessionVerified: {} as never })],
  ])('sessionVerified must be a boolean (%s): a rejected TypeError naming the option, no storage call, no mail', async (_name, call) => {
    const counting = new CountingStorage(new MemoryStorage());
    const h = emailHarness({ storage: counting });
    const error = await call(h.tf).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as TypeError).message).toContain('"sessionVerified" expected a boolean');
    expect(counting.calls).toEqual([]);
    expect(h.mailer.sent).toEqual([]);
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
    it.each(OPS)('%s rejects with TypeError/RangeError', async (op, call) => {
      const counting = new CountingStorage(new MemoryStorage());
      const { tf } = harnessFor(op, { storage: counting, settings: async () => garbage as never });
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
