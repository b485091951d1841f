// Helpers for the distribution tests of email codes: a deterministic cryptographic byte
// stream, Pearson's chi-squared statistic and its upper tail for odd degrees of freedom.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { RandomSource } from '../../src/index.js';

/**
 * A deterministic cryptographic stream: SHA-256(label || counter as 8 bytes big-endian) for
 * counter = 0, 1, 2, ..., concatenated. Its bytes are as uniform as SHA-256 output, and the
 * same every run, so a statistical test on it gives the same verdict in CI every time.
 */
export function sha256Stream(label: string): RandomSource {
  const prefix = utf8ToBytes(label);
  const input = new Uint8Array(prefix.length + 8);
  input.set(prefix);
  const view = new DataView(input.buffer);
  let counter = 0n;
  let block = new Uint8Array(0);
  let used = 0;
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) {
      if (used === block.length) {
        view.setBigUint64(prefix.length, counter++);
        block = sha256(input);
        used = 0;
      }
      bytes[i] = block[used++]!;
    }
  };
}

/** Pearson's chi-squared statistic of `counts` against a uniform expectation. */
export function chiSquared(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

/**
 * P(X >= x) for X ~ chi-squared with odd `df`, in closed form (Abramowitz & Stegun 26.4.4):
 * Q = erfc(sqrt(x/2)) + sqrt(2x/pi) e^(-x/2) * sum_{k=1}^{(df-1)/2} x^(k-1) / (1*3*...*(2k-1)).
 * Used only to check the critical values the tests cite; accurate to about 1e-7 relative.
 */
export function chiSquaredSurvival(x: number, df: number): number {
  if (df % 2 !== 1) throw new RangeError('odd df only');
  let term = Math.sqrt((2 * x) / Math.PI) * Math.exp(-x / 2);
  let sum = 0;
  for (let k = 1; k <= (df - 1) / 2; k++) {
    sum += term;
    term *= x / (2 * k + 1);
  }
  return _erfc(Math.sqrt(x / 2)) + sum;
}

/** erfc by the Chebyshev fit of Numerical Recipes (fractional error < 1.2e-7). */
function _erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + z / 2);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Per-position digit counts of `codes` (all of the same length). */
export function digitCounts(codes: readonly string[], length: number): number[][] {
  const counts = Array.from({ length }, () => new Array<number>(10).fill(0));
  for (const code of codes) for (let i = 0; i < length; i++) counts[i]![code.charCodeAt(i) - 0x30]!++;
  return counts;
}
