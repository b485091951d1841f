/**
 * @module The security-notice harness: a service with the `notices` option whose
 * `onDeliveryError` records its context, the agent's own address, and the steps the notice
 * tests share (wrong codes past every lock, recovery codes made with a pepper).
 */
import { expect } from 'vitest';
import { MemoryStorage } from '../../src/memory.js';
import type { TwoFactorOptions } from '../../src/index.js';
import { emailHarness, now, wrongCode, type EmailHarness } from './harness.js';

/** The agent's own address, from the host's user record: not the email-2FA one. */
export const OWN = 'ann.lee@corp.example';

export interface NoticeHarness extends EmailHarness {
  /** What onDeliveryError received, with its context. */
  reported: Array<{ error: unknown; agentId: string; kind: 'code' | 'notice' }>;
}

export function noticeHarness(overrides: Partial<TwoFactorOptions> = {}, addressOf: (agentId: string) => string | null | Promise<string | null> = () => OWN, storage = new MemoryStorage()): NoticeHarness {
  const reported: NoticeHarness['reported'] = [];
  const h = emailHarness({ notices: { addressOf }, onDeliveryError: (error, context) => void reported.push({ error, ...context }), ...overrides }, storage);
  return { ...h, reported };
}

/** The notices sent to `to`, as [type, method, byAdmin]. */
export const told = (h: EmailHarness, to = OWN) => h.mailer.notices(to).map(({ notice: n }) => [n.type, n.method ?? null, n.byAdmin]);
export const noticesSent = (h: EmailHarness) => h.mailer.sent.filter((m) => m.kind === 'notice');
/** `times` wrong TOTP codes, each one checked (the clock is moved past every lock). */
export async function fail(h: EmailHarness, secret: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const result = await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid-code|suspended/) });
    if ('retryAt' in result && result.retryAt) h.clock.set(result.retryAt);
  }
}

export const SMALL_THROTTLE = { freeFailures: 2, baseLockMs: 1000, maxLockMs: 4000, maxConsecutiveFailures: 5 };
/** A pepper, so that recovery codes are HMACs (fast), not scrypt. */
export const PEPPER = 'p'.repeat(32);
export async function recoveryCodes(h: EmailHarness): Promise<string[]> {
  const made = await h.tf.generateRecoveryCodes('a', { sessionVerified: true });
  return made.ok ? made.codes : [];
}
