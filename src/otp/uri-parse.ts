/**
 * Parsing `otpauth://` key URIs as real apps write them: tolerant where apps differ (case,
 * `+` as a space, padding, the issuer in the label or a parameter), strict where a reading
 * could be ambiguous (duplicate parameters, a second colon, look-alike characters).
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { _ALGORITHMS, _DIGITS, _PERIOD_SECONDS, type HashAlgorithm } from '../shared/limits.js';
import { _asciiLower } from '../shared/text.js';
import { _describe } from '../shared/validate.js';
import { decodeBase32, encodeBase32 } from './base32.js';
import { _checkName, _invalid, type KeyUriFields, type ParsedKeyUri } from './uri.js';

const PARAMS = new Set(['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter']);
const RAW_CONTROL = /\p{Cc}/u;
const URI_SHAPE = /^otpauth:\/\/([^/?]*)\/([^?]*)(?:\?(.*))?$/is;

// Percent-decoding of UTF-8 (RFC 3986 §2.1). In query values `+` is read as a space, as in
// HTML form encoding: Google's format asks for %20, but several apps write `issuer=Big+Corp`.
// In the label (the path) `+` stays a literal plus. buildKeyUri writes %2B and %20, so both
// readings agree on every URI twofold builds.
function _decode(text: string, plusIsSpace: boolean): string {
  const raw = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  try {
    return decodeURIComponent(raw);
  } catch (cause) {
    throw _invalid('otpauth URI has malformed percent-encoding (a % not followed by two hex digits, or not UTF-8)', cause);
  }
}

/** Parses a decimal parameter of the URI. The message never echoes the value (no input string is). */
function _uint(name: string, value: string, min: number, max: number): number {
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) {
    throw _invalid(`otpauth URI "${name}" must be an integer ${min}..${max}, got ${_describe(value)}`);
  }
  return n;
}

/**
 * Parses an `otpauth://` key URI (Google Authenticator Key Uri Format) as real apps write it.
 *
 * Accepted: the scheme and type in any case (`OTPAUTH://TOTP/`); surrounding whitespace; the
 * issuer in the label, in `issuer=`, or in both when they agree; a `:` or `%3A` separator with
 * spaces (`%20` or literal) around it; lowercase `algorithm`; a secret in lower case, with
 * padding or spaces; `+` as a space in query values (form encoding, as several apps write
 * `issuer=Big+Corp`), while `+` in the label stays a plus; an empty `issuer=` (read as absent);
 * unknown parameters (ignored). Surrounding whitespace of the issuer and account is trimmed.
 * Missing `algorithm`, `digits` and `period` take the defaults.
 *
 * Refused with `INVALID_URI`: more than 2,048 characters (checked before any other work), a
 * scheme other than `otpauth://`, a type other than totp/hotp, a raw control character or `#`,
 * malformed percent-encoding, a missing or empty account, a label with more than one colon, a
 * control or invisible format character in the issuer or account, a label prefix that
 * differs from `issuer=`, a missing or invalid secret (the `INVALID_SECRET` error is the
 * `cause`), `algorithm` other than SHA1/SHA256/SHA512, `digits` outside 6..8, `period` outside
 * 1..86400, a hotp URI without a valid `counter`, and any of secret, issuer, algorithm,
 * digits, period or counter given twice (different parsers would pick different copies, so a
 * duplicate is ambiguous, not harmless). Messages never contain the secret.
 *
 * @throws TypeError when `uri` is not a string.
 * @throws TwoFactorError `INVALID_URI` when the URI is malformed or unsupported.
 * @example
 * ```ts
 * parseKeyUri('otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example');
 * // { type: 'totp', issuer: 'Example', account: 'alice@google.com', secret: 'JBSWY3DPEHPK3PXP',
 * //   algorithm: 'SHA1', digits: 6, period: 30 }
 * ```
 */
