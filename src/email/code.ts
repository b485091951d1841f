/**
 * Drawing an email one-time code: uniformly random ASCII digits by rejection sampling, from
 * the `RandomSource` passed in or Web Crypto. No clock, no storage; the code is hashed
 * (`hash.ts`) before anything keeps it.
 * @module
 */
import { _EMAIL_DIGITS } from '../shared/limits.js';
import { _fillRandom, _randomSource, type RandomSource } from '../shared/random.js';
import { _integer } from '../shared/validate.js';

/** Bytes asked of the random source at a time. */
const BLOCK_BYTES = 32;
/** Blocks drawn for one code before the source is declared broken (see generateEmailCode). */
const MAX_BLOCKS = 8;
/** 250 = 25 * 10: bytes below it map onto the ten digits evenly; the 6 above are skipped. */
const BYTE_LIMIT = 250;

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
  const length = _integer('digits', digits, _EMAIL_DIGITS.min, _EMAIL_DIGITS.max);
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
      _fillRandom(source, block);
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
