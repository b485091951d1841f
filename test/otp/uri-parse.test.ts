// parseKeyUri (src/otp/uri-parse.ts): what real apps emit is read, and what could be read two
// ways is refused with INVALID_URI.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { parseKeyUri } from '../../src/otp/uri-parse.js';
import type { ParsedKeyUri } from '../../src/otp/uri.js';
import { S, S2, refusal } from './_uri.js';

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
