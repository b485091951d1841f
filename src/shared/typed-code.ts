/**
 * A one-time code as a person types it and as it is shown: one parser for what was typed,
 * shared by TOTP and email codes (so both forgive and refuse exactly the same things), and
 * the zero-padded form.
 * @module
 */

/**
 * @internal The integer value of a code of exactly `digits` ASCII digits, ignoring surrounding
 * whitespace and inner ASCII spaces (`'123 456'`); -1 for anything else (other scripts' digits
 * included: they are refused, not converted). `digits` is at most 15, so the value is exact.
 */
export function _parseCode(code: string, digits: number): number {
  const text = code.trim();
  let value = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20) continue;
    const d = c - 0x30;
    if (d < 0 || d > 9 || ++count > digits) return -1;
    value = value * 10 + d;
  }
  return count === digits ? value : -1;
}

/** @internal A code's value as a string, left-padded with zeros to `digits`. */
export function _formatCode(value: number, digits: number): string {
  return String(value).padStart(digits, '0');
}
