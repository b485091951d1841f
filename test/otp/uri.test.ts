import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { encodeBase32 } from '../../src/otp/base32.js';
import type { HashAlgorithm } from '../../src/otp/hotp.js';
import { buildKeyUri, parseKeyUri, type KeyUriOptions, type ParsedKeyUri } from '../../src/otp/uri.js';
import { BAD_VALUES } from '../_bad-inputs.js';

const S = 'JBSWY3DPEHPK3PXP'; // the Key Uri Format example key, "Hello!\xDE\xAD\xBE\xEF"
const S2 = 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ';

/** Runs `fn`, expects a TwoFactorError with `code`, and returns it for further checks. */
function refusal(fn: () => unknown, code: 'INVALID_URI' | 'INVALID_SECRET' = 'INVALID_URI'): TwoFactorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TwoFactorError);
    expect((e as TwoFactorError).code).toBe(code);
    return e as TwoFactorError;
  }
  throw new Error('expected a TwoFactorError, nothing was thrown');
}

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

describe('parseKeyUri reads what real apps emit', () => {
  const totp = (o: Omit<ParsedKeyUri & { type: 'totp' }, 'type' | 'algorithm' | 'digits' | 'period'> & Partial<ParsedKeyUri>) =>
    ({ type: 'totp', algorithm: 'SHA1', digits: 6, period: 30, ...o }) as ParsedKeyUri;
  const cases: readonly { name: string; uri: string; result: ParsedKeyUri }[] = [
    {
      name: 'Google Authenticator wiki example',
      uri: `otpauth://totp/Example:alice@google.com?secret=${S}&issuer=Example`,
      result: totp({ issuer: 'Example', account: 'alice@google.com', secret: S }),
    },
    {
      name: 'Google wiki example with every optional parameter',
      uri: `otpauth://totp/ACME%20Co:john.doe@email.com?secret=${S2}&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30`,
      result: totp({ issuer: 'ACME Co', account: 'john.doe@email.com', secret: S2 }),
    },
    {
      name: 'Google wiki label with %3A and %20 after it, no issuer parameter',
      uri: `otpauth://totp/Big%20Corporation%3A%20alice%40bigco.com?secret=${S}`,
      result: totp({ issuer: 'Big Corporation', account: 'alice@bigco.com', secret: S }),
    },
    {
      name: 'Google wiki Provider1:Alice%20Smith (issuer only in the label)',
      uri: `otpauth://totp/Provider1:Alice%20Smith?secret=${S}`,
      result: totp({ issuer: 'Provider1', account: 'Alice Smith', secret: S }),
    },
    {
      name: 'GitHub style',
      uri: `otpauth://totp/GitHub:octocat?secret=${S2}&issuer=GitHub`,
      result: totp({ issuer: 'GitHub', account: 'octocat', secret: S2 }),
    },
    {
      name: 'Microsoft style: lowercase secret, encoded @',
      uri: 'otpauth://totp/Microsoft:someone%40outlook.com?secret=abcdefghijklmnop&issuer=Microsoft',
      result: totp({ issuer: 'Microsoft', account: 'someone@outlook.com', secret: 'ABCDEFGHIJKLMNOP' }),
    },
    {
      name: 'Authy style: 7 digits, 10 s period, parameters in another order',
      uri: `otpauth://totp/Authy:+15551234567?digits=7&period=10&issuer=Authy&secret=${S2}`,
      result: totp({ issuer: 'Authy', account: '+15551234567', secret: S2, digits: 7, period: 10 }),
    },
    {
      name: 'AWS style: spaces in issuer, literal @ in account',
      uri: `otpauth://totp/Amazon%20Web%20Services:root-account-mfa-device@123456789012?secret=${S2}&issuer=Amazon%20Web%20Services`,
      result: totp({ issuer: 'Amazon Web Services', account: 'root-account-mfa-device@123456789012', secret: S2 }),
    },
    {
      name: 'literal space after the colon',
      uri: `otpauth://totp/Example: alice@google.com?secret=${S}&issuer=Example`,
      result: totp({ issuer: 'Example', account: 'alice@google.com', secret: S }),
    },
    {
      name: 'several %20 after the colon, and before it',
      uri: `otpauth://totp/Example%20:%20%20%20alice?secret=${S}`,
      result: totp({ issuer: 'Example', account: 'alice', secret: S }),
    },
    {
      name: 'issuer only in the parameter',
      uri: `otpauth://totp/alice@google.com?secret=${S}&issuer=Example`,
      result: totp({ issuer: 'Example', account: 'alice@google.com', secret: S }),
    },
    {
      name: 'no issuer at all',
      uri: `otpauth://totp/alice?secret=${S}`,
      result: totp({ account: 'alice', secret: S }),
    },
    {
      name: 'empty issuer= parameter read as absent',
      uri: `otpauth://totp/alice?secret=${S}&issuer=`,
      result: totp({ account: 'alice', secret: S }),
    },
    {
      name: 'lowercase algorithm',
      uri: `otpauth://totp/Example:alice?secret=${S}&algorithm=sha256`,
      result: totp({ issuer: 'Example', account: 'alice', secret: S, algorithm: 'SHA256' }),
    },
    {
      name: 'mixed-case algorithm SHA512',
      uri: `otpauth://totp/alice?secret=${S}&algorithm=Sha512&digits=8`,
      result: totp({ account: 'alice', secret: S, algorithm: 'SHA512', digits: 8 }),
    },
    {
      name: '+ in a query value is a space (form encoding), + in the label is a plus',
      uri: `otpauth://totp/Big%20Corp:a+b?secret=${S}&issuer=Big+Corp`,
      result: totp({ issuer: 'Big Corp', account: 'a+b', secret: S }),
    },
    {
      name: '%2B in a query value is a plus',
      uri: `otpauth://totp/C++:dev?secret=${S}&issuer=C%2B%2B`,
      result: totp({ issuer: 'C++', account: 'dev', secret: S }),
    },
    {
      name: 'unknown parameters ignored (FreeOTP image, color, lock)',
      uri: `otpauth://totp/Example:alice?secret=${S}&issuer=Example&image=https%3A%2F%2Fexample.com%2Flogo.png&color=ff0000&lock=false&lock=true`,
      result: totp({ issuer: 'Example', account: 'alice', secret: S }),
    },
    {
      name: 'upper-case scheme and type',
      uri: `OTPAUTH://TOTP/Example:alice?secret=${S}`,
      result: totp({ issuer: 'Example', account: 'alice', secret: S }),
    },
    {
      name: 'secret with padding and lower case',
      uri: 'otpauth://totp/alice?secret=mfrgg===',
      result: totp({ account: 'alice', secret: 'MFRGG' }),
    },
    {
      name: 'secret with encoded padding and spaces',
      uri: 'otpauth://totp/alice?secret=MFRG%20G%3D%3D%3D',
      result: totp({ account: 'alice', secret: 'MFRGG' }),
    },
    {
      name: 'short legacy secret (10 bytes) accepted',
      uri: `otpauth://totp/alice?secret=${S}`,
      result: totp({ account: 'alice', secret: S }),
    },
    {
      name: 'upper-case parameter names, empty pairs skipped',
      uri: `otpauth://totp/alice?&SECRET=${S}&&Digits=7&`,
      result: totp({ account: 'alice', secret: S, digits: 7 }),
    },
    {
      name: 'surrounding whitespace and a trailing newline (as a scanner may return)',
      uri: `  otpauth://totp/alice?secret=${S}\n`,
      result: totp({ account: 'alice', secret: S }),
    },
    {
      name: 'raw Unicode (an IRI) and a literal / in the label',
      uri: `otpauth://totp/Zürich/Bank:ünï?secret=${S}`,
      result: totp({ issuer: 'Zürich/Bank', account: 'ünï', secret: S }),
    },
    {
      name: 'label prefix empty (":alice") read as no issuer',
      uri: `otpauth://totp/:alice?secret=${S}&issuer=Example`,
      result: totp({ issuer: 'Example', account: 'alice', secret: S }),
    },
    {
      name: 'counter on a totp URI ignored',
      uri: `otpauth://totp/alice?secret=${S}&counter=5`,
      result: totp({ account: 'alice', secret: S }),
    },
    {
      name: 'hotp',
      uri: `otpauth://hotp/Example:alice?secret=${S}&issuer=Example&counter=0`,
      result: { type: 'hotp', issuer: 'Example', account: 'alice', secret: S, algorithm: 'SHA1', digits: 6, period: 30, counter: 0 },
    },
    {
      name: 'hotp with the largest safe counter and leading zeros in digits',
      uri: `otpauth://hotp/alice?secret=${S}&counter=9007199254740991&digits=08`,
      result: { type: 'hotp', account: 'alice', secret: S, algorithm: 'SHA1', digits: 8, period: 30, counter: 9007199254740991 },
    },
  ];
  it.each(cases)('$name', ({ uri, result }) => {
    expect(parseKeyUri(uri)).toStrictEqual(result);
  });
});

