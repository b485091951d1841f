/**
 * A full schema-2 record for the pure transitions' tests, and the check that a transition
 * changed only what it names.
 */
import { expect } from 'vitest';
import { emptyRecord, type AgentRecord, type TotpSetupRecord } from '../../src/record/schema.js';
import { T0, deepFreeze } from '../service/_helpers.js';

export const LATER = T0 + 60_000;

/** A pending set-up whose token hash is `hex` repeated (two hex digits). */
export function setupRecord(hex: string, overrides: Partial<TotpSetupRecord> = {}): TotpSetupRecord {
  return {
    tokenHash: hex.repeat(32),
    sessionVerified: false,
    secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ',
    secretEncrypted: false,
    account: 'ann@example.com',
    algorithm: 'SHA256',
    digits: 8,
    periodSeconds: 60,
    createdAt: T0,
    expiresAt: T0 + 900_000,
    ...overrides,
  };
}

/** A record with every part filled, deep-frozen so any mutation throws. */
export function fullRecord(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return deepFreeze({
    ...emptyRecord(T0),
    enforced: true,
    graceStartedAt: T0 - 1000,
    totp: {
      secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
      secretEncrypted: false,
      account: 'ann@example.com',
      algorithm: 'SHA1',
      digits: 6,
      periodSeconds: 30,
      provisionedBy: 'agent',
      createdAt: T0 - 5000,
      activatedAt: T0 - 4000,
      confirmedAt: T0 - 4000,
      lastStep: 100,
      driftSteps: 1,
      lastUsedAt: T0 - 3000,
    },
    totpSetups: [],
    droppedTotpSetups: [],
    email: { address: 'ann@example.com', enrolledAt: T0 - 2000, lastUsedAt: null },
    emailChallenge: {
      purpose: 'login', address: 'ann@example.com', hash: 'ab'.repeat(32), salt: null, digits: 6,
      issuedAt: T0 - 100, expiresAt: T0 + 600_000, attempts: 1, sessionVerified: false,
    },
    emailSends: [T0 - 100],
    throttle: { failures: 3, lockedUntil: null, lastFailureAt: T0 - 50, suspendedAt: null },
    ...overrides,
  } as AgentRecord);
}

/** Asserts `next` equals `base` except in the listed top-level keys (and is a new object). */
export function expectOnlyChanged(base: AgentRecord, next: AgentRecord, keys: Array<keyof AgentRecord>): void {
  expect(next).not.toBe(base);
  for (const k of Object.keys(base) as Array<keyof AgentRecord>) {
    if (!keys.includes(k)) expect(next[k], String(k)).toEqual(base[k]);
  }
  expect(Object.keys(next).sort()).toEqual(Object.keys(base).sort());
}
