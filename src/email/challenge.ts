/**
 * The pure core of email one-time codes: draw a code, keep only its hash, check what the agent
 * typed, validate the address, and render the default message. No clock, no storage; the
 * randomness is the `RandomSource` passed in, or Web Crypto. The service (`createTwoFactor`)
 * is the only caller that loads, saves and mails.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { DEFAULTS } from '../defaults.js';
import { TwoFactorError } from '../errors.js';
import { _webCryptoRandom, type RandomSource } from '../random.js';
import type { EmailPurpose } from '../ports.js';
import { _describe, _integer, _oneOf, _options } from '../_validate.js';

/** Email codes are 6 to 10 digits: fewer is too guessable, more is tedious to type. */
const MIN_DIGITS = 6;
const MAX_DIGITS = 10;
/** Bytes asked of the random source at a time. */
const BLOCK_BYTES = 32;
/** Blocks drawn for one code before the source is declared broken (see generateEmailCode). */
const MAX_BLOCKS = 8;
/** 250 = 25 * 10: bytes below it map onto the ten digits evenly; the 6 above are skipped. */
const BYTE_LIMIT = 250;
const SALT_BYTES = 16;
const MIN_PEPPER_BYTES = 16;
/** SHA-256 output, hex. */
const HASH_HEX_LENGTH = 64;

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

/**
 * Draws a uniformly random code of `digits` ASCII digits, leading zeros kept (`'004219'`).
 *
 * Each digit is one random byte below 250 taken modulo 10; bytes of 250 and above are skipped
 * (rejection sampling), because `byte % 10` on all 256 values would make 0..5 more likely than
 * 6..9 (26 against 25 in 256). Bytes are drawn 32 at a time. A source that, in 8 blocks
 * (256 bytes), yields fewer than `digits` usable bytes, or that leaves a block all zero, is
 * refused as broken: a real CSPRNG does either with a chance far below 2^-256.
 *
 * @param digits - Code length, an integer 6..10.
 * @param random - Where the bytes come from; default `globalThis.crypto.getRandomValues`.
 *   `Math.random` is never used.
 * @throws TypeError / RangeError for a bad `digits`; TypeError for a `random` that is not a
 *   function, looks broken, or when there is no Web Crypto and no `random` was given.
 * @example
 * ```ts
 * generateEmailCode(6); // e.g. '083615'
 * ```
 */
export function generateEmailCode(digits: number, random?: RandomSource): string {
  const length = _integer('digits', digits, MIN_DIGITS, MAX_DIGITS);
  const source = _randomSource(random);
  const block = new Uint8Array(BLOCK_BYTES);
  let code = '';
  try {
    for (let drawn = 0; code.length < length; drawn++) {
      if (drawn === MAX_BLOCKS) {
        throw new TypeError(
          `"random" source looks broken: ${MAX_BLOCKS * BLOCK_BYTES} bytes held fewer than ${length} below ${BYTE_LIMIT}`,
        );
      }
      _fill(source, block);
      for (let i = 0; i < block.length && code.length < length; i++) {
        const byte = block[i]!;
        if (byte < BYTE_LIMIT) code += String.fromCharCode(0x30 + (byte % 10));
      }
    }
  } finally {
    block.fill(0);
  }
  return code;
}

/** A code at rest: a hex digest, and the hex salt it was made with (`null`: peppered). */
export interface EmailCodeHash {
  /** 64 hex characters: HMAC-SHA-256 under the pepper, or SHA-256 over salt and code. */
  hash: string;
  /** 32 hex characters (16 bytes) when no pepper was used; `null` for a peppered hash. */
  salt: string | null;
}

/** Options of {@link hashEmailCode}. */
export interface HashEmailCodeOptions {
  /** A secret kept outside the database (see {@link emailPepper}); recommended. */
  pepper?: Uint8Array | string;
  /** Source of the salt when there is no pepper; default Web Crypto. */
  random?: RandomSource;
}

