// buildKeyUri (src/otp/uri.ts): round trips through parseKeyUri, the output, refusals, the
// shared bad inputs at both entry points, and a differential against otpauth. parseKeyUri's
// own reading and refusal rules: test/otp/uri-parse.test.ts.
import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { encodeBase32 } from '../../src/otp/base32.js';
import type { HashAlgorithm } from '../../src/otp/hotp.js';
import { buildKeyUri, type KeyUriOptions, type ParsedKeyUri } from '../../src/otp/uri.js';
import { parseKeyUri } from '../../src/otp/uri-parse.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { S, S2, refusal } from './_uri.js';

/** What parseKeyUri should return for build options `o` (secret given as bytes). */
function expected(o: KeyUriOptions & { secret: Uint8Array }): ParsedKeyUri {
  const fields = {
    ...(o.issuer === undefined ? {} : { issuer: o.issuer }),
    account: o.account,
    secret: encodeBase32(o.secret),
    algorithm: o.algorithm ?? 'SHA1',
    digits: o.digits ?? 6,
    period: o.period ?? 30,
  };
  return o.type === 'hotp' ? { type: 'hotp', ...fields, counter: o.counter! } : { type: 'totp', ...fields };
}

// Names the format must carry through a round trip untouched (none contains ':').
const NASTY = [
  'ACME Co', 'a b  c', 'a&b', '100%', '%25', '%3A', '%20', 'C#', 'a/b/c', 'why?', 'C++', 'a+b', 'x=1', 'a=b&c=d',
  "O'Brien (Ltd.)!*", '~._-', 'user@example.com', '😀', '👨‍👩‍👧', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🇨🇭', 'Zürich', 'Ñandú', '用户', 'עברית',
  'ہندی', 'नमस्ते', 'e\u0301', '[brackets]', '{braces}', '<tag>', '"quoted"', '\\back\\slash', 'tab-free', '|pipe|',
  'a\u00a0b', // an inner no-break space is kept
];

// Filter for generated names: what the format and buildKeyUri's documented rules allow.
const isAllowedName = (s: string) =>
  s.length > 0 && !s.includes(':') && !/^\s|\s$/u.test(s) &&
  !/[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]|(?![\u200C\u200D\u{E0020}-\u{E007F}])\p{Cf}/u.test(s);

const arbName = fc
  .oneof(
    { weight: 2, arbitrary: fc.constantFrom(...NASTY) },
    { weight: 3, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 30 }) },
  )
  .filter(isAllowedName);
const arbAlgorithm = fc.constantFrom<HashAlgorithm>('SHA1', 'SHA256', 'SHA512');
const arbOptions = fc
  .record({
    issuer: fc.option(arbName, { nil: undefined }),
    account: arbName,
    secret: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    algorithm: fc.option(arbAlgorithm, { nil: undefined }),
    digits: fc.option(fc.integer({ min: 6, max: 8 }), { nil: undefined }),
    period: fc.option(fc.oneof(fc.constantFrom(30, 60), fc.integer({ min: 1, max: 86_400 })), { nil: undefined }),
    hotp: fc.boolean(),
    counter: fc.oneof(fc.constantFrom(0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER), fc.maxSafeNat()),
    includeDefaults: fc.boolean(),
    secretAs: fc.constantFrom('bytes', 'base32', 'lowercase', 'grouped'),
  })
  .map(({ hotp, counter, secretAs, ...o }) => ({
    options: { ...o, ...(hotp ? { type: 'hotp' as const, counter } : {}) },
    secretAs,
  }));

function secretInput(bytes: Uint8Array, as: string): Uint8Array | string {
  const b32 = encodeBase32(bytes);
  if (as === 'bytes') return bytes;
  if (as === 'lowercase') return b32.toLowerCase();
  if (as === 'grouped') return b32.replace(/(.{4})(?=.)/g, '$1 ');
  return b32;
}

