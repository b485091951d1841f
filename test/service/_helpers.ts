/**
 * Shared fixtures for the service tests: a service on MemoryStorage and a manual clock, TOTP
 * codes at chosen steps, and storage wrappers that delay, count, conflict or fail on cue.
 */
import { expect } from 'vitest';
import { TwoFactorError } from '../../src/errors.js';
import { MemoryMailer, MemoryStorage, manualClock, type ManualClock } from '../../src/memory.js';
import { totp, verifyTotp } from '../../src/otp/totp.js';
import type { PolicySettings } from '../../src/policy/types.js';
import type { RecordVersion, StoredRecord, TwoFactorEvent, TwoFactorStorage } from '../../src/ports.js';
import type { AgentRecord } from '../../src/record/schema.js';
import { createTwoFactor, type TwoFactor, type TwoFactorOptions } from '../../src/index.js';

/** 2026-01-01T00:00:00Z, the start of a 30 s step. */
export const T0 = Date.UTC(2026, 0, 1);
export const STEP_MS = 30_000;
export const DAY_MS = 86_400_000;
/** The step that starts at T0. */
export const S0 = T0 / STEP_MS;

export const TOTP_ONLY: PolicySettings = { totp: true, email: false, requireAll: false };

export interface Harness {
  tf: TwoFactor;
  storage: MemoryStorage;
  clock: ManualClock;
  events: TwoFactorEvent[];
}

/** A service on a fresh MemoryStorage and a manual clock at T0 that records its events. */
export function harness(overrides: Partial<TwoFactorOptions> = {}, storage = new MemoryStorage()): Harness {
  const clock = manualClock(T0);
  const events: TwoFactorEvent[] = [];
  const tf = createTwoFactor({
    storage,
    issuer: 'Acme Help',
    settings: TOTP_ONLY,
    clock,
    onEvent: (e) => {
      events.push(e);
    },
    ...overrides,
  });
  return { tf, storage, clock, events };
}

/** The code a device shows at `ms`, or `steps` steps away from it (a drifting device). */
export function codeAt(secret: string, ms: number, steps = 0): string {
  return totp(secret, { at: ms + steps * STEP_MS });
}

/** A well-formed code that matches no step within `reach` steps of `ms`. */
export function wrongCode(secret: string, ms: number, reach = 3): string {
  for (let n = 0; n < 1_000_000; n++) {
    const code = String(n).padStart(6, '0');
    const hit = verifyTotp(secret, code, { at: ms, window: reach });
    if (!hit.valid) return code;
  }
  throw new Error('unreachable: no wrong code found');
}

/** The record at rest for an agent, parsed from MemoryStorage's JSON text (or undefined). */
export function stored(storage: MemoryStorage, agentId: string): AgentRecord | undefined {
  const raw = storage.raw(agentId);
  return raw === undefined ? undefined : (JSON.parse(raw) as AgentRecord);
}

/**
 * Begins a TOTP set-up and returns what a host keeps: the secret (the agent's app) and the
 * set-up token (the host's session). Throws when refused.
 */
export async function begin(h: Harness, agentId: string, options: { account?: string; sessionVerified?: boolean; setupToken?: string } = {}): Promise<{ secret: string; setupToken: string; expiresAt: Date }> {
  const begun = await h.tf.beginTotpSetup(agentId, { account: `${agentId}@example.com`, ...options });
  if (!begun.ok) throw new Error(`beginTotpSetup refused: ${begun.reason}`);
  return begun;
}

/** Begins and confirms TOTP at the clock's current step, then moves the clock one step on. */
export async function enroll(h: Harness, agentId: string): Promise<string> {
  const begun = await h.tf.beginTotpSetup(agentId, { account: `${agentId}@example.com` });
  if (!begun.ok) throw new Error(`beginTotpSetup refused: ${begun.reason}`);
  const confirmed = await h.tf.confirmTotpSetup(agentId, codeAt(begun.secret, h.clock.now().getTime()), { setupToken: begun.setupToken });
  if (!confirmed.ok) throw new Error(`confirmTotpSetup refused: ${confirmed.reason}`);
  h.clock.advance(STEP_MS);
  return begun.secret;
}

/** Asserts `promise` rejects with a TwoFactorError of `code`, and returns the error. */
export async function rejectsWith(promise: Promise<unknown>, code: TwoFactorError['code']): Promise<TwoFactorError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TwoFactorError);
  expect((caught as TwoFactorError).code).toBe(code);
  return caught as TwoFactorError;
}

/** Waits for pending timers and microtasks (for event handlers that reject later). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** Mulberry32: a small seeded PRNG so "random" delays replay the same way on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One storage call, as the wrappers log it. */
export interface StorageCall {
  op: 'load' | 'save';
  agentId: string;
}

/**
 * Wraps a storage and adds random async delays before and after each inner call: a timer of
 * 0-3 ms or 0-20 microtask yields, chosen by a seeded PRNG. Loads and saves of concurrent
 * operations then interleave in orders MemoryStorage alone never produces.
 */
export class DelayedStorage implements TwoFactorStorage {
  readonly #random: () => number;
  constructor(readonly inner: TwoFactorStorage, seed: number) {
    this.#random = seededRandom(seed);
  }

