// Shared by test/otp/uri.test.ts and test/otp/uri-parse.test.ts.
import { expect } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';

export const S = 'JBSWY3DPEHPK3PXP'; // the Key Uri Format example key, "Hello!\xDE\xAD\xBE\xEF"
export const S2 = 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ';

/** Runs `fn`, expects a TwoFactorError with `code`, and returns it for further checks. */
export function refusal(fn: () => unknown, code: 'INVALID_URI' | 'INVALID_SECRET' = 'INVALID_URI'): TwoFactorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TwoFactorError);
    expect((e as TwoFactorError).code).toBe(code);
    return e as TwoFactorError;
  }
  throw new Error('expected a TwoFactorError, nothing was thrown');
}