describe('buildKeyUri / parseKeyUri round trip', () => {
  it('parseKeyUri(buildKeyUri(x)) returns x for printable names without ":" (5,000 cases)', () => {
    let tooLong = 0;
    fc.assert(
      fc.property(arbOptions, ({ options, secretAs }) => {
        let uri: string;
        try {
          uri = buildKeyUri({ ...options, secret: secretInput(options.secret, secretAs) });
        } catch (e) {
          // Long grapheme clusters encode to up to ~75 characters each; that limit is the only excuse.
          expect(refusal(() => { throw e; }).message).toMatch(/would be \d+ characters/);
          tooLong++;
          return;
        }
        expect(uri).toMatch(/^[\x21-\x7e]+$/); // ASCII, no spaces: fit for a QR code
        expect(uri.length).toBeLessThanOrEqual(2048);
        expect(parseKeyUri(uri)).toStrictEqual(expected(options));
      }),
      { numRuns: 5000 },
    );
    expect(tooLong).toBeLessThan(250);
  });

  it.each(NASTY)('name %j survives as issuer and as account', (name) => {
    const o = { issuer: name, account: `${name} 2`, secret: new Uint8Array([1, 2, 3, 4, 5]) };
    const uri = buildKeyUri(o);
    // Only RFC 3986 unreserved characters, percent-escapes and the one separating colon.
    expect(uri.slice('otpauth://totp/'.length, uri.indexOf('?'))).toMatch(/^[A-Za-z0-9\-._~%]+:[A-Za-z0-9\-._~%]+$/);
    expect(parseKeyUri(uri)).toStrictEqual(expected(o));
  });

  it('any string: buildKeyUri either refuses it with INVALID_URI or round-trips it exactly', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.option(fc.string({ unit: 'binary', maxLength: 40 }), { nil: undefined }),
        (account, issuer) => {
          const o = { issuer, account, secret: new Uint8Array([9, 9, 9, 9, 9]) };
          let uri: string;
          try {
            uri = buildKeyUri(o);
          } catch (e) {
            refusal(() => { throw e; });
            expect(isAllowedName(account) && (issuer === undefined || isAllowedName(issuer))).toBe(false);
            return;
          }
          accepted++;
          expect(parseKeyUri(uri)).toStrictEqual(expected(o));
        },
      ),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(200);
  });

  it('build(parse(uri)) is accepted again and stable', () => {
    const uri = 'otpauth://totp/Big%20Corporation%3A%20alice%40bigco.com?secret=jbsw+y3dp+ehpk+3pxp&digits=8&foo=bar';
    const parsed = parseKeyUri(uri);
    const rebuilt = buildKeyUri(parsed);
    expect(rebuilt).toBe('otpauth://totp/Big%20Corporation:alice%40bigco.com?secret=JBSWY3DPEHPK3PXP&issuer=Big%20Corporation&digits=8');
    expect(parseKeyUri(rebuilt)).toStrictEqual(parsed);
    const h = parseKeyUri('otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=7&period=60');
    expect(parseKeyUri(buildKeyUri(h))).toStrictEqual(h);
  });
});

