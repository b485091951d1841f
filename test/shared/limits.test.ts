/** The shared bounds of src/limits.ts and the option readers built on them. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import {
  _ALGORITHMS,
  _DIGITS,
  _EMAIL_DIGITS,
  _PERIOD_SECONDS,
  _SECRET_BYTES,
  _WINDOW_STEPS,
  _algorithmOption,
  _digitsOption,
  _periodOption,
  _windowOption,
} from '../../src/shared/limits.js';

describe('the bounds', () => {
  it.each([
    ['_DIGITS', _DIGITS, 6, 8],
    ['_EMAIL_DIGITS', _EMAIL_DIGITS, 6, 10],
    ['_PERIOD_SECONDS', _PERIOD_SECONDS, 1, 86_400],
    ['_WINDOW_STEPS', _WINDOW_STEPS, 0, DEFAULTS.totp.maxWindowSteps],
    ['_SECRET_BYTES', _SECRET_BYTES, DEFAULTS.totp.minSecretBytes, 64],
  ])('%s is %i..%i and frozen', (_, range, min, max) => {
    expect(range).toEqual({ min, max });
    expect(Object.isFrozen(range)).toBe(true);
  });

  it('the algorithms are the three of RFC 6238 §1.2, frozen', () => {
    expect(_ALGORITHMS).toEqual(['SHA1', 'SHA256', 'SHA512']);
    expect(Object.isFrozen(_ALGORITHMS)).toBe(true);
  });
});

describe('the option readers', () => {
  it('undefined reads as the default', () => {
    expect(_algorithmOption('algorithm', undefined)).toBe(DEFAULTS.totp.algorithm);
    expect(_digitsOption('digits', undefined)).toBe(DEFAULTS.totp.digits);
    expect(_periodOption('period', undefined)).toBe(DEFAULTS.totp.periodSeconds);
    expect(_windowOption('window', undefined)).toBe(DEFAULTS.totp.window);
  });

  it('every value in range is accepted as it is', () => {
    for (const a of _ALGORITHMS) expect(_algorithmOption('algorithm', a)).toBe(a);
    for (let d = _DIGITS.min; d <= _DIGITS.max; d++) expect(_digitsOption('digits', d)).toBe(d);
    for (const p of [1, 30, 60, 86_400]) expect(_periodOption('period', p)).toBe(p);
    expect(_windowOption('window', 3)).toEqual({ past: 3, future: 3 });
    expect(_windowOption('window', { past: 0, future: 10 })).toEqual({ past: 0, future: 10 });
  });

  it('the messages carry the option name the caller gave and the shared range', () => {
    expect(() => _digitsOption('totp.digits', 9)).toThrow('"totp.digits" expected an integer 6..8, got 9');
    expect(() => _digitsOption('digits', 5)).toThrow('"digits" expected an integer 6..8, got 5');
    expect(() => _periodOption('totp.periodSeconds', 86_401)).toThrow('"totp.periodSeconds" expected an integer 1..86400, got 86401');
    expect(() => _algorithmOption('totp.algorithm', 'MD5')).toThrow(
      `"totp.algorithm" expected one of 'SHA1', 'SHA256', 'SHA512', got a string of length 3`,
    );
    expect(() => _windowOption('totp.window', 11)).toThrow('"totp.window" expected an integer 0..10, got 11');
    expect(() => _windowOption('totp.window', { past: -1, future: 1 })).toThrow('"totp.window.past" expected an integer 0..10, got -1');
    expect(() => _windowOption('window', { past: 1, future: 1.5 })).toThrow('"window.future" expected an integer 0..10, got 1.5');
  });

  it.each([
    ['a non-integer digits', () => _digitsOption('digits', 6.5), TypeError],
    ['digits as text', () => _digitsOption('digits', '6'), TypeError],
    ['period 0', () => _periodOption('period', 0), RangeError],
    ['lower-case algorithm', () => _algorithmOption('algorithm', 'sha1'), RangeError],
    ['algorithm not a string', () => _algorithmOption('algorithm', 1), TypeError],
    ['window null', () => _windowOption('window', null), TypeError],
    ['window an array', () => _windowOption('window', [1, 1]), TypeError],
    ['window a string', () => _windowOption('window', '1'), TypeError],
  ] as const)('%s throws %o', (_, call, error) => {
    expect(call).toThrow(error);
  });

  it('a window that is not a number or an object says so', () => {
    expect(() => _windowOption('totp.window', null)).toThrow('"totp.window" expected a number or { past, future }, got null');
  });
});
