/**
 * `otpauth://` key URIs (Google Authenticator Key Uri Format): the types, the rules for issuer
 * and account names, and building a URI for a QR code or a link. Parsing one as real apps
 * write it is in `uri-parse.ts`.
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { TwoFactorError } from '../errors.js';
import { _algorithmOption, _digitsOption, _periodOption, type HashAlgorithm } from '../shared/limits.js';
import { _boolean, _describe, _integer, _oneOf } from '../shared/validate.js';
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

/** The fields `parseKeyUri` returns for both types. */
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

/** What `parseKeyUri` returns: every optional parameter filled with its default. */
export type ParsedKeyUri =
  | (KeyUriFields & { type: 'totp'; counter?: undefined })
  | (KeyUriFields & { type: 'hotp'; counter: number });

const TYPES: readonly KeyUriType[] = ['totp', 'hotp'];

// "Printable" for an issuer or account: no control characters (Cc), no lone surrogates (Cs),
// no line/paragraph separators (Zl, Zp), and no invisible format characters (Cf) except
// ZWNJ/ZWJ (U+200C/D, needed by emoji sequences and Indic scripts) and the tag characters
// U+E0020..E007F (subdivision flag emoji). Bidi overrides and zero-width spaces can make two
// different labels look the same in an authenticator app, so they are refused.
const NOT_PRINTABLE = /[\p{Cc}\p{Cs}\p{Zl}\p{Zp}]|(?![\u200C\u200D\u{E0020}-\u{E007F}])\p{Cf}/u;
const EDGE_WHITESPACE = /^\s|\s$/u;

/** @internal An `INVALID_URI` error; `message` never holds the URI or the secret. */
export function _invalid(message: string, cause?: unknown): TwoFactorError {
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

/** @internal Checks an issuer or account name, for building or after parsing. */
export function _checkName(name: 'issuer' | 'account', value: string): void {
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
 * too when it is not 30 (apps ignore it there), so that `parseKeyUri` gives back exactly
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
