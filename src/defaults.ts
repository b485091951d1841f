/**
 * `DEFAULTS`: every default twofold uses, in one frozen object.
 * @module
 */
function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v !== null && typeof v === 'object') deepFreeze(v);
  return Object.freeze(o);
}

/**
 * Every default twofold uses, in one frozen object. Options that are omitted take these values.
 * Units are in the names: seconds for TOTP periods, milliseconds for durations elsewhere.
 */
export const DEFAULTS = deepFreeze({
  totp: {
    algorithm: 'SHA1' as const,
    digits: 6,
    periodSeconds: 30,
    epochSeconds: 0,
    /** Steps accepted either side of the current one. */
    window: { past: 1, future: 1 },
    /** The largest `past` or `future` a window may have. */
    maxWindowSteps: 10,
    secretBytes: 20,
    /** RFC 4226 §4 R6 asks for at least 128 bits; shorter needs `allowShortSecret`. */
    minSecretBytes: 16,
    /** How long a pending set-up can be confirmed (its `expiresAt` is never extended). */
    setupTtlMs: 15 * 60_000,
  },
  throttle: {
    /** Consecutive failures before the first lock: the `freeFailures`-th failure starts it (at most 100, NIST SP 800-63B §5.2.2). */
    freeFailures: 5,
    /** The first lock; each further failure doubles it. */
    baseLockMs: 30_000,
    maxLockMs: 15 * 60_000,
    /**
     * The consecutive failure, across methods, that suspends the agent until an admin unlocks:
     * NIST SP 800-63B §5.2.2 caps consecutive failed attempts on one account at 100.
     */
    maxConsecutiveFailures: 100,
  },
  email: {
    digits: 6,
    ttlMs: 10 * 60_000,
    maxAttempts: 5,
    resendCooldownMs: 60_000,
    maxSendsPerHour: 5,
  },
  storage: {
    /** Compare-and-set attempts per operation before `STORAGE_CONFLICT`. */
    maxAttempts: 8,
  },
  /** Inputs longer than this are refused before any work (codes, URIs are capped separately). */
  maxCodeLength: 64,
  maxUriLength: 2048,
});
