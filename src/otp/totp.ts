/**
 * RFC 6238 TOTP: the code for an instant, and the check of a code a user typed (window,
 * replay guard, constant-time compare).
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { _digitsOption, _periodOption, _windowOption } from '../shared/limits.js';
import { _parseCode } from '../shared/typed-code.js';
import { _instantMs, _integer, _options } from '../shared/validate.js';
import { _CounterMac, _hashFor, _secretKey } from './_core.js';
import { _hotp, _wipeDecoded, type HotpOptions } from './hotp.js';

/** Largest T0 in seconds whose milliseconds are still a safe integer. */
const MAX_EPOCH_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/** Options of {@link totp}: those of `hotp` (algorithm, digits, short secrets), plus time. Omitted values come from `DEFAULTS.totp`. */
export interface TotpOptions extends HotpOptions {
  /** The instant, a `Date` or epoch milliseconds; default `Date.now()` at call time (pass your clock). */
  at?: Date | number;
  /** Time step X in seconds (RFC 6238 §4.1), an integer 1..86400; default 30. */
  period?: number;
  /** T0, the Unix time in seconds when step 0 starts (RFC 6238 §4.1); default 0. */
  epoch?: number;
}

/** Steps accepted around the current one: `n` means `{ past: n, future: n }`; each 0..10. */
export type TotpWindow = number | { past: number; future: number };

/** Options of {@link verifyTotp}: those of {@link totp}, plus the window and replay guard. */
export interface VerifyTotpOptions extends TotpOptions {
  /** Steps accepted around the current one (RFC 6238 §5.2 clock drift); default 1 each way. */
  window?: TotpWindow;
  /** The last step already accepted for this secret (a safe integer): any step <= it is `replayed`. */
  afterStep?: number;
}

/**
 * The outcome of {@link verifyTotp}. On success, `step` is the matched time step (store it as the
 * next `afterStep`) and `delta` is `step` minus the current step (negative: the device is behind).
 */
export type VerifyTotpResult =
  | { valid: true; step: number; delta: number }
  | { valid: false; reason: 'malformed' | 'mismatch' | 'replayed' };

/**
 * Computes the RFC 6238 TOTP code for an instant.
 *
 * @param secret - The shared key: bytes, or a base32 string.
 * @returns The code as a string of `digits` ASCII digits.
 * @throws TypeError / RangeError for a wrong option, or an instant before `epoch`.
 * @throws TwoFactorError `INVALID_SECRET` when the secret is not base32, empty or too short.
 * @example
 * ```ts
 * totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', { at: 59_000, digits: 8 }); // '94287082'
 * ```
 */
export function totp(secret: Uint8Array | string, options?: TotpOptions): string {
  const o = _options('options', options);
  const hash = _hashFor(o.algorithm);
  const digits = _digitsOption('digits', o.digits);
  const step = _currentStep(o);
  const key = _secretKey(secret, o.allowShortSecret);
  try {
    return _hotp(hash, key, step, digits);
  } finally {
    _wipeDecoded(secret, key);
  }
}

/**
 * Checks a TOTP code typed by a user, searching the current step first, then outward.
 *
 * `code` is untrusted input. Anything but a string (form parsers hand over arrays and objects)
 * or a string over 64 characters is `malformed` before any other work, even before the options
 * are checked. Surrounding whitespace and inner ASCII spaces are ignored (`'123 456'`); after
 * that, anything but exactly `digits` ASCII digits is `malformed`. Other digit scripts are
 * refused, not converted. A code that matches only steps <= `afterStep` is `replayed`
 * (RFC 6238 §5.2: a code is accepted once); `malformed`, `mismatch` and `replayed` are results,
 * never throws.
 *
 * @param secret - The shared key: bytes, or a base32 string.
 * @param code - What the user typed.
 * @throws TypeError / RangeError for a wrong option, or an instant before `epoch`.
 * @throws TwoFactorError `INVALID_SECRET` when the secret is not base32, empty or too short.
 * @example
 * ```ts
 * const r = verifyTotp(secret, '123 456', { at: new Date(), afterStep: record.lastStep });
 * if (r.valid) record.lastStep = r.step; // else r.reason: 'malformed' | 'mismatch' | 'replayed'
 * ```
 */
export function verifyTotp(secret: Uint8Array | string, code: string, options?: VerifyTotpOptions): VerifyTotpResult {
  if (typeof code !== 'string' || code.length > DEFAULTS.maxCodeLength) return { valid: false, reason: 'malformed' };
  const o = _options('options', options);
  const hash = _hashFor(o.algorithm);
  const digits = _digitsOption('digits', o.digits);
  const { past, future } = _windowOption('window', o.window);
  // Steps are never negative, so -1 means "nothing accepted yet".
  const safe = Number.MAX_SAFE_INTEGER;
  const afterStep = o.afterStep === undefined ? -1 : _integer('afterStep', o.afterStep, -safe, safe);
  const current = _currentStep(o);
  const key = _secretKey(secret, o.allowShortSecret);
  // Parse once, outside the window loop.
  const wanted = _parseCode(code, digits);
  if (wanted < 0) {
    _wipeDecoded(secret, key);
    return { valid: false, reason: 'malformed' };
  }

  // Key the HMAC once (RFC 2104 §2: the ipad and opad blocks are hashed one time); every step
  // of the window reuses that keyed state and hashes only its own counter.
  const mac = new _CounterMac(hash, key);
  const reach = past > future ? past : future;
  let replayed = false;
  let matched = -1;
  // Deltas 0, -1, +1, -2, +2, ...: the likeliest step first (RFC 6238 §6 resynchronization).
  for (let i = 0; i <= 2 * reach; i++) {
    const delta = i & 1 ? -((i + 1) >> 1) : i >> 1;
    const step = current + delta;
    if (delta < -past || delta > future || step < 0) continue;
    // Constant-time compare: the code is one integer below 10^8, so XOR with the expected value
    // is a single machine operation whose time does not depend on how many digits agree (a
    // string compare stops at the first difference and leaks the matching prefix). The only
    // branch is on the whole result.
    if ((mac.truncated(step, digits) ^ wanted) === 0) {
      if (step > afterStep) {
        matched = step;
        break;
      }
      replayed = true; // keep looking: a later, unused step may match too
    }
  }
  mac.destroy();
  _wipeDecoded(secret, key);
  if (matched >= 0) return { valid: true, step: matched, delta: matched - current };
  return { valid: false, reason: replayed ? 'replayed' : 'mismatch' };
}

/** @internal RFC 6238 §4.2: T = floor((unix seconds - T0) / X), in exact integer arithmetic. */
function _currentStep(o: Record<string, unknown>): number {
  const period = _periodOption('period', o.period);
  const epoch = o.epoch === undefined ? DEFAULTS.totp.epochSeconds : _integer('epoch', o.epoch, 0, MAX_EPOCH_SECONDS);
  // The one clock read in the core, only when the caller gave no instant (the service always does).
  const atMs = o.at === undefined ? Date.now() : _instantMs('at', o.at);
  const seconds = (atMs - (atMs % 1000)) / 1000;
  if (seconds < epoch) {
    throw new RangeError(`"at" expected a time at or after "epoch" (${epoch} s), got ${seconds} s`);
  }
  const elapsed = seconds - epoch;
  return (elapsed - (elapsed % period)) / period;
}
