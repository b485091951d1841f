// Differential property tests: twofold against otpauth 9.5.2 (node:crypto HMAC) and otplib 13
// (its own noble-based code path) on random secrets, times, algorithms, digits and periods.
// 5,000 + 1,000 + 5,000 + 1,000 = 12,000 random cases in all.
import fc from 'fast-check';
import * as OTPAuth from 'otpauth';
import { verifySync as otplibVerify } from 'otplib';
import { describe, expect, it } from 'vitest';
import { encodeBase32, hotp, totp, verifyTotp, type HashAlgorithm } from '../../src/index.js';

const refSecret = (key: Uint8Array) => new OTPAuth.Secret({ buffer: key.slice().buffer });

// size 'max': lengths spread over 16..64 instead of fast-check's default bias to short arrays.
const arbKey = fc.uint8Array({ minLength: 16, maxLength: 64, size: 'max' });
const arbAlgorithm = fc.constantFrom<HashAlgorithm>('SHA1', 'SHA256', 'SHA512');
const arbDigits = fc.integer({ min: 6, max: 8 });
const arbPeriod = fc.oneof(fc.constantFrom(30, 60), fc.integer({ min: 1, max: 600 }));
// Times from 1970-04-26 (1e10 ms) to year 3085 (2^45 ms); T0 up to 5e6 s, so the current step
// is always far (>= 11 periods) from step 0 and no window reaches below it.
const arbAt = fc.integer({ min: 1e10, max: 2 ** 45 });
const arbEpoch = fc.integer({ min: 0, max: 5e6 });

/** One random TOTP set-up and instant: the key, the time, T0, algorithm, digits and `period`. */
const arbTotpCase = (period: fc.Arbitrary<number>) =>
  fc.record({ key: arbKey, at: arbAt, epoch: arbEpoch, algorithm: arbAlgorithm, digits: arbDigits, period });

function currentStep(at: number, epoch: number, period: number): number {
  return Math.floor((Math.floor(at / 1000) - epoch) / period);
}