/**
 * Hashes a code for storage; the code itself is never stored.
 *
 * With a pepper: `hash = hex(HMAC-SHA-256(pepper, code))`, `salt = null`. Without:
 * `salt` = 16 random bytes and `hash = hex(SHA-256(salt || code))`. A code has only 10^6 to
 * 10^10 values, so a salted hash stops nothing once the database is read (every candidate is
 * hashed in milliseconds); the salt only keeps equal codes from having equal hashes. A pepper
 * that lives outside the database is what makes a stolen hash useless.
 *
 * @param code - A code from {@link generateEmailCode}: 6..10 ASCII digits, nothing else.
 * @throws TypeError for a `code` that is not 6..10 ASCII digits (the message never shows it),
 *   a bad pepper (see {@link emailPepper}) or a bad `random`.
 */
export function hashEmailCode(code: string, options: HashEmailCodeOptions): EmailCodeHash {
  if (typeof code !== 'string' || !/^[0-9]{6,10}$/.test(code)) {
    throw new TypeError(`"code" expected ${MIN_DIGITS}..${MAX_DIGITS} ASCII digits, got ${_describe(code)}`);
  }
  const o = _options('options', options);
  const source = o.random === undefined ? undefined : _randomSource(o.random);
  const message = utf8ToBytes(code);
  if (o.pepper !== undefined) {
    const key = emailPepper(o.pepper);
    const hash = bytesToHex(hmac(sha256, key, message));
    key.fill(0);
    return { hash, salt: null };
  }
  const salt = new Uint8Array(SALT_BYTES);
  _fill(source ?? _randomSource(undefined), salt);
  return { hash: bytesToHex(_salted(salt, message)), salt: bytesToHex(salt) };
}

/** What {@link checkEmailCode} found. */
export type EmailCodeCheck = 'match' | 'mismatch' | 'malformed';

/**
 * Checks a code the agent typed against its stored hash, in constant time.
 *
 * `input` is untrusted. A non-string, or a string over 64 characters, is `malformed` before
 * any other work. Surrounding whitespace and inner ASCII spaces are ignored (`'123 456'`);
 * anything else that is not exactly `digits` ASCII digits is `malformed` (other scripts'
 * digits are refused, not converted). The stored form decides how to hash: a salt means
 * salted SHA-256 (a pepper passed too is then unused: the code was issued before the pepper
 * was configured); `salt: null` means HMAC under the pepper, which must then be given.
 *
 * @param input - What the agent typed.
 * @param digits - The length the code was issued with, an integer 6..10.
 * @param stored - The hash and salt from {@link hashEmailCode}.
 * @param pepper - The pepper, required when `stored.salt` is `null`.
 * @returns `'match'`, `'mismatch'` or `'malformed'`; never throws for any `input`.
 * @throws TypeError / RangeError for a bad `digits`, `stored` that is not an object, a bad
 *   pepper, or a missing pepper for a peppered hash.
 * @throws TwoFactorError `INVALID_RECORD` when `stored.hash` or `stored.salt` is not hex of
 *   the right length.
 */
export function checkEmailCode(
  input: unknown,
  digits: number,
  stored: EmailCodeHash,
  pepper?: Uint8Array | string,
): EmailCodeCheck {
  if (typeof input !== 'string' || input.length > DEFAULTS.maxCodeLength) return 'malformed';
  const length = _integer('digits', digits, MIN_DIGITS, MAX_DIGITS);
  const { hash, salt } = _stored(stored);
  const key = pepper === undefined ? undefined : emailPepper(pepper);
  if (salt === null && key === undefined) {
    throw new TypeError('"pepper" required: the stored code hash was made with a pepper (its salt is null)');
  }
  const code = _normalizeCode(input, length);
  if (code === null) {
    key?.fill(0);
    return 'malformed';
  }
  const message = utf8ToBytes(code);
  const actual = salt === null ? hmac(sha256, key!, message) : _salted(salt, message);
  key?.fill(0);
  return _equalBytes(actual, hash) ? 'match' : 'mismatch';
}

