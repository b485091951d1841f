/**
 * Shared by test/aes-gcm.test.ts and test/aes-gcm-keys.test.ts: fixed keys, the cipher under
 * test, and the assertions that a failure is SECRET_DECRYPT_FAILED and that no message leaks.
 */
import { expect } from 'vitest';
import { aesGcmSecretCipher } from '../src/aes-gcm.js';
import { TwoFactorError } from '../src/errors.js';

// Two fixed, distinct, non-zero keys.
export const KEY_A = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
export const KEY_B = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 200) & 0xff);
export const AGENT = 'agent-42';
export const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

export const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
export const fromB64url = (text: string) => new Uint8Array(Buffer.from(text, 'base64url'));

export const cipherA = () => aesGcmSecretCipher({ keys: [{ id: 'k-a', key: KEY_A }] });

/** Every text form of a key that must never show up in a message. */
export function keyForms(key: Uint8Array): string[] {
  const b = Buffer.from(key);
  return [b.toString('hex'), b.toString('base64'), b.toString('base64url'), b.toString('base64').slice(0, 20)];
}

/** Asserts that `promise` rejects with SECRET_DECRYPT_FAILED and returns the error. */
export async function decryptFailure(promise: Promise<unknown>): Promise<TwoFactorError> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${typeof value === 'string' ? `a string of length ${value.length}` : typeof value}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TwoFactorError);
  expect((error as TwoFactorError).code).toBe('SECRET_DECRYPT_FAILED');
  return error as TwoFactorError;
}

/** Asserts that none of `forbidden` (plaintext, key, ciphertext) appears in the error's text. */
export function expectClean(error: unknown, forbidden: readonly string[]): void {
  const e = error as Error;
  const texts = [e.message, String(e), e.stack ?? ''];
  const cause = e.cause as Error | undefined;
  if (cause !== undefined) texts.push(String(cause.message), String(cause));
  for (const text of texts) for (const f of forbidden) expect(text).not.toContain(f);
}

/**
 * Asserts that `aesGcmSecretCipher(options)` throws `ErrorClass` with a message matching
 * `message`, and that nothing in the error shows KEY_A or KEY_B in any text form.
 */
export function expectCipherRefused(options: unknown, ErrorClass: typeof TypeError | typeof RangeError, message: RegExp): void {
  let thrown: unknown;
  try {
    aesGcmSecretCipher(options as never);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(ErrorClass);
  expect((thrown as Error).message).toMatch(message);
  expectClean(thrown, [...keyForms(KEY_A), ...keyForms(KEY_B)]);
}

/** The value with one field replaced. */
export function withField(value: string, index: number, field: string): string {
  const parts = value.split('.');
  parts[index] = field;
  return parts.join('.');
}
