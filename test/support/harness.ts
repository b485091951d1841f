/**
 * @module The service harness every service test runs on: a service built through the public
 * surface (`createTwoFactor` from src/index.ts, imported here and nowhere else in the tests) on a
 * MemoryStorage, a manual clock at {@link T0} and, for email, a MemoryMailer; the clock and
 * setting constants; TOTP and email codes at chosen steps; the steps that bring an agent to a
 * state (begin, enroll, a code sent, email enrolled).
 */
import { expect } from 'vitest';
import { MemoryMailer, MemoryStorage, manualClock, type ManualClock } from '../../src/memory.js';
import { TwoFactorError, createTwoFactor, totp, verifyTotp, type AgentRecord, type EmailMessage, type PolicySettings, type TwoFactor, type TwoFactorEvent, type TwoFactorOptions } from '../../src/index.js';

/** Re-exported for the tests of createTwoFactor itself (options, storages on real servers, docs examples). */
export { createTwoFactor };

// ---------------------------------------------------------------------------------------------
// Clocks and settings
// ---------------------------------------------------------------------------------------------

/** 2026-01-01T00:00:00Z, the start of a 30 s step. */
export const T0 = Date.UTC(2026, 0, 1);
export const STEP_MS = 30_000;
export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
/** The step that starts at T0. */
export const S0 = T0 / STEP_MS;
/** `DEFAULTS.email.resendCooldownMs`, spelled out so a changed default shows up in the tests. */
export const COOLDOWN_MS = 60_000;

export const TOTP_ONLY: PolicySettings = { totp: true, email: false, requireAll: false };
export const EMAIL_ONLY: PolicySettings = { totp: false, email: true, requireAll: false };
/** Both methods on, nothing required. */
export const BOTH: PolicySettings = { totp: true, email: true, requireAll: false };
/** TOTP only, set-up required, with a 14-day grace that starts at the agent's first login. */
export const GRACE_DAYS: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } };
/** The address the email tests enroll; no digits, so a code can never hide inside it. */
export const ADDRESS = 'ann@example.com';

// ---------------------------------------------------------------------------------------------
// Harnesses
// ---------------------------------------------------------------------------------------------

export interface Harness {
  tf: TwoFactor;
  storage: MemoryStorage;
  clock: ManualClock;
  events: TwoFactorEvent[];
}

export interface EmailHarness extends Harness {
  mailer: MemoryMailer;
  /** What `onDeliveryError` received, in order. */
  deliveryErrors: unknown[];
}

/**
 * A service on a fresh MemoryStorage and a manual clock at T0 that records its events. `h.storage`
 * is `storage`; pass `overrides.storage` (a wrapper around it) to make the service go through
 * something else while the tests still read the MemoryStorage underneath.
 */
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

/** A {@link harness} with both methods on and a MemoryMailer. */
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

/** The harness's time, in epoch ms. */
export const now = (h: { clock: { now(): Date } }): number => h.clock.now().getTime();

/** The record at rest for an agent, parsed from MemoryStorage's JSON text (or undefined). */
export function stored(storage: MemoryStorage, agentId: string): AgentRecord | undefined {
  const raw = storage.raw(agentId);
  return raw === undefined ? undefined : (JSON.parse(raw) as AgentRecord);
}

// ---------------------------------------------------------------------------------------------
// Codes
// ---------------------------------------------------------------------------------------------

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

/** A code of the same length that differs from `code` (its last digit moved by one). */
export function otherCode(code: string): string {
  const last = Number(code.at(-1));
  return `${code.slice(0, -1)}${(last + 1) % 10}`;
}

// ---------------------------------------------------------------------------------------------
// Steps that bring an agent to a state
// ---------------------------------------------------------------------------------------------

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
  const begun = await begin(h, agentId);
  const confirmed = await h.tf.confirmTotpSetup(agentId, codeAt(begun.secret, now(h)), { setupToken: begun.setupToken });
  if (!confirmed.ok) throw new Error(`confirmTotpSetup refused: ${confirmed.reason}`);
  h.clock.advance(STEP_MS);
  return begun.secret;
}

/** Enrolls TOTP, then sends five wrong codes: the agent is locked for 30 s. Returns the secret. */
export async function lockedAgent(h: Harness, agentId = 'a'): Promise<string> {
  const secret = await enroll(h, agentId);
  for (let i = 0; i < 5; i++) await h.tf.verifyTotp(agentId, wrongCode(secret, now(h)));
  return secret;
}

/** Sends a code to `to`, asserts that it went out as one new mail, and returns the code. */
export async function sendCode(h: EmailHarness, agentId: string, to = ADDRESS, options: { sessionVerified?: boolean } = {}): Promise<string> {
  const before = h.mailer.sent.length;
  const result = await h.tf.sendEmailCode(agentId, { to, ...options });
  if (!result.ok) throw new Error(`sendEmailCode refused: ${result.reason}`);
  const sent = h.mailer.sent;
  expect(sent).toHaveLength(before + 1);
  return codeOf(sent.at(-1));
}

/** The code a message carries; throws for a notice (or nothing), so a test never reads one as a code. */
export function codeOf(message: EmailMessage | undefined): string {
  if (message?.kind !== 'code') throw new Error(`expected a code message, got ${message === undefined ? 'none' : `a ${message.kind}`}`);
  return message.code;
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

/** Sends a set-up code, then waits out its default 10-minute lifetime; returns the code. */
export async function expiredSetupCode(h: EmailHarness, agentId = 'a'): Promise<string> {
  const code = await sendCode(h, agentId);
  h.clock.advance(10 * 60_000);
  return code;
}

/** Email enrolled by a set-up code on an agent with no other method (no sessionVerified), then past the cooldown. */
export async function enrollEmailOnly(h: EmailHarness, agentId = 'a'): Promise<void> {
  const code = await sendCode(h, agentId);
  expect(await h.tf.verifyEmailCode(agentId, code)).toMatchObject({ ok: true, purpose: 'setup' });
  h.clock.advance(COOLDOWN_MS);
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

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