/**
 * Validates the host's `email.pepper` option and returns its bytes (a copy).
 *
 * A pepper is a secret mixed into every code hash and kept outside the database (an
 * environment variable, a secrets manager), so that someone who reads the database cannot
 * test the 10^6 possible codes against a hash. Give at least 16 bytes; 32 random bytes are
 * recommended (`crypto.getRandomValues(new Uint8Array(32))`, stored as base64 and decoded).
 * Changing it voids codes outstanding at that moment (they expire within minutes anyway).
 *
 * @param value - A string (taken as UTF-8) or a `Uint8Array`.
 * @throws TypeError for another type or a string with a lone surrogate; RangeError for fewer
 *   than 16 bytes or all zero bytes. Messages never contain the value.
 */
export function emailPepper(value: unknown): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') {
    // A lone surrogate would be encoded as U+FFFD, silently turning two peppers into one.
    if (/\p{Cs}/u.test(value)) throw new TypeError('"pepper" expected well-formed text, got a string with a lone surrogate');
    bytes = utf8ToBytes(value);
  } else if (value instanceof Uint8Array) {
    bytes = Uint8Array.from(value);
  } else {
    throw new TypeError(
      `"pepper" expected a string or a Uint8Array of at least ${MIN_PEPPER_BYTES} bytes, got ${_describe(value)}`,
    );
  }
  if (bytes.length < MIN_PEPPER_BYTES) {
    throw new RangeError(`"pepper" expected at least ${MIN_PEPPER_BYTES} bytes (32 recommended), got ${bytes.length}`);
  }
  if (_allZero(bytes)) throw new RangeError('"pepper" is all zero bytes; was the key loaded?');
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

/** RFC 5322 §3.2.3 dot-atom of atext: no quoting, no leading, trailing or double dots. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** RFC 1035 §2.3.1 label (digits allowed first, RFC 1123 §2.1): 1..63, no edge hyphen. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A top-level domain: letters, or an IDN TLD in punycode (`xn--p1ai`). */
const TLD = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]+)$/i;

/**
 * A pragmatic check that `value` is a deliverable-looking email address, and safe to put in
 * a mail header.
 *
 * The rule: a string that equals its own trim, at most 254 characters (RFC 5321 §4.5.3.1.3),
 * with exactly one `@`. The local part is 1..64 characters of an RFC 5322 dot-atom: letters,
 * digits and ``!#$%&'*+/=?^_`{|}~-``, with single dots between them; quoted local parts
 * (`"a b"@x.com`) are not supported, and `( ) , : ; < > [ \ ]`, spaces and control characters
 * are refused, so an address can never smuggle a second recipient or a header. The domain is
 * at least two dot-separated labels of letters, digits and hyphens (1..63 each, no hyphen at
 * either end, no trailing dot), ending in a top-level domain of 2+ letters or a punycode
 * `xn--` label. IP literals (`user@[192.0.2.1]`) are refused. Non-ASCII is refused anywhere:
 * convert an international domain to punycode first (`url.domainToASCII` in Node);
 * internationalized local parts (RFC 6531) are not supported. CR and LF can never pass.
 *
 * @example
 * ```ts
 * isEmailAddress('ann.lee+help@support.example.com'); // true
 * isEmailAddress('ann@localhost');                    // false: no dot
 * ```
 */
export function isEmailAddress(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 254 || value.trim() !== value) return false;
  const at = value.indexOf('@');
  if (at < 0 || at !== value.lastIndexOf('@')) return false;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) if (!LABEL.test(label)) return false;
  return TLD.test(labels[labels.length - 1]!);
}

/**
 * Whether two addresses name the same mailbox, ignoring ASCII letter case.
 *
 * RFC 5321 §2.4 lets a server treat `Ann@x.com` and `ann@x.com` as different mailboxes, but in
 * practice mail providers do not, and agents type their address with whatever capitalization
 * comes to mind; an exact comparison would refuse them at login for no security gain. Only
 * A-Z are folded (no Unicode case mapping, under which the Kelvin sign `K` equals `k`). The
 * service always mails the address spelled as it was enrolled, so the folding never changes
 * where a code goes.
 *
 * @throws TypeError when either argument is not a string.
 */