describe('buildKeyUri output', () => {
  const bytes20 = new TextEncoder().encode('12345678901234567890');
  const cases: readonly { name: string; options: KeyUriOptions; uri: string }[] = [
    {
      name: 'Google example, defaults omitted, secret normalized',
      options: { issuer: 'ACME Co', account: 'john.doe@example.com', secret: 'hxdm vjec jjws rb3h wizr 4ifu gftm xboz' },
      uri: `otpauth://totp/ACME%20Co:john.doe%40example.com?secret=${S2}&issuer=ACME%20Co`,
    },
    {
      name: 'includeDefaults writes algorithm, digits and period',
      options: { issuer: 'Example', account: 'alice', secret: S, includeDefaults: true },
      uri: `otpauth://totp/Example:alice?secret=${S}&issuer=Example&algorithm=SHA1&digits=6&period=30`,
    },
    {
      name: 'non-default parameters',
      options: { account: 'alice', secret: bytes20, algorithm: 'SHA256', digits: 8, period: 60 },
      uri: 'otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA256&digits=8&period=60',
    },
    {
      name: 'hotp with counter',
      options: { issuer: 'Example', account: 'alice', secret: S, type: 'hotp', counter: 0 },
      uri: `otpauth://hotp/Example:alice?secret=${S}&issuer=Example&counter=0`,
    },
    {
      name: 'hotp with includeDefaults (no period: hotp has none)',
      options: { account: 'a', secret: S, type: 'hotp', counter: 9007199254740991, includeDefaults: true },
      uri: `otpauth://hotp/a?secret=${S}&algorithm=SHA1&digits=6&counter=9007199254740991`,
    },
    {
      name: 'reserved and sub-delimiter characters percent-encoded, unreserved literal',
      options: { issuer: "a&b=c+d #e/f?g%h'(i)!*", account: 'x~y_z.w-v', secret: S },
      uri: `otpauth://totp/a%26b%3Dc%2Bd%20%23e%2Ff%3Fg%25h%27%28i%29%21%2A:x~y_z.w-v?secret=${S}&issuer=a%26b%3Dc%2Bd%20%23e%2Ff%3Fg%25h%27%28i%29%21%2A`,
    },
    {
      name: 'Unicode as UTF-8 percent-encoding',
      options: { issuer: 'Zürich', account: '😀', secret: S },
      uri: `otpauth://totp/Z%C3%BCrich:%F0%9F%98%80?secret=${S}&issuer=Z%C3%BCrich`,
    },
  ];
  it.each(cases)('$name', ({ options, uri }) => {
    expect(buildKeyUri(options)).toBe(uri);
  });
});

