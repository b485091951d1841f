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
  recovery: {
    /** Codes per set; generating again replaces the whole set. */
    count: 10,
    /** Base32 characters per code: 50 bits (NIST SP 800-63B §5.1.2.1 asks for at least 20). */
    length: 10,
    /**
     * scrypt parameters for sets stored without a pepper (NIST SP 800-63B §5.1.2.2: look-up
     * secrets under 112 bits are salted and hashed with a key-derivation function). 16 MiB and
     * about 0.1 s per check on a server core; each set stores the parameters it was made with.
     */
    scrypt: { N: 2 ** 14, r: 8, p: 1, dkLen: 32 },
  },
  /**
   * How recent the agent's last successful 2FA check must be for a call that relies on
   * `sessionVerified` (adding a method, new recovery codes): 10 minutes, like GitHub's sudo mode.
   */
  verifiedWindowMs: 10 * 60_000,
  storage: {
    /** Compare-and-set attempts per operation before `STORAGE_CONFLICT`. */
    maxAttempts: 8,
  },
  /** Inputs longer than this are refused before any work (codes, URIs are capped separately). */
  maxCodeLength: 64,
  maxUriLength: 2048,
});
