/** `TwoFactorError`, src/errors.ts: a stable code, the cause kept, a recognisable name. */
import { describe, expect, it } from 'vitest';
import { TwoFactorError } from '../src/index.js';
import { decodeBase32 } from '../src/otp/base32.js';

describe('TwoFactorError', () => {
  it('carries its code, message, name and cause, and is an Error', () => {
    const cause = new Error('disk full');
    const e = new TwoFactorError('STORAGE_FAILED', 'storage.save failed', { cause });
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.cause]).toEqual(['TwoFactorError', 'STORAGE_FAILED', 'storage.save failed', cause]);
    expect(String(e)).toBe('TwoFactorError: storage.save failed');
    expect(e.stack).toContain('TwoFactorError');
  });

  it('has no cause property when none is given (not an undefined one)', () => {
    expect('cause' in new TwoFactorError('INVALID_URI', 'x')).toBe(false);
  });

  it('is what bad external data throws, with the code a host can switch on', () => {
    let caught: unknown;
    try {
      decodeBase32('not base32 at all 1!');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(TwoFactorError);
    expect((caught as TwoFactorError).code).toBe('INVALID_SECRET');
  });
});
