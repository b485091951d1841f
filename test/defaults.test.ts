/** `DEFAULTS`, src/defaults.ts: the documented values, deeply frozen. */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../src/index.js';

describe('DEFAULTS', () => {
  it('holds the values the design names', () => {
    expect(DEFAULTS.totp).toMatchObject({ algorithm: 'SHA1', digits: 6, periodSeconds: 30, window: { past: 1, future: 1 }, secretBytes: 20, minSecretBytes: 16, setupTtlMs: 900_000 });
    expect(DEFAULTS.throttle).toEqual({ freeFailures: 5, baseLockMs: 30_000, maxLockMs: 900_000, maxConsecutiveFailures: 100 });
    expect(DEFAULTS.email).toEqual({ digits: 6, ttlMs: 600_000, maxAttempts: 5, resendCooldownMs: 60_000, maxSendsPerHour: 5 });
    expect(DEFAULTS.storage.maxAttempts).toBe(8);
  });

  it('is frozen all the way down, so no caller can change a default for everyone', () => {
    const visit = (value: unknown): void => {
      if (value === null || typeof value !== 'object') return;
      expect(Object.isFrozen(value)).toBe(true);
      for (const v of Object.values(value)) visit(v);
    };
    visit(DEFAULTS);
    expect(() => {
      (DEFAULTS.throttle as { maxConsecutiveFailures: number }).maxConsecutiveFailures = 1000;
    }).toThrow(TypeError);
  });
});
