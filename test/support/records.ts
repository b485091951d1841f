/**
 * @module Full-record fixtures: schema-2 records with every part filled (an agent with active
 * TOTP and email; an agent setting TOTP up), the same agent as twofold 0.1 stored it (schema 1),
 * a pending set-up, and the check that a pure transition changed only what it names.
 */
import { expect } from 'vitest';
import { emptyRecord, type AgentRecord, type TotpSetupRecord } from '../../src/record/schema.js';
import { T0 } from './harness.js';

export const LATER = T0 + 60_000;
/** The active factor's secret in {@link fullRecord}. */
export const FULL_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
/** The secret of the pending set-up in {@link fullPendingRecord}. */
export const SETUP_SECRET = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';

/** Freezes `value` and everything inside it, so any mutation throws. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

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

/** A record with every part of an agent with active TOTP and email filled, deep-frozen so any mutation throws. */
export function fullRecord(overrides: Partial<AgentRecord> = {}): AgentRecord {
  return deepFreeze({
    ...emptyRecord(T0),
    enforced: true,
    graceStartedAt: T0 - 1000,
    totp: {
      secret: FULL_SECRET,
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

/** The email challenge of {@link fullRecord} as a `setup` code (frozen). */
export const SETUP_CHALLENGE = deepFreeze({ ...fullRecord().emailChallenge!, purpose: 'setup' as const });

/** {@link fullRecord} as a mutable copy. */
export const mutableFullRecord = (): AgentRecord => structuredClone(fullRecord());

/**
 * A schema-2 record with the parts of an agent setting TOTP up filled (a mutable copy): no
 * active factor, a pending set-up beside email, and one set-up pushed out by newer ones.
 */
export function fullPendingRecord(): AgentRecord {
  const full = mutableFullRecord();
  return {
    ...full,
    totp: null,
    totpSetups: [
      {
        tokenHash: 'cd'.repeat(32), sessionVerified: true, secret: SETUP_SECRET, secretEncrypted: false, account: 'ann@example.com',
        algorithm: 'SHA256', digits: 8, periodSeconds: 60, createdAt: T0 - 200, expiresAt: T0 + 900_000,
      },
    ],
    droppedTotpSetups: [{ tokenHash: 'ef'.repeat(32), expiresAt: T0 + 800_000 }],
    emailChallenge: { ...full.emailChallenge!, purpose: 'setup', sessionVerified: true },
    throttle: { failures: 100, lockedUntil: null, lastFailureAt: T0 - 50, suspendedAt: T0 - 50 },
  };
}

/** The same agent as {@link fullRecord}, as twofold 0.1 stored it (schema 1). */
export function fullRecordV1(): Record<string, unknown> {
  const f = mutableFullRecord();
  const { sessionVerified: _sv, ...challenge } = f.emailChallenge!;
  const { suspendedAt: _sa, ...throttle } = f.throttle;
  const { totpSetups: _ts, droppedTotpSetups: _dts, ...rest } = f;
  return { ...rest, schema: 1, totp: { status: 'active', ...f.totp! }, emailChallenge: challenge, throttle };
}

/** Asserts `next` equals `base` except in the listed top-level keys (and is a new object). */
export function expectOnlyChanged(base: AgentRecord, next: AgentRecord, keys: Array<keyof AgentRecord>): void {
  expect(next).not.toBe(base);
  for (const k of Object.keys(base) as Array<keyof AgentRecord>) {
    if (!keys.includes(k)) expect(next[k], String(k)).toEqual(base[k]);
  }
  expect(Object.keys(next).sort()).toEqual(Object.keys(base).sort());
}