export function parseKeyUri(uri: string): ParsedKeyUri {
  if (typeof uri !== 'string') throw new TypeError(`"uri" expected a string, got ${_describe(uri)}`);
  if (uri.length > DEFAULTS.maxUriLength) {
    throw _invalid(`otpauth URI is too long (${uri.length} characters; at most ${DEFAULTS.maxUriLength})`);
  }
  const text = uri.trim();
  if (RAW_CONTROL.test(text)) throw _invalid('otpauth URI contains a control character');
  // A key URI has no fragment; a raw '#' is an unencoded character that parsers split differently.
  if (text.includes('#')) throw _invalid("otpauth URI contains a raw '#' (percent-encode it as %23)");
  const m = URI_SHAPE.exec(text);
  if (m === null) {
    throw _invalid(/^otpauth:/i.test(text) ? 'otpauth URI must have the form otpauth://TYPE/LABEL?PARAMETERS' : 'not an otpauth:// URI');
  }
  const [, rawType = '', rawLabel = '', rawQuery = ''] = m;

  // Key Uri Format, Types: "Valid types are hotp and totp". The host is case-insensitive (RFC 3986 §3.2.2).
  const type = _asciiLower(rawType);
  if (type !== 'totp' && type !== 'hotp') {
    throw _invalid(`otpauth URI type (${_describe(rawType)}) is not supported (expected totp or hotp)`);
  }

  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = _asciiLower(_decode(eq < 0 ? part : part.slice(0, eq), true));
    const value = _decode(eq < 0 ? '' : part.slice(eq + 1), true);
    if (!PARAMS.has(name)) continue; // unknown parameters (image=, color=, ...) are ignored
    if (params.has(name)) throw _invalid(`otpauth URI has the parameter "${name}" more than once`);
    params.set(name, value);
  }

  // Key Uri Format, Label: issuer (":" / "%3A") *"%20" accountname. Decoding first handles both
  // separators; since neither part may contain a colon, a second colon is an error, not data.
  const label = _decode(rawLabel, false);
  const parts = label.split(':');
  if (parts.length > 2) throw _invalid('otpauth URI label has more than one colon (issuer and account may not contain one)');
  const account = (parts.length === 2 ? parts[1] ?? '' : label).trim();
  const labelIssuer = parts.length === 2 ? (parts[0] ?? '').trim() : '';
  const paramIssuer = (params.get('issuer') ?? '').trim();
  if (account === '') throw _invalid('otpauth URI has no account name in its label');
  _checkName('account', account);
  // Key Uri Format, Issuer: "If both issuer parameter and issuer label prefix are present, they should be equal."
  if (labelIssuer !== '' && paramIssuer !== '' && labelIssuer !== paramIssuer) {
    throw _invalid('otpauth URI label issuer differs from its issuer= parameter');
  }
  const issuer = paramIssuer || labelIssuer;
  if (issuer !== '') _checkName('issuer', issuer);

  const rawSecret = params.get('secret');
  if (rawSecret === undefined || rawSecret.trim() === '') throw _invalid('otpauth URI has no secret');
  let secret: string;
  try {
    secret = encodeBase32(decodeBase32(rawSecret));
  } catch (cause) {
    throw _invalid('otpauth URI secret is not valid base32', cause);
  }

  const t = DEFAULTS.totp;
  const rawAlgorithm = params.get('algorithm');
  let algorithm: HashAlgorithm = t.algorithm;
  if (rawAlgorithm !== undefined) {
    const lower = _asciiLower(rawAlgorithm); // ASCII only: 'ſha1' is not SHA1
    const found = _ALGORITHMS.find((a) => _asciiLower(a) === lower);
    if (found === undefined) throw _invalid('otpauth URI "algorithm" must be SHA1, SHA256 or SHA512');
    algorithm = found;
  }
  const rawDigits = params.get('digits');
  const digits = rawDigits === undefined ? t.digits : _uint('digits', rawDigits, _DIGITS.min, _DIGITS.max);
  const rawPeriod = params.get('period');
  const period = rawPeriod === undefined ? t.periodSeconds : _uint('period', rawPeriod, _PERIOD_SECONDS.min, _PERIOD_SECONDS.max);

  const fields: KeyUriFields = {
    ...(issuer === '' ? {} : { issuer }),
    account,
    secret,
    algorithm,
    digits,
    period,
  };
  if (type === 'totp') return { type, ...fields };
  // Key Uri Format, Counter: "REQUIRED if type is hotp".
  const rawCounter = params.get('counter');
  if (rawCounter === undefined) throw _invalid('otpauth hotp URI has no counter');
  return { type, ...fields, counter: _uint('counter', rawCounter, 0, Number.MAX_SAFE_INTEGER) };
}
