/**
 * The bounds twofold puts on one-time-password parameters, and the readers that check an
 * option against them. The OTP core, the key URI builder and parser, the record parser and the
 * service options all take their bounds from here, so a range or an error message cannot
 * differ between them (`"digits" expected an integer 6..8, got 9` everywhere).
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { _describe, _integer, _oneOf } from './validate.js';

/** The HMAC hash functions RFC 6238 §1.2 allows. Authenticator apps mostly support only SHA1. */
export type HashAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** @internal An inclusive integer range. */
export interface _Range {
  readonly min: number;
  readonly max: number;
}

/** @internal The algorithms RFC 6238 §1.2 names, in the spelling otpauth:// URIs use. */
export const _ALGORITHMS: readonly HashAlgorithm[] = Object.freeze(['SHA1', 'SHA256', 'SHA512']);

/** @internal TOTP/HOTP code length: RFC 4226 §5.3 requires at least 6; 8 is what apps show. */
export const _DIGITS: _Range = Object.freeze({ min: 6, max: 8 });

/** @internal Email code length: fewer than 6 is too guessable, more than 10 is tedious to type. */
export const _EMAIL_DIGITS: _Range = Object.freeze({ min: 6, max: 10 });

/** @internal The TOTP step in seconds: apps use 30 (sometimes 60); over a day is a mistake. */
export const _PERIOD_SECONDS: _Range = Object.freeze({ min: 1, max: 86_400 });

/** @internal Steps a verification window may reach on either side (also the stored drift bound). */
export const _WINDOW_STEPS: _Range = Object.freeze({ min: 0, max: DEFAULTS.totp.maxWindowSteps });

/**
 * @internal Length of a generated secret: RFC 4226 §4 R6 asks for at least 128 bits; 64 bytes
 * is the SHA-512 output (the RFC 6238 Appendix B seed).
 */
export const _SECRET_BYTES: _Range = Object.freeze({ min: DEFAULTS.totp.minSecretBytes, max: 64 });

/** @internal The `algorithm` option named `name`: `DEFAULTS.totp.algorithm` when undefined. */
export function _algorithmOption(name: string, value: unknown): HashAlgorithm {
  return value === undefined ? DEFAULTS.totp.algorithm : _oneOf(name, value, _ALGORITHMS);
}

/** @internal The `digits` option named `name`: an integer 6..8, `DEFAULTS.totp.digits` when undefined. */
export function _digitsOption(name: string, value: unknown): number {
  return value === undefined ? DEFAULTS.totp.digits : _integer(name, value, _DIGITS.min, _DIGITS.max);
}

/** @internal The period option named `name`: an integer 1..86400 s, `DEFAULTS.totp.periodSeconds` when undefined. */
export function _periodOption(name: string, value: unknown): number {
  return value === undefined ? DEFAULTS.totp.periodSeconds : _integer(name, value, _PERIOD_SECONDS.min, _PERIOD_SECONDS.max);
}

/**
 * @internal The window option named `name` as `{ past, future }`, each an integer 0..10: a
 * number `n` means `{ past: n, future: n }`; undefined is the frozen `DEFAULTS.totp.window`.
 * @throws TypeError / RangeError naming `name`, `name.past` or `name.future`.
 */
export function _windowOption(name: string, value: unknown): { readonly past: number; readonly future: number } {
  const { min, max } = _WINDOW_STEPS;
  if (value === undefined) return DEFAULTS.totp.window;
  if (typeof value === 'number') {
    const steps = _integer(name, value, min, max);
    return { past: steps, future: steps };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`"${name}" expected a number or { past, future }, got ${_describe(value)}`);
  }
  const w = value as Record<string, unknown>;
  return { past: _integer(`${name}.past`, w.past, min, max), future: _integer(`${name}.future`, w.future, min, max) };
}
