/**
 * `otpauth://` key URIs (Google Authenticator Key Uri Format): building one for a QR code or
 * a link, and parsing one as real apps write it.
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { TwoFactorError } from '../errors.js';
import { _ALGORITHMS, _DIGITS, _PERIOD_SECONDS, _algorithmOption, _digitsOption, _periodOption, type HashAlgorithm } from '../limits.js';
import { _asciiLower } from '../text.js';
import { _boolean, _describe, _integer, _oneOf } from '../_validate.js';
import { decodeBase32, encodeBase32 } from './base32.js';

// Google Authenticator "Key Uri Format" (github.com/google/google-authenticator/wiki/Key-Uri-Format):
//   otpauth://TYPE/LABEL?PARAMETERS
//   label = accountname / issuer (":" / "%3A") *"%20" accountname
// Neither issuer nor account name may contain a colon. Parameters: secret (required, base32,
// padding omitted), issuer (strongly recommended; must equal the label prefix when both are
// present), algorithm, digits, period (totp only, all optional), counter (required for hotp).

/** Which one-time-password scheme a key URI provisions: RFC 6238 TOTP or RFC 4226 HOTP. */
export type KeyUriType = 'totp' | 'hotp';

/** Options for {@link buildKeyUri}. */
export interface KeyUriOptions {
  /** The provider or service, e.g. `'Acme Helpdesk'`. Written as label prefix and `issuer=`. */
  issuer?: string;
  /** The account name shown in the app, e.g. the agent's email address. */
  account: string;
  /** The key: raw bytes, or a base32 string (normalized to unpadded upper case). */
  secret: Uint8Array | string;
  /** HMAC algorithm; default `'SHA1'`. Many apps ignore anything else, so keep the default. */
  algorithm?: HashAlgorithm;
  /** Code length 6..8; default 6. */
  digits?: number;
  /** TOTP step in seconds, 1..86400; default 30. */
  period?: number;
  /** `'totp'` (default) or `'hotp'`. */
  type?: KeyUriType;
  /** HOTP moving factor; required for `'hotp'`, refused for `'totp'`. */
  counter?: number;
  /** Write `algorithm`, `digits` and `period` even when they equal the defaults. */
  includeDefaults?: boolean;
}

/** The fields {@link parseKeyUri} returns for both types. */
export interface KeyUriFields {
  /** From the `issuer=` parameter or the label prefix (they must agree); absent when neither. */
  issuer?: string;
  account: string;
  /** Normalized base32: upper case, no padding, no spaces. */
  secret: string;
  algorithm: HashAlgorithm;
  digits: number;
  /** Seconds; the default 30 when the URI has no `period=` (always for most hotp URIs). */
  period: number;
}

/** What {@link parseKeyUri} returns: every optional parameter filled with its default. */
export type ParsedKeyUri =
  | (KeyUriFields & { type: 'totp'; counter?: undefined })
  | (KeyUriFields & { type: 'hotp'; counter: number });

const TYPES: readonly KeyUriType[] = ['totp', 'hotp'];
const PARAMS = new Set(['secret', 'issuer', 'algorithm', 'digits', 'period', 'counter']);

// "Printable" for an issuer or account: no control characters (Cc), no lone surrogates (Cs),
// no line/paragraph separators (Zl, Zp), and no invisible format characters (Cf) except
// ZWNJ/ZWJ (U+200C/D, needed by emoji sequences and Indic scripts) and the tag characters
// U+E0020..E007F (subdivision flag emoji). Bidi overrides and zero-width spaces can make two
// different labels look the same in an authenticator app, so they are refused.
const NOT_PRINTABLE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]|(?![\u200C\u200D\u{E0020}-\u{E007F}])\p{Cf}/u;
const EDGE_WHITESPACE = /^\s|\s$/u;
const RAW_CONTROL = /\p{Cc}/u;
const URI_SHAPE = /^otpauth:\/\/([^/?]*)\/([^?]*)(?:\?(.*))?$/is;

function _invalid(message: string, cause?: unknown): TwoFactorError {
  return new TwoFactorError('INVALID_URI', message, { cause });
}

// RFC 3986 §2.3: only unreserved characters stay literal. encodeURIComponent also leaves
// `!'()*` alone; encode them too so no scanner or naive splitter can misread them.
function _encode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

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