describe('buildKeyUri refusals', () => {
  const ok: KeyUriOptions = { issuer: 'Example', account: 'alice', secret: S };
  // What an issuer or an account name may not be. One check (_checkName) serves both, so every
  // row is tried in either field, and the message must name that field.
  const badNames: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['a colon', 'a:b', /must not contain ':'/],
    ['a colon after a scheme', 'mailto:alice', /must not contain ':'/],
    ['a full-width colon is fine, an ASCII colon is not', 'a：b:c', /must not contain ':'/],
    ['empty (omit the issuer instead)', '', /is empty/],
    ['a leading space', ' alice', /leading or trailing whitespace/],
    ['a trailing space', 'Example ', /leading or trailing whitespace/],
    ['whitespace only', '   ', /leading or trailing whitespace/],
    ['a trailing no-break space', 'alice\u00a0', /leading or trailing whitespace/],
    ['a newline', 'al\nice', /control/],
    ['a NUL', 'Ex\u0000ample', /control/],
    ['a DEL', 'a\u007f', /control/],
    ['a C1 control', 'a\u0085b', /control/],
    ['a right-to-left override', 'alice\u202emoc', /control/],
    ['a zero-width space', 'al\u200bice', /control/],
    ['a byte-order mark', '\ufeffExample', /control/],
    ['a line separator', 'a\u2028b', /control/],
    ['a lone high surrogate', 'a\ud800', /surrogate/],
    ['a lone low surrogate', '\udc00x', /surrogate/],
    ['longer than 2,048 characters', 'a'.repeat(2049), /too long/],
  ];
  describe.each(['issuer', 'account'] as const)('%s', (field) => {
    it.each(badNames)('%s', (_, text, message) => {
      const e = refusal(() => buildKeyUri({ ...ok, [field]: text }), 'INVALID_URI');
      expect(e.message).toMatch(new RegExp(`^"${field}" `));
      expect(e.message).toMatch(message);
      expect(e.message).not.toContain(S);
      expect(e.message).not.toContain('JBSWY3DPEHPK3PX1');
    });
  });

  const dataCases: readonly { name: string; options: KeyUriOptions; code?: 'INVALID_URI' | 'INVALID_SECRET'; message: RegExp }[] = [
    { name: 'URI over 2,048 characters', options: { ...ok, issuer: 'é'.repeat(300), account: 'b'.repeat(100) }, message: /would be 3748 characters/ },
    { name: 'secret not base32', options: { ...ok, secret: 'JBSWY3DPEHPK3PX1' }, code: 'INVALID_SECRET', message: /base32/ },
    { name: 'secret empty string', options: { ...ok, secret: '' }, code: 'INVALID_SECRET', message: /empty/ },
    { name: 'secret empty bytes', options: { ...ok, secret: new Uint8Array(0) }, code: 'INVALID_SECRET', message: /empty/ },
  ];
  it.each(dataCases)('$name', ({ options, code, message }) => {
    const e = refusal(() => buildKeyUri(options), code ?? 'INVALID_URI');
    expect(e.message).toMatch(message);
    expect(e.message).not.toContain(S);
    expect(e.message).not.toContain('JBSWY3DPEHPK3PX1');
  });

  it('the longest URI that fits is accepted (2,048 characters)', () => {
    const head = buildKeyUri({ account: 'a', secret: S });
    expect(buildKeyUri({ account: 'a'.repeat(2048 - head.length + 1), secret: S })).toHaveLength(2048);
    refusal(() => buildKeyUri({ account: 'a'.repeat(2048 - head.length + 2), secret: S }));
  });

  const optionCases: readonly { name: string; options: unknown; error: typeof TypeError | typeof RangeError; message: RegExp }[] = [
    { name: 'options undefined', options: undefined, error: TypeError, message: /"options" expected an object/ },
    { name: 'options null', options: null, error: TypeError, message: /"options"/ },
    { name: 'options a string', options: 'otpauth://', error: TypeError, message: /"options"/ },
    { name: 'account missing', options: { secret: S }, error: TypeError, message: /"account" expected a string, got undefined/ },
    { name: 'account a number', options: { account: 42, secret: S }, error: TypeError, message: /"account"/ },
    { name: 'issuer null', options: { issuer: null, account: 'a', secret: S }, error: TypeError, message: /"issuer" expected a string, got null/ },
    { name: 'secret missing', options: { account: 'a' }, error: TypeError, message: /"secret" expected a Uint8Array or a base32 string/ },
    { name: 'secret an array of bytes', options: { account: 'a', secret: [1, 2, 3] }, error: TypeError, message: /"secret"/ },
    { name: 'type TOTP (upper case)', options: { account: 'a', secret: S, type: 'TOTP' }, error: RangeError, message: /^(?!.*TOTP)"type" expected one of 'totp', 'hotp', got a string of length 4$/ },
    { name: 'algorithm sha1 (lower case)', options: { account: 'a', secret: S, algorithm: 'sha1' }, error: RangeError, message: /"algorithm"/ },
    { name: 'algorithm MD5', options: { account: 'a', secret: S, algorithm: 'MD5' }, error: RangeError, message: /"algorithm"/ },
    { name: 'digits 9', options: { account: 'a', secret: S, digits: 9 }, error: RangeError, message: /"digits" expected an integer 6\.\.8, got 9/ },
    { name: 'digits 5', options: { account: 'a', secret: S, digits: 5 }, error: RangeError, message: /"digits"/ },
    { name: 'digits a string', options: { account: 'a', secret: S, digits: '6' }, error: TypeError, message: /"digits"/ },
    { name: 'period 0', options: { account: 'a', secret: S, period: 0 }, error: RangeError, message: /"period" expected an integer 1\.\.86400, got 0/ },
    { name: 'period 86401', options: { account: 'a', secret: S, period: 86_401 }, error: RangeError, message: /"period"/ },
    { name: 'period fractional', options: { account: 'a', secret: S, period: 30.5 }, error: TypeError, message: /"period"/ },
    { name: 'counter on totp', options: { account: 'a', secret: S, counter: 1 }, error: TypeError, message: /"counter" is only allowed with type 'hotp'/ },
    { name: 'hotp without counter', options: { account: 'a', secret: S, type: 'hotp' }, error: TypeError, message: /"counter" expected an integer 0\.\.9007199254740991, got undefined/ },
    { name: 'hotp counter negative', options: { account: 'a', secret: S, type: 'hotp', counter: -1 }, error: RangeError, message: /"counter"/ },
    { name: 'hotp counter 2^53', options: { account: 'a', secret: S, type: 'hotp', counter: 2 ** 53 }, error: RangeError, message: /"counter"/ },
    { name: 'hotp counter bigint', options: { account: 'a', secret: S, type: 'hotp', counter: 1n }, error: TypeError, message: /"counter"/ },
    { name: 'includeDefaults a string', options: { account: 'a', secret: S, includeDefaults: 'yes' }, error: TypeError, message: /"includeDefaults" expected a boolean/ },
  ];
  it.each(optionCases)('$name', ({ options, error, message }) => {
    expect(() => buildKeyUri(options as KeyUriOptions)).toThrow(error);
    expect(() => buildKeyUri(options as KeyUriOptions)).toThrow(message);
  });
});

