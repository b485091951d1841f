/**
 * Text primitives for untrusted strings: the lone-surrogate check (UTF-8 cannot encode an
 * unpaired surrogate, so two different strings would become the same bytes) and ASCII-only
 * lower-casing (Unicode case mapping turns look-alikes such as `'ſ'` or the Kelvin sign into
 * ASCII letters).
 * @module
 */

/** In a `u` regex, `\p{Cs}` matches only unpaired surrogates (a pair is one code point). */
const LONE_SURROGATE = /\p{Cs}/u;

/** @internal Whether `text` holds an unpaired UTF-16 surrogate (so it has no UTF-8 encoding). */
export function _hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/**
 * @internal Lower-cases ASCII letters only. `String#toLowerCase`/`toUpperCase` also map some
 * non-ASCII letters onto ASCII ones (and `'ſ'.toUpperCase()` is `'S'`), which would accept
 * look-alikes. A non-ASCII character is kept as is, so a comparison that follows fails.
 */
export function _asciiLower(text: string): string {
  return text.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}