  async #pause(): Promise<void> {
    if (this.#random() < 0.5) {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(this.#random() * 4)));
    } else {
      const yields = Math.floor(this.#random() * 21);
      for (let i = 0; i < yields; i++) await Promise.resolve();
    }
  }

  async load(agentId: string): Promise<StoredRecord | null> {
    await this.#pause();
    const got = await this.inner.load(agentId);
    await this.#pause();
    return got;
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    await this.#pause();
    const ok = await this.inner.save(agentId, record, expected);
    await this.#pause();
    return ok;
  }
}

/** Wraps a storage and logs every call. */
export class CountingStorage implements TwoFactorStorage {
  readonly calls: StorageCall[] = [];
  constructor(readonly inner: TwoFactorStorage) {}

  count(op: StorageCall['op']): number {
    return this.calls.filter((c) => c.op === op).length;
  }

  load(agentId: string): Promise<StoredRecord | null> {
    this.calls.push({ op: 'load', agentId });
    return this.inner.load(agentId);
  }

  save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    this.calls.push({ op: 'save', agentId });
    return this.inner.save(agentId, record, expected);
  }
}

/**
 * Wraps a storage: the `failAt`-th call (1-based, loads and saves counted together) throws
 * `error` instead of reaching the inner storage; 0 never fails. With `conflictOnce`, the first
 * save finds that another writer re-saved the same record just before (its version moved on,
 * its content did not), so the operation's compare-and-set loses once and it retries.
 */
export class FaultyStorage implements TwoFactorStorage {
  failAt = 0;
  conflictOnce = false;
  calls = 0;
  readonly error = new Error('disk on fire');
  #conflicted = false;
  constructor(readonly inner: MemoryStorage) {}

  reset(failAt: number, conflictOnce: boolean): void {
    this.failAt = failAt;
    this.conflictOnce = conflictOnce;
    this.calls = 0;
    this.#conflicted = false;
  }

  #tick(): void {
    this.calls++;
    if (this.calls === this.failAt) throw this.error;
  }

  async load(agentId: string): Promise<StoredRecord | null> {
    this.#tick();
    return this.inner.load(agentId);
  }

  async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
    this.#tick();
    if (this.conflictOnce && !this.#conflicted) {
      this.#conflicted = true;
      const current = await this.inner.load(agentId);
      if (current !== null) await this.inner.save(agentId, current.record, current.version);
    }
    return this.inner.save(agentId, record, expected);
  }
}

// ---------------------------------------------------------------------------------------------
// Email codes (used by the email-* and cipher-at-rest tests)
// ---------------------------------------------------------------------------------------------

/** Both methods on, nothing required. */
export const BOTH: PolicySettings = { totp: true, email: true, requireAll: false };
export const EMAIL_ONLY: PolicySettings = { totp: false, email: true, requireAll: false };
/** The address the email tests enroll; no digits, so a code can never hide inside it. */
export const ADDRESS = 'ann@example.com';
/** `DEFAULTS.email.resendCooldownMs`, spelled out so a changed default shows up in the tests. */
export const COOLDOWN_MS = 60_000;
export const HOUR_MS = 3_600_000;

export interface EmailHarness extends Harness {
  mailer: MemoryMailer;
  /** What `onDeliveryError` received, in order. */
  deliveryErrors: unknown[];
}

/**
 * A harness with both methods on and a MemoryMailer. As with {@link harness}, `h.storage` is
 * `storage`; pass `overrides.storage` (a wrapper around it) to make the service go through
 * something else while the tests still read the MemoryStorage underneath.
 */
export function emailHarness(overrides: Partial<TwoFactorOptions> = {}, storage = new MemoryStorage()): EmailHarness {
  const mailer = new MemoryMailer();
  const deliveryErrors: unknown[] = [];
  const h = harness(
    {
      settings: BOTH,
      mailer,
      onDeliveryError: (error) => {
        deliveryErrors.push(error);
      },
      ...overrides,
    },
    storage,
  );
  return { ...h, mailer, deliveryErrors };
}

/** Sends a code to `to`, asserts that it went out as one new mail, and returns the code. */
export async function sendCode(h: EmailHarness, agentId: string, to = ADDRESS, options: { sessionVerified?: boolean } = {}): Promise<string> {
  const before = h.mailer.sent.length;
  const result = await h.tf.sendEmailCode(agentId, { to, ...options });
  if (!result.ok) throw new Error(`sendEmailCode refused: ${result.reason}`);
  const sent = h.mailer.sent;
  expect(sent).toHaveLength(before + 1);
  return sent.at(-1)!.code;
}

/**
 * Enrolls `to` by a set-up code, then moves the clock past the resend cooldown. The send says
 * the session passed 2FA, as a host adding email next to an active TOTP factor must.
 */
export async function enrollEmail(h: EmailHarness, agentId: string, to = ADDRESS): Promise<void> {
  const code = await sendCode(h, agentId, to, { sessionVerified: true });
  const result = await h.tf.verifyEmailCode(agentId, code);
  if (!result.ok || result.purpose !== 'setup') throw new Error(`email set-up failed: ${JSON.stringify(result)}`);
  h.clock.advance(COOLDOWN_MS);
}

/** A code of the same length that differs from `code` (its last digit moved by one). */
export function otherCode(code: string): string {
  const last = Number(code.at(-1));
  return `${code.slice(0, -1)}${(last + 1) % 10}`;
}