describe('shared bad inputs', () => {
  const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DP';
  const valid: KeyUriOptions = { issuer: 'Example', account: 'alice', secret: SECRET };
  const fields = ['issuer', 'account', 'secret', 'algorithm', 'digits', 'period', 'type', 'counter', 'includeDefaults'] as const;

  /** Asserts the call either succeeds (returning the URI) or throws one of `allowed`; never leaks. */
  function attempt(fn: () => string, leak: readonly string[]): { uri?: string; error?: unknown } {
    try {
      return { uri: fn() };
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      const msg = (e as Error).message;
      expect(msg.length).toBeLessThan(300);
      for (const s of leak) if (s.length >= 4) expect(msg).not.toContain(s);
      return { error: e };
    }
  }

  for (const field of fields) {
    describe(`buildKeyUri { ${field} }`, () => {
      it.each(BAD_VALUES)('$name', ({ value }) => {
        const options = { ...valid, ...(field === 'counter' ? { type: 'hotp' } : {}), [field]: value } as KeyUriOptions;
        const leak = [SECRET, ...(typeof value === 'string' && field === 'secret' ? [value] : [])];
        const { uri, error } = attempt(() => buildKeyUri(options), leak);
        if (field === 'issuer' || field === 'account') {
          if (value === undefined && field === 'issuer') expect(uri).toBeDefined();
          else if (typeof value !== 'string') expect(error).toBeInstanceOf(TypeError);
          else if (error !== undefined) expect((error as TwoFactorError).code).toBe('INVALID_URI');
          else expect(parseKeyUri(uri!)[field]).toBe(value); // e.g. '26920x' is a fine account name
        } else if (field === 'secret') {
          if (typeof value !== 'string') expect(error).toBeInstanceOf(TypeError);
          else expect((error as TwoFactorError).code).toBe('INVALID_SECRET'); // no string in the list is base32
        } else if (field === 'counter' && (value === 123456 || value === undefined)) {
          // 123456 is a fine counter; for hotp the counter is required.
          if (value === undefined) expect(error).toBeInstanceOf(TypeError);
          else expect(parseKeyUri(uri!).counter).toBe(123456);
        } else if (value === undefined || (field === 'includeDefaults' && value === true)) {
          expect(uri).toBeDefined(); // omitted option (the default), or a valid boolean
        } else {
          expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
        }
      });
    });
  }

  describe('parseKeyUri(value)', () => {
    it.each(BAD_VALUES)('$name', ({ value }) => {
      if (typeof value !== 'string') {
        expect(() => parseKeyUri(value as string)).toThrow(TypeError);
      } else {
        refusal(() => parseKeyUri(value));
      }
    });
  });

  const positions: readonly { name: string; make: (v: string) => string; accepts: boolean }[] = [
    { name: 'label', make: (v) => `otpauth://totp/${v}?secret=${SECRET}`, accepts: true },
    { name: 'issuer prefix', make: (v) => `otpauth://totp/${v}:alice?secret=${SECRET}`, accepts: true },
    { name: 'issuer=', make: (v) => `otpauth://totp/alice?secret=${SECRET}&issuer=${v}`, accepts: true },
    { name: 'secret=', make: (v) => `otpauth://totp/alice?secret=${v}`, accepts: false },
    { name: 'algorithm=', make: (v) => `otpauth://totp/alice?secret=${SECRET}&algorithm=${v}`, accepts: false },
    { name: 'digits=', make: (v) => `otpauth://totp/alice?secret=${SECRET}&digits=${v}`, accepts: false },
    { name: 'period=', make: (v) => `otpauth://totp/alice?secret=${SECRET}&period=${v}`, accepts: false },
    { name: 'counter=', make: (v) => `otpauth://hotp/alice?secret=${SECRET}&counter=${v}`, accepts: false },
    { name: 'type', make: (v) => `otpauth://${v}/alice?secret=${SECRET}`, accepts: false },
  ];
  const strings = BAD_VALUES.filter((b) => typeof b.value === 'string' && (b.value as string).length < 100);
  describe.each(positions)('parseKeyUri with a bad value in $name', ({ make, accepts }) => {
    it.each(strings)('$name (raw and percent-encoded)', ({ value }) => {
      const v = value as string;
      const forms = [v, ...(/[\ud800-\udfff]/.test(v) ? [] : [encodeURIComponent(v)])];
      for (const form of forms) {
        const { uri, error } = attempt(() => JSON.stringify(parseKeyUri(make(form))), [SECRET]);
        if (error !== undefined) expect((error as TwoFactorError).code).toBe('INVALID_URI');
        // Values can only be accepted where free text goes (names); numbers and secrets must refuse.
        else expect(accepts, `accepted ${JSON.stringify(v)} in ${uri}`).toBe(true);
      }
    });
  });
});

