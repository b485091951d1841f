/**
 * `TwoFactorError`, the one error class for bad external data and failed ports, its stable
 * codes, and `isTwoFactorError`, the check that works across copies of the package.
 * @module
 */
/**
 * Stable codes carried by {@link TwoFactorError}. Hosts may switch on them; the set only grows.
 *
 * - `INVALID_SECRET`: a secret is not valid base32, decodes to nothing, or is too short.
 * - `INVALID_URI`: an otpauth:// URI (or a label for one) is malformed or unsupported.
 * - `STORAGE_CONFLICT`: a compare-and-set save kept losing to other writers.
 * - `STORAGE_FAILED`: the storage port threw; the original error is the `cause`.
 * - `SECRET_DECRYPT_FAILED`: an encrypted secret could not be decrypted or authenticated.
 * - `SECRET_ENCRYPT_FAILED`: the secret cipher failed to encrypt; nothing was saved.
 * - `INVALID_RECORD`: a stored record does not have the expected shape.
 */
export type TwoFactorErrorCode =
  | 'INVALID_SECRET'
  | 'INVALID_URI'
  | 'STORAGE_CONFLICT'
  | 'STORAGE_FAILED'
  | 'SECRET_DECRYPT_FAILED'
  | 'SECRET_ENCRYPT_FAILED'
  | 'INVALID_RECORD';

/** `Symbol.for` keys are shared by every realm-local copy of the package. */
const _BRAND: unique symbol = Symbol.for('twofold.TwoFactorError') as never;

/**
 * The one error class twofold throws for bad external data and failed ports.
 * Programmer mistakes (wrong option types, out-of-range numbers) throw `TypeError` or
 * `RangeError` instead. Messages never contain a secret or a code.
 *
 * Test for it with {@link isTwoFactorError}, not `instanceof`: an app that loads twofold both
 * with `import` and with `require` has two copies of this class, and `instanceof` only knows
 * its own.
 *
 * @example
 * ```ts
 * try { decodeBase32(input); }
 * catch (e) { if (isTwoFactorError(e) && e.code === 'INVALID_SECRET') showHint(); }
 * ```
 */
export class TwoFactorError extends Error {
  /** A stable, machine-readable code. */
  readonly code: TwoFactorErrorCode;

  constructor(code: TwoFactorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TwoFactorError';
    this.code = code;
    // The brand: a registry symbol, the same in every copy of the package (ESM, CJS, bundled).
    Object.defineProperty(this, _BRAND, { value: true });
  }
}

/**
 * Whether `value` is a {@link TwoFactorError} from any copy of twofold: the ESM build, the
 * CommonJS build, or a bundle. Prefer it to `instanceof`, which fails across copies.
 *
 * @example
 * ```ts
 * catch (e) { if (isTwoFactorError(e) && e.code === 'STORAGE_CONFLICT') return retryLater(); }
 * ```
 */
export function isTwoFactorError(value: unknown): value is TwoFactorError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[_BRAND] === true;
}
