/**
 * Recovery codes as the agent sees them: drawn without bias from the random source, 10 base32
 * characters (50 bits) shown as `XXXXX-XXXXX`, and read back forgivingly (case, spaces,
 * hyphens), the way a base32 secret is.
 * @module
 */
import { _fillRandom, type RandomSource } from '../shared/random.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `count` distinct codes of `length` base32 characters, formatted in two halves. */
export function generateRecoveryCodes(random: RandomSource, count: number, length: number): string[] {
  const codes = new Set<string>();
  const bytes = new Uint8Array(length);
  while (codes.size < count) {
    _fillRandom(random, bytes);
    // 256 is a multiple of 32: the low 5 bits of a uniform byte are uniform.
    let code = '';
    for (const b of bytes) code += ALPHABET[b & 31];
    codes.add(code);
  }
  bytes.fill(0);
  return [...codes].map(formatRecoveryCode);
}

/** `ABCDEFGHIJ` as `ABCDE-FGHIJ`. */
export function formatRecoveryCode(code: string): string {
  const half = Math.ceil(code.length / 2);
  return `${code.slice(0, half)}-${code.slice(half)}`;
}

/**
 * The code as stored-form characters (upper-case base32, no separators), or `null` when it
 * cannot be a code: anything but ASCII letters, digits 2-7, spaces and hyphens, or the wrong
 * length. Lower case is accepted; look-alikes (`0`, `1`, `8`, `9`) are not guessed at.
 */
export function normalizeRecoveryCode(input: unknown, length: number): string | null {
  if (typeof input !== 'string' || input.length > 4 * length) return null;
  let out = '';
  for (const ch of input) {
    if (ch === ' ' || ch === '-' || ch === '\t') continue;
    const c = ch >= 'a' && ch <= 'z' ? ch.toUpperCase() : ch;
    if (!ALPHABET.includes(c) || c.length !== 1) return null;
    out += c;
  }
  return out.length === length ? out : null;
}