describe('parseKeyUri refusals (INVALID_URI)', () => {
  const long = `otpauth://totp/alice?secret=${S}&pad=${'x'.repeat(2048)}`;
  const cases: readonly { name: string; uri: string; message?: RegExp }[] = [
    { name: 'empty', uri: '' },
    { name: 'whitespace only', uri: ' \t ' },
    { name: 'http scheme', uri: `http://totp/alice?secret=${S}`, message: /not an otpauth/ },
    { name: 'Google export scheme', uri: 'otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8', message: /not an otpauth/ },
    { name: 'one slash', uri: `otpauth:/totp/alice?secret=${S}` },
    { name: 'no label', uri: `otpauth://totp?secret=${S}` },
    { name: 'unknown type', uri: `otpauth://motp/alice?secret=${S}`, message: /^(?!.*motp).*type \(a string of length 4\) is not supported/ },
    { name: 'steam type', uri: `otpauth://steam/alice?secret=${S}`, message: /not supported/ },
    { name: 'empty account', uri: `otpauth://totp/?secret=${S}`, message: /no account/ },
    { name: 'empty account after the colon', uri: `otpauth://totp/Example:?secret=${S}`, message: /no account/ },
    { name: 'only spaces after the colon', uri: `otpauth://totp/Example:%20%20?secret=${S}`, message: /no account/ },
    { name: 'no query', uri: 'otpauth://totp/alice', message: /no secret/ },
    { name: 'no secret', uri: 'otpauth://totp/alice?issuer=Example', message: /no secret/ },
    { name: 'empty secret', uri: 'otpauth://totp/alice?secret=', message: /no secret/ },
    { name: 'secret with a character outside base32', uri: 'otpauth://totp/alice?secret=JBSWY3DPEHPK3PX1', message: /base32/ },
    { name: 'secret of an impossible length', uri: 'otpauth://totp/alice?secret=JBSWY3DPEHPK3PXPJBS', message: /base32/ },
    { name: 'secret with inner padding', uri: 'otpauth://totp/alice?secret=JBSW=Y3DP', message: /base32/ },
    { name: 'label issuer differs from issuer=', uri: `otpauth://totp/Example:alice?secret=${S}&issuer=Other`, message: /differs/ },
    { name: 'label issuer differs by case', uri: `otpauth://totp/example:alice?secret=${S}&issuer=Example`, message: /differs/ },
    { name: 'two colons in the label', uri: `otpauth://totp/a:b:c?secret=${S}`, message: /more than one colon/ },
    { name: 'two %3A in the label', uri: `otpauth://totp/a%3Ab%3Ac?secret=${S}`, message: /more than one colon/ },
    { name: 'colon in issuer=', uri: `otpauth://totp/alice?secret=${S}&issuer=a%3Ab`, message: /':'/ },
    { name: 'digits 5', uri: `otpauth://totp/alice?secret=${S}&digits=5`, message: /"digits" must be an integer 6\.\.8, got a string of length 1$/ },
    { name: 'digits 9', uri: `otpauth://totp/alice?secret=${S}&digits=9`, message: /^(?!.*9).*got a string of length 1$/ },
    { name: 'digits word', uri: `otpauth://totp/alice?secret=${S}&digits=six`, message: /digits/ },
    { name: 'digits fractional', uri: `otpauth://totp/alice?secret=${S}&digits=6.0`, message: /digits/ },
    { name: 'digits signed', uri: `otpauth://totp/alice?secret=${S}&digits=%2B6`, message: /digits/ },
    { name: 'digits empty', uri: `otpauth://totp/alice?secret=${S}&digits=`, message: /digits/ },
    { name: 'digits full-width', uri: `otpauth://totp/alice?secret=${S}&digits=%EF%BC%96`, message: /digits/ },
    { name: 'period 0', uri: `otpauth://totp/alice?secret=${S}&period=0`, message: /period/ },
    { name: 'period negative', uri: `otpauth://totp/alice?secret=${S}&period=-30`, message: /period/ },
    { name: 'period fractional', uri: `otpauth://totp/alice?secret=${S}&period=30.5`, message: /period/ },
    { name: 'period exponent', uri: `otpauth://totp/alice?secret=${S}&period=3e1`, message: /period/ },
    { name: 'period over a day', uri: `otpauth://totp/alice?secret=${S}&period=86401`, message: /period/ },
    { name: 'algorithm MD5', uri: `otpauth://totp/alice?secret=${S}&algorithm=MD5`, message: /algorithm/ },
    { name: 'algorithm SHA-1 (hyphenated)', uri: `otpauth://totp/alice?secret=${S}&algorithm=SHA-1`, message: /algorithm/ },
    { name: 'algorithm empty', uri: `otpauth://totp/alice?secret=${S}&algorithm=`, message: /algorithm/ },
    { name: 'algorithm with a long s (upper-cases to SHA256)', uri: `otpauth://totp/alice?secret=${S}&algorithm=%C5%BFha256`, message: /algorithm/ },
    { name: 'secret with a long s (upper-cases to S)', uri: `otpauth://totp/alice?secret=%C5%BF${S.slice(1)}`, message: /secret/ },
    { name: 'hotp without counter', uri: `otpauth://hotp/alice?secret=${S}`, message: /counter/ },
    { name: 'hotp counter negative', uri: `otpauth://hotp/alice?secret=${S}&counter=-1`, message: /counter/ },
    { name: 'hotp counter beyond 2^53-1', uri: `otpauth://hotp/alice?secret=${S}&counter=9007199254740992`, message: /counter/ },
    { name: 'hotp counter fractional', uri: `otpauth://hotp/alice?secret=${S}&counter=1.5`, message: /counter/ },
    { name: 'duplicate secret', uri: `otpauth://totp/alice?secret=${S}&secret=${S2}`, message: /"secret" more than once/ },
    { name: 'duplicate secret differing in case', uri: `otpauth://totp/alice?secret=${S}&Secret=${S2}`, message: /more than once/ },
    { name: 'duplicate issuer', uri: `otpauth://totp/alice?secret=${S}&issuer=A&issuer=B`, message: /"issuer" more than once/ },
    { name: 'duplicate digits', uri: `otpauth://totp/alice?secret=${S}&digits=6&digits=8`, message: /more than once/ },
    { name: 'malformed %zz in the label', uri: `otpauth://totp/al%zzice?secret=${S}`, message: /percent-encoding/ },
    { name: 'lone % at the end of the label', uri: `otpauth://totp/alice%?secret=${S}`, message: /percent-encoding/ },
    { name: 'invalid UTF-8 (%E9)', uri: `otpauth://totp/caf%E9?secret=${S}`, message: /percent-encoding/ },
    { name: 'encoded lone surrogate (%ED%A0%80)', uri: `otpauth://totp/a%ED%A0%80?secret=${S}`, message: /percent-encoding/ },
    { name: 'malformed % in a parameter value', uri: `otpauth://totp/alice?secret=${S}&issuer=100%`, message: /percent-encoding/ },
    { name: 'malformed % in an unknown parameter', uri: `otpauth://totp/alice?secret=${S}&x=%G0`, message: /percent-encoding/ },
    { name: 'encoded NUL in the account', uri: `otpauth://totp/al%00ice?secret=${S}`, message: /control/ },
    { name: 'encoded newline in the issuer', uri: `otpauth://totp/alice?secret=${S}&issuer=A%0AB`, message: /control/ },
    { name: 'encoded right-to-left override', uri: `otpauth://totp/alice%E2%80%AEmoc.evil?secret=${S}`, message: /control/ },
    { name: 'encoded zero-width space', uri: `otpauth://totp/al%E2%80%8Bice?secret=${S}`, message: /control/ },
    { name: 'raw lone surrogate in the label', uri: `otpauth://totp/a\ud800?secret=${S}`, message: /surrogate/ },
    { name: 'raw tab', uri: `otpauth://totp/al\tice?secret=${S}`, message: /control character/ },
    { name: 'raw NUL', uri: `otpauth://totp/alice?secret=${S}\u0000`, message: /control character/ },
    { name: 'raw # (fragment)', uri: `otpauth://totp/C#:alice?secret=${S}`, message: /'#'/ },
    { name: 'fragment after the query', uri: `otpauth://totp/alice?secret=${S}#frag`, message: /'#'/ },
    { name: `over 2,048 characters (${long.length})`, uri: long, message: /too long/ },
  ];
  it.each(cases)('$name', ({ uri, message }) => {
    const e = refusal(() => parseKeyUri(uri));
    if (message) expect(e.message).toMatch(message);
    // Messages never contain the secret, in any case.
    for (const s of [S, S2, 'JBSWY3DPEHPK3PX1', 'JBSWY3DPEHPK3PXPJBS', 'JBSW=Y3DP']) {
      expect(e.message.toUpperCase()).not.toContain(s);
    }
  });

  it('a bad secret keeps the INVALID_SECRET error as cause', () => {
    const e = refusal(() => parseKeyUri('otpauth://totp/alice?secret=JBSWY3DPEHPK3PX1'));
    expect(e.cause).toBeInstanceOf(TwoFactorError);
    expect((e.cause as TwoFactorError).code).toBe('INVALID_SECRET');
    expect(String((e.cause as Error).message)).not.toContain('JBSWY3DPEHPK3PX1');
  });

  it('malformed percent-encoding keeps the URIError as cause', () => {
    expect(refusal(() => parseKeyUri(`otpauth://totp/a%zz?secret=${S}`)).cause).toBeInstanceOf(URIError);
  });

  it('the length limit is checked before any parsing work', () => {
    const huge = `otpauth://totp/${'%zz'.repeat(400_000)}`;
    const t0 = performance.now();
    expect(refusal(() => parseKeyUri(huge)).message).toMatch(/too long \(1200015 characters/);
    expect(performance.now() - t0).toBeLessThan(50);
    // 2,048 characters exactly is still accepted.
    const edge = `otpauth://totp/alice?secret=${S}&pad=`;
    expect(parseKeyUri(edge + 'x'.repeat(2048 - edge.length)).account).toBe('alice');
  });

  it('never throws anything but INVALID_URI for random strings and mangled URIs', () => {
    const base = `otpauth://totp/Example:alice?secret=${S}&issuer=Example&digits=6`;
    const mangled = fc
      .tuple(fc.nat({ max: base.length }), fc.nat({ max: 5 }), fc.string({ unit: 'binary', maxLength: 6 }))
      .map(([at, del, ins]) => base.slice(0, at) + ins + base.slice(at + del));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), mangled), (uri) => {
        try {
          parseKeyUri(uri);
        } catch (e) {
          expect(e).toBeInstanceOf(TwoFactorError);
          expect((e as TwoFactorError).code).toBe('INVALID_URI');
          expect((e as Error).message).not.toContain(S);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('buildKeyUri refusals', () => {
  const ok: KeyUriOptions = { issuer: 'Example', account: 'alice', secret: S };
  const dataCases: readonly { name: string; options: KeyUriOptions; code?: 'INVALID_URI' | 'INVALID_SECRET'; message: RegExp }[] = [
    { name: 'colon in issuer', options: { ...ok, issuer: 'a:b' }, message: /"issuer" must not contain ':'/ },
    { name: 'colon in account', options: { ...ok, account: 'mailto:alice' }, message: /"account" must not contain ':'/ },
    { name: 'full-width colon is fine, ASCII colon is not', options: { ...ok, account: 'a：b:c' }, message: /':'/ },
    { name: 'empty account', options: { ...ok, account: '' }, message: /"account" is empty/ },
    { name: 'empty issuer (omit it instead)', options: { ...ok, issuer: '' }, message: /"issuer" is empty/ },
    { name: 'leading space in account', options: { ...ok, account: ' alice' }, message: /leading or trailing whitespace/ },
    { name: 'trailing space in issuer', options: { ...ok, issuer: 'Example ' }, message: /whitespace/ },
    { name: 'whitespace-only account', options: { ...ok, account: '   ' }, message: /whitespace/ },
    { name: 'trailing no-break space', options: { ...ok, account: 'alice\u00a0' }, message: /whitespace/ },
    { name: 'newline in account', options: { ...ok, account: 'al\nice' }, message: /control/ },
    { name: 'NUL in issuer', options: { ...ok, issuer: 'Ex\u0000ample' }, message: /control/ },
    { name: 'DEL in account', options: { ...ok, account: 'a\u007f' }, message: /control/ },
    { name: 'C1 control in account', options: { ...ok, account: 'a\u0085b' }, message: /control/ },
    { name: 'right-to-left override', options: { ...ok, account: 'alice\u202emoc' }, message: /control/ },
    { name: 'zero-width space', options: { ...ok, account: 'al\u200bice' }, message: /control/ },
    { name: 'byte-order mark', options: { ...ok, issuer: '\ufeffExample' }, message: /control/ },
    { name: 'line separator', options: { ...ok, account: 'a\u2028b' }, message: /control/ },
    { name: 'lone high surrogate', options: { ...ok, account: 'a\ud800' }, message: /surrogate/ },
    { name: 'lone low surrogate', options: { ...ok, issuer: '\udc00x' }, message: /surrogate/ },
    { name: 'account longer than 2,048', options: { ...ok, account: 'a'.repeat(2049) }, message: /too long/ },
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
