/**
 * Email addresses: whether a value is a deliverable-looking address that is safe in a mail
 * header, and whether two addresses name the same mailbox. Hash-free on purpose:
 * `twofold/memory` imports this file and must load no hash code.
 * @module
 */
import { _asciiLower } from '../shared/text.js';
import { _describe } from '../shared/validate.js';

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
  return a.length === b.length && _asciiLower(a) === _asciiLower(b);
}