export function sameEmailAddress(a: string, b: string): boolean {
  if (typeof a !== 'string') throw new TypeError(`"a" expected a string, got ${_describe(a)}`);
  if (typeof b !== 'string') throw new TypeError(`"b" expected a string, got ${_describe(b)}`);
  return a.length === b.length && _foldAscii(a) === _foldAscii(b);
}

// ---------------------------------------------------------------------------------------------
// The message
// ---------------------------------------------------------------------------------------------

const BODY_STYLE =
  'margin:0;padding:24px;background:#ffffff;color:#1a1a1a;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5';

/** What a template gets to render one email. */
export interface EmailTemplateInput {
  /** The code to show. */
  code: string;
  /** When the code stops working. */
  expiresAt: Date;
  /** How long the code is valid from now, in milliseconds. */
  validForMs: number;
  /** `setup`: the agent is enrolling this address; `login`: the agent is signing in. */
  purpose: EmailPurpose;
  /** The product or company name, as configured on `createTwoFactor`. */
  issuer: string;
  /** The recipient address. */
  to: string;
  /** The host's agent id (for templates that look up a name; never put it in the email). */
  agentId: string;
}

/** One rendered email. The subject must be one line; every value in `html` must be escaped. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A template: the `email.renderEmail` option of `createTwoFactor`. */
export type RenderEmail = (input: EmailTemplateInput) => RenderedEmail;

/**
 * The default email: short, plain, with a text and an HTML part.
 *
 * The subject does not contain the code: phones show subjects on the lock screen and mail
 * lists show them in previews, where anyone nearby can read the code without unlocking
 * anything. It names the issuer and the purpose instead. The body gives the code, how long it
 * is valid, whether it is for signing in or setting up 2FA, that support will never ask for
 * it, and what to do if the agent did not ask for it. In the HTML every interpolated value is
 * escaped with {@link escapeHtml}; control characters in the issuer become spaces.
 *
 * @throws TypeError / RangeError for an input of the wrong shape.
 */