describe('codes agree with otpauth', () => {
  it('totp: 5,000 random secrets, times, T0, algorithms, digits and periods', () => {
    fc.assert(
      fc.property(arbTotpCase(arbPeriod), ({ key, at, epoch, algorithm, digits, period }) => {
        // otpauth has no T0; shifting its timestamp by T0 is the same thing (RFC 6238 §4.2).
        const expected = OTPAuth.TOTP.generate({
          secret: refSecret(key),
          algorithm,
          digits,
          period,
          timestamp: at - epoch * 1000,
        });
        const options = { at, epoch, algorithm, digits, period };
        expect(totp(key, options)).toBe(expected);
        expect(totp(encodeBase32(key), options)).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('hotp: 1,000 random secrets and counters up to 2^40', () => {
    fc.assert(
      fc.property(arbKey, fc.integer({ min: 0, max: 2 ** 40 }), arbAlgorithm, arbDigits, (key, counter, algorithm, digits) => {
        const expected = OTPAuth.HOTP.generate({ secret: refSecret(key), algorithm, digits, counter });
        expect(hotp(key, counter, { algorithm, digits })).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

// The code to verify: one generated `offset` steps from now (in or out of the window), or noise.
const arbCodeChoice = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('step' as const), offset: fc.integer({ min: -12, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('noise' as const), offset: fc.nat(99_999_999) }) },
);

describe('verifyTotp agrees with otpauth TOTP.validate (symmetric windows)', () => {
  it('5,000 random cases: acceptance, delta and step', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        arbTotpCase(arbPeriod),
        fc.integer({ min: 0, max: 10 }),
        arbCodeChoice,
        fc.boolean(),
        ({ key, at, epoch, algorithm, digits, period }, window, choice, spaced) => {
          const secret = refSecret(key);
          const timestamp = at - epoch * 1000;
          const current = currentStep(at, epoch, period);
          const code =
            choice.kind === 'step'
              ? OTPAuth.HOTP.generate({ secret, algorithm, digits, counter: current + choice.offset })
              : String(choice.offset % 10 ** digits).padStart(digits, '0');
          const reference = OTPAuth.TOTP.validate({ token: code, secret, algorithm, digits, period, timestamp, window });
          // Apps show "123 456"; the spaced form must give the same answer.
          const typed = spaced ? `${code.slice(0, 3)} ${code.slice(3)} ` : code;
          const ours = verifyTotp(encodeBase32(key), typed, { at, epoch, algorithm, digits, period, window });

          expect(ours.valid).toBe(reference !== null);
          if (ours.valid) {
            accepted++;
            // Both search 0, -1, +1, -2, +2, ... so even when two steps share a code the first
            // match, and so the delta, is the same.
            expect(ours.delta).toBe(reference);
            expect(ours.step).toBe(current + ours.delta);
            expect(hotp(key, ours.step, { algorithm, digits })).toBe(code);
          } else {
            expect(ours).toEqual({ valid: false, reason: 'mismatch' });
          }
          if (choice.kind === 'step' && Math.abs(choice.offset) <= window) expect(ours.valid).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
    // The generator must exercise both outcomes substantially, or the agreement means little.
    expect(accepted).toBeGreaterThan(500);
  });
});

describe('verifyTotp agrees with otplib verifySync (asymmetric windows, afterStep)', () => {
  it('1,000 random cases: acceptance; our step produces the code; replayed is exact', () => {
    let replayed = 0;
    let accepted = 0;
    fc.assert(
      fc.property(
        arbTotpCase(fc.constantFrom(30, 60)),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: -11, max: 11 }),
        fc.integer({ min: -12, max: 12 }),
        ({ key, at, epoch, algorithm, digits, period }, past, future, afterOffset, offset) => {
          const secret = refSecret(key);
          const current = currentStep(at, epoch, period);
          // otplib refuses an afterTimeStep beyond the window's last step.
          const afterStep = current + Math.min(afterOffset, future);
          const code = OTPAuth.HOTP.generate({ secret, algorithm, digits, counter: current + offset });
          const reference = otplibVerify({
            secret: key,
            token: code,
            algorithm: algorithm.toLowerCase() as 'sha1' | 'sha256' | 'sha512',
            digits: digits as 6 | 7 | 8,
            period,
            epoch: Math.floor(at / 1000),
            t0: epoch,
            epochTolerance: [past * period, future * period],
            afterTimeStep: afterStep,
          });
          const ours = verifyTotp(key, code, { at, epoch, algorithm, digits, period, window: { past, future }, afterStep });

          expect(ours.valid).toBe(reference.valid);
          if (ours.valid) {
            accepted++;
            expect(ours.step).toBeGreaterThan(afterStep);
            expect(ours.delta).toBeGreaterThanOrEqual(-past);
            expect(ours.delta).toBeLessThanOrEqual(future);
            expect(hotp(key, ours.step, { algorithm, digits })).toBe(code);
            // otplib searches from the oldest step up, we from the current step out: they pick
            // the same step unless two in-window steps share the code (then both must produce it).
            const theirs = (reference as { timeStep: number }).timeStep;
            if (theirs !== ours.step) expect(hotp(key, theirs, { algorithm, digits })).toBe(code);
          } else {
            // `replayed` exactly when some in-window step at or before afterStep produces the code.
            const replayMatch = range(Math.max(0, current - past), Math.min(afterStep, current + future)).some(
              (s) => OTPAuth.HOTP.generate({ secret, algorithm, digits, counter: s }) === code,
            );
            expect(ours).toEqual({ valid: false, reason: replayMatch ? 'replayed' : 'mismatch' });
            if (replayMatch) replayed++;
          }
        },
      ),
      { numRuns: 1000 },
    );
    expect(accepted).toBeGreaterThan(150);
    expect(replayed).toBeGreaterThan(150);
  });
});

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; s <= to; s++) out.push(s);
  return out;
}