/** Checks an issuer or account name, for building or after parsing. */
function _checkName(name: 'issuer' | 'account', value: string): void {
  if (value.length === 0) throw _invalid(`"${name}" is empty`);
  if (value.length > DEFAULTS.maxUriLength) {
    throw _invalid(`"${name}" is too long for a key URI (${value.length} characters)`);
  }
  // Key Uri Format, Label: "Neither issuer nor account name may themselves contain a colon."
  if (value.includes(':')) throw _invalid(`"${name}" must not contain ':' (the key URI format forbids it)`);
  if (NOT_PRINTABLE.test(value)) {
    throw _invalid(`"${name}" contains a control, invisible format or unpaired surrogate character`);
  }
  // Key Uri Format, Label: spaces before the account name are optional and not part of it,
  // so they could not survive a round trip; refuse edge whitespace instead of trimming it away.
  if (EDGE_WHITESPACE.test(value)) throw _invalid(`"${name}" has leading or trailing whitespace`);
}

function _string(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected a string, got ${_describe(value)}`);
  return value;
}

/**
 * Builds an `otpauth://` key URI (Google Authenticator Key Uri Format) for a QR code or a link.
 *
 * The label is `issuer:account`, each part percent-encoded on its own (RFC 3986 unreserved
 * characters stay literal, a space becomes `%20`), and the issuer is also written as `issuer=`,
 * as the format recommends. `algorithm`, `digits` and `period` are written only when they differ
 * from the defaults (SHA1, 6, 30) unless `includeDefaults` is set; `period` is written for hotp
 * too when it is not 30 (apps ignore it there), so that {@link parseKeyUri} gives back exactly
 * what went in. The result is ASCII only and at most 2,048 characters.
 *
 * @throws TypeError / RangeError for options of the wrong type or out of range (`digits` 6..8,
 *   `period` 1..86400, `counter` a safe integer >= 0, required for hotp and refused for totp).
 * @throws TwoFactorError `INVALID_SECRET` when `secret` is not valid base32 or is empty.
 * @throws TwoFactorError `INVALID_URI` when `issuer` or `account` is empty, contains `:`, a control
 *   or invisible format character or a lone surrogate, has leading or trailing whitespace, or the
 *   URI would exceed 2,048 characters.
 * @example
 * ```ts
 * buildKeyUri({ issuer: 'ACME Co', account: 'john.doe@example.com', secret: 'hxdmvjecjjwsrb3hwizr4ifugftmxboz' });
 * // 'otpauth://totp/ACME%20Co:john.doe%40example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co'
 * ```
 */
export function buildKeyUri(options: KeyUriOptions): string {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`"options" expected an object, got ${_describe(options)}`);
  }
  const o = options as unknown as Record<string, unknown>;
  const t = DEFAULTS.totp;
  // Programmer errors first (types and ranges), then the data (names and secret).
  const type = o.type === undefined ? 'totp' : _oneOf('type', o.type, TYPES);
  const algorithm = _algorithmOption('algorithm', o.algorithm);
  const digits = _digitsOption('digits', o.digits);
  const period = _periodOption('period', o.period);
  const includeDefaults = o.includeDefaults === undefined ? false : _boolean('includeDefaults', o.includeDefaults);
  let counter: number | undefined;
  if (type === 'hotp') {
    // Key Uri Format, Counter: "REQUIRED if type is hotp".
    counter = _integer('counter', o.counter, 0, Number.MAX_SAFE_INTEGER);
  } else if (o.counter !== undefined) {
    throw new TypeError(`"counter" is only allowed with type 'hotp', got ${_describe(o.counter)} for 'totp'`);
  }
  const issuer = o.issuer === undefined ? undefined : _string('issuer', o.issuer);
  const account = _string('account', o.account);

  let secret: string;
  if (o.secret instanceof Uint8Array) {
    if (o.secret.length === 0) throw new TwoFactorError('INVALID_SECRET', 'secret is empty');
    secret = encodeBase32(o.secret);
  } else if (typeof o.secret === 'string') {
    // Key Uri Format, Secret: base32, "padding ... should be omitted".
    secret = encodeBase32(decodeBase32(o.secret));
  } else {
    throw new TypeError(`"secret" expected a Uint8Array or a base32 string, got ${_describe(o.secret)}`);
  }
  if (issuer !== undefined) _checkName('issuer', issuer);
  _checkName('account', account);

  const label = issuer === undefined ? _encode(account) : `${_encode(issuer)}:${_encode(account)}`;
  let query = `secret=${secret}`;
  if (issuer !== undefined) query += `&issuer=${_encode(issuer)}`;
  if (includeDefaults || algorithm !== t.algorithm) query += `&algorithm=${algorithm}`;
  if (includeDefaults || digits !== t.digits) query += `&digits=${digits}`;
  if ((includeDefaults && type === 'totp') || period !== t.periodSeconds) query += `&period=${period}`;
  if (counter !== undefined) query += `&counter=${counter}`;

  const uri = `otpauth://${type}/${label}?${query}`;
  if (uri.length > DEFAULTS.maxUriLength) {
    throw _invalid(`key URI would be ${uri.length} characters; at most ${DEFAULTS.maxUriLength} fit`);
  }
  return uri;
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