export function renderDefaultEmail(input: EmailTemplateInput): RenderedEmail {
  const o = _options('input', input);
  if (typeof o.code !== 'string' || o.code.length === 0) {
    throw new TypeError(`"input.code" expected a non-empty string, got ${_describe(o.code)}`);
  }
  if (typeof o.issuer !== 'string' || o.issuer.trim().length === 0) {
    throw new TypeError(`"input.issuer" expected a non-empty string, got ${_describe(o.issuer)}`);
  }
  const purpose = _oneOf('input.purpose', o.purpose, ['setup', 'login'] as const);
  const validFor = _duration(_integer('input.validForMs', o.validForMs, 1, Number.MAX_SAFE_INTEGER));
  const issuer = _oneLine(o.issuer);
  const code = o.code;
  const login = purpose === 'login';

  const subject = login ? `${issuer}: your sign-in code` : `${issuer}: confirm your email for two-factor authentication`;
  const intro = login
    ? `Here is your code to sign in to ${issuer}:`
    : `Here is your code to set up two-factor authentication (2FA) for ${issuer} with this email address:`;
  const use =
    `Enter it on the ${login ? 'sign-in page' : 'page where you asked for it'}. ` +
    `It is valid for ${validFor} and works once; if you asked for more than one code, only the newest works.`;
  const support = `No one from ${issuer} support will ever ask you for this code. Do not share it.`;
  const unexpected = `If you did not try to ${login ? 'sign in' : 'set up 2FA'}, ignore this email and tell your admin.`;

  const text = [intro, '', `    ${code}`, '', use, '', support, '', unexpected, ''].join('\n');
  const p = (content: string, style = '') => `<p style="margin:0 0 16px${style}">${content}</p>`;
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`,
    `<body style="${BODY_STYLE}">`,
    p(escapeHtml(intro)),
    p(escapeHtml(code), ';font-family:Menlo,Consolas,monospace;font-size:32px;font-weight:bold;letter-spacing:4px'),
    p(escapeHtml(use)),
    p(escapeHtml(support)),
    p(escapeHtml(unexpected), ';color:#555555;font-size:14px'),
    '</body>',
    '</html>',
    '',
  ].join('\n');
  return { subject, text, html };
}

/**
 * Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, `"`, `'`.
 *
 * @throws TypeError when `text` is not a string.
 * @example
 * ```ts
 * escapeHtml(`<b>"Tom" & 'Jerry'</b>`); // '&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`"text" expected a string, got ${_describe(text)}`);
  return text.replace(/[&<>"']/g, (c) => _HTML_ESCAPES[c]!);
}

const _HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * @internal Whether `a` equals the bytes of the hex string `b`, in time that depends only on
 * the lengths: every byte is XORed into one accumulator and the only branch is on the total.
 * (A string `===` stops at the first difference and leaks how much of a guess was right.)
 */
export function _equalBytes(a: Uint8Array, b: Uint8Array | string): boolean {
  const other = typeof b === 'string' ? hexToBytes(b) : b;
  if (a.length !== other.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ other[i]!;
  return diff === 0;
}

/** @internal The code as exactly `digits` ASCII digits, or `null` (see {@link checkEmailCode}). */
function _normalizeCode(input: string, digits: number): string | null {
  const text = input.trim();
  let code = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20) continue;
    if (c < 0x30 || c > 0x39 || code.length === digits) return null;
    code += text[i];
  }
  return code.length === digits ? code : null;
}

/** @internal SHA-256(salt || code). */
function _salted(salt: Uint8Array | string, message: Uint8Array): Uint8Array {
  const h = sha256.create();
  h.update(typeof salt === 'string' ? hexToBytes(salt) : salt);
  h.update(message);
  return h.digest();
}

/** @internal `stored` checked: a 64-hex hash and a null or hex salt of 16+ bytes. */
function _stored(stored: unknown): { hash: string; salt: string | null } {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) {
    throw new TypeError(`"stored" expected { hash, salt }, got ${_describe(stored)}`);
  }
  const { hash, salt } = stored as { hash?: unknown; salt?: unknown };
  if (typeof hash !== 'string' || hash.length !== HASH_HEX_LENGTH || !_isHex(hash)) {
    throw new TwoFactorError('INVALID_RECORD', `the stored email code hash is not ${HASH_HEX_LENGTH} hex characters`);
  }
  if (salt !== null && (typeof salt !== 'string' || salt.length < 2 * SALT_BYTES || salt.length % 2 !== 0 || !_isHex(salt))) {
    throw new TwoFactorError('INVALID_RECORD', `the stored email code salt is not null or hex of at least ${SALT_BYTES} bytes`);
  }
  return { hash, salt };
}

function _isHex(text: string): boolean {
  return /^[0-9a-fA-F]*$/.test(text);
}

/** @internal The given source, or the platform CSPRNG (looked up at call time). */
function _randomSource(random: unknown): RandomSource {
  if (random !== undefined) {
    if (typeof random !== 'function') {
      throw new TypeError(`"random" expected a function (bytes: Uint8Array) => void, got ${_describe(random)}`);
    }
    return random as RandomSource;
  }
  return _webCryptoRandom();
}

/** @internal Fills `bytes` from `source`, refusing a source that left them all zero. */
function _fill(source: RandomSource, bytes: Uint8Array): void {
  bytes.fill(0);
  source(bytes);
  if (_allZero(bytes)) throw new TypeError('"random" left every byte zero; it must fill the Uint8Array it is given');
}

function _allZero(bytes: Uint8Array): boolean {
  let any = 0;
  for (let i = 0; i < bytes.length; i++) any |= bytes[i]!;
  return any === 0;
}

/** @internal ASCII A-Z to a-z, nothing else. */
function _foldAscii(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** @internal Control characters and line separators become single spaces (header safety). */
function _oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/**
 * @internal "10 minutes", "45 seconds", "2 hours": rounded down, so never longer than the
 * truth (under a second still reads "1 second"; the service's shortest `ttlMs` is 1000).
 */
function _duration(ms: number): string {
  const [n, unit] =
    ms < 60_000
      ? [Math.max(1, Math.floor(ms / 1000)), 'second']
      : ms < 7_200_000
        ? [Math.floor(ms / 60_000), 'minute']
        : [Math.floor(ms / 3_600_000), 'hour'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
