/**
 * The record the conformance kit round-trips: every field filled, with awkward values
 * (non-ASCII text, quotes, the largest safe integers), as a storage must keep them.
 * @module
 */
import type { AgentRecord } from '../record/schema.js';

/** A record with every field filled and awkward values, for round-trip checks. */
/** @internal */
export function _fullRecord(seed: number): AgentRecord {
  return {
    schema: 2,
    enforced: true,
    graceStartedAt: 1_767_225_600_000 + seed,
    totp: {
      secret: 'v1.k1.AAECAwQFBgcICQoL.ZmFrZS1jaXBoZXJ0ZXh0LXdpdGgtdGFn',
      secretEncrypted: true,
      account: 'agënt "quoted" <a@example.com> 🙂',
      algorithm: 'SHA256',
      digits: 8,
      periodSeconds: 60,
      provisionedBy: 'admin',
      createdAt: 1_767_225_600_000,
      activatedAt: 1_767_225_600_001,
      confirmedAt: null,
      lastStep: 2 ** 40 + seed,
      driftSteps: -1,
      lastUsedAt: Number.MAX_SAFE_INTEGER,
    },
    totpSetups: [
      {
        tokenHash: 'ab'.repeat(32),
        sessionVerified: true,
        secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
        secretEncrypted: false,
        // No U+0000: PostgreSQL's jsonb cannot store it.
        account: 'ägent\t \\ "two" \u2028',
        algorithm: 'SHA512',
        digits: 7,
        periodSeconds: 86_400,
        createdAt: 1_767_225_600_005,
        expiresAt: 1_767_226_500_005,
      },
    ],
    droppedTotpSetups: [{ tokenHash: 'cd'.repeat(32), expiresAt: 1_767_226_400_000 }],
    email: { address: 'agent+2fa@example.com', enrolledAt: 1_767_225_600_002, lastUsedAt: null },
    emailChallenge: {
      purpose: 'login',
      address: 'agent+2fa@example.com',
      hash: 'f'.repeat(64),
      salt: '0'.repeat(32),
      digits: 8,
      issuedAt: 1_767_225_600_003,
      expiresAt: 1_767_226_200_003,
      attempts: 4,
      sessionVerified: false,
    },
    emailSends: [1_767_225_000_000, 1_767_225_600_003],
    throttle: { failures: 7, lockedUntil: 1_767_225_660_000, lastFailureAt: 1_767_225_630_000, suspendedAt: null },
    recovery: {
      createdAt: 1_767_225_600_006,
      digests: ['0'.repeat(64), 'f'.repeat(64), 'a1'.repeat(32)],
      kdf: 'scrypt',
      pepperId: null,
      salt: 'ab'.repeat(16),
      scrypt: { N: 16_384, r: 8, p: 1, dkLen: 32 },
      failures: 2,
      lockedUntil: null,
      lastFailureAt: 1_767_225_600_007,
    },
    lastVerifiedAt: 1_767_225_600_008 + seed,
    updatedAt: 1_767_225_600_004 + seed,
  };
}
