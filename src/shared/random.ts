/**
 * The random source: its type, the platform CSPRNG (Web Crypto) as the default, the check of a
 * source the host passes in, and drawing bytes with the all-zero refusal. The core never picks
 * a source itself; `Math.random` is never used.
 * @module
 */
import { _allZero } from './bytes.js';
import { _describe } from './validate.js';

/**
 * A source of cryptographically secure random bytes: it must fill the whole array it is given,
 * in place (its return value is ignored). `crypto.getRandomValues.bind(crypto)` is one; tests
 * pass a deterministic one.
 */
export type RandomSource = (bytes: Uint8Array) => void;

/** @internal The platform CSPRNG, looked up at call time so importing this module has no effect. */
export function _webCryptoRandom(): RandomSource {
  const webCrypto = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => unknown } }).crypto;
  if (typeof webCrypto?.getRandomValues !== 'function') {
    throw new TypeError('no globalThis.crypto.getRandomValues here; pass options.random');
  }
  return (bytes) => {
    webCrypto.getRandomValues!(bytes);
  };
}

/**
 * @internal The `random` option: the given function, or the platform CSPRNG when undefined.
 * @throws TypeError for anything but a function or undefined, or when undefined and there is
 *   no Web Crypto.
 */
export function _randomSource(value: unknown): RandomSource {
  if (value === undefined) return _webCryptoRandom();
  if (typeof value !== 'function') {
    throw new TypeError(`"random" expected a function (bytes: Uint8Array) => void, got ${_describe(value)}`);
  }
  return value as RandomSource;
}

/**
 * @internal Fills `bytes` from `source`, refusing a source that left them all zero (a stub or a
 * broken binding would otherwise hand out one fixed secret, salt or token to everyone).
 */
export function _fillRandom(source: RandomSource, bytes: Uint8Array): void {
  bytes.fill(0);
  source(bytes);
  if (_allZero(bytes)) throw new TypeError('"random" left every byte zero; it must fill the Uint8Array it is given');
}

/** @internal `length` fresh bytes from `source`, with the all-zero refusal of {@link _fillRandom}. */
export function _randomBytes(source: RandomSource, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  _fillRandom(source, bytes);
  return bytes;
}