describe('differential: otpauth 9.5.2', () => {
  const arbCase = fc.record({
    issuer: fc.option(arbName, { nil: undefined }),
    account: arbName,
    key: fc.uint8Array({ minLength: 1, maxLength: 64 }),
    algorithm: arbAlgorithm,
    digits: fc.integer({ min: 6, max: 8 }),
    period: fc.integer({ min: 1, max: 86_400 }),
    hotp: fc.boolean(),
    counter: fc.maxSafeNat(),
    issuerInLabel: fc.boolean(),
  });

  it('URIs built by otpauth parse to the same values (1,000 cases)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const secret = new OTPAuth.Secret({ buffer: c.key.slice().buffer });
        const common = { issuer: c.issuer ?? '', label: c.account, secret, algorithm: c.algorithm, digits: c.digits, issuerInLabel: c.issuerInLabel };
        const uri = c.hotp
          ? new OTPAuth.HOTP({ ...common, counter: c.counter }).toString()
          : new OTPAuth.TOTP({ ...common, period: c.period }).toString();
        if (uri.length > 2048) return;
        const parsed = parseKeyUri(uri);
        expect(parsed.type).toBe(c.hotp ? 'hotp' : 'totp');
        expect(parsed.issuer).toBe(c.issuer);
        expect(parsed.account).toBe(c.account);
        expect(parsed.secret).toBe(encodeBase32(c.key));
        expect(parsed.algorithm).toBe(c.algorithm);
        expect(parsed.digits).toBe(c.digits);
        if (c.hotp) expect(parsed.counter).toBe(c.counter);
        else expect(parsed.period).toBe(c.period);
      }),
      { numRuns: 1000 },
    );
  });

  it('URIs built by buildKeyUri parse in otpauth to the same values (1,000 cases)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        let uri: string;
        try {
          uri = buildKeyUri({
            issuer: c.issuer, account: c.account, secret: c.key, algorithm: c.algorithm, digits: c.digits,
            ...(c.hotp ? { type: 'hotp', counter: c.counter } : { period: c.period }),
          });
        } catch {
          return; // only the 2,048 limit can refuse these (checked in the round-trip property)
        }
        const ref = OTPAuth.URI.parse(uri);
        expect(ref).toBeInstanceOf(c.hotp ? OTPAuth.HOTP : OTPAuth.TOTP);
        expect(ref.secret.base32).toBe(encodeBase32(c.key));
        expect(ref.algorithm).toBe(c.algorithm);
        expect(ref.digits).toBe(c.digits);
        expect(ref.issuer).toBe(c.issuer ?? '');
        expect(ref.label).toBe(c.account);
        if (ref instanceof OTPAuth.HOTP) expect(ref.counter).toBe(c.counter);
        else expect((ref as OTPAuth.TOTP).period).toBe(c.period);
      }),
      { numRuns: 1000 },
    );
  });
});
