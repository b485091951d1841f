/**
 * @module Every public entry point of the service that takes an agent id, as one list, and what
 * a call did (threw, rejected, resolved). The cross-cutting tables (bad inputs, a broken load,
 * a damaged record, garbage settings) run over this list: a new method adds its rows here.
 */
import type { TwoFactor, TwoFactorOptions } from '../../src/index.js';
import { ADDRESS, emailHarness, harness, type Harness } from './harness.js';

/** An entry point, called with `id` and otherwise valid arguments. */
export type EntryPoint = readonly [name: string, call: (tf: TwoFactor, id: unknown) => unknown];

/** Every entry point that takes an agent id, called with `id` and otherwise valid arguments. */
export const ENTRY_POINTS: readonly EntryPoint[] = [
  ['policy', (tf, id) => tf.policy(id as string)],
  ['skipSetup', (tf, id) => tf.skipSetup(id as string)],
  ['beginTotpSetup', (tf, id) => tf.beginTotpSetup(id as string, { account: 'ann@example.com' })],
  ['confirmTotpSetup', (tf, id) => tf.confirmTotpSetup(id as string, '123456', { setupToken: 'token' })],
  ['verifyTotp', (tf, id) => tf.verifyTotp(id as string, '123456')],
  ['sendEmailCode', (tf, id) => tf.sendEmailCode(id as string, { to: ADDRESS })],
  ['verifyEmailCode', (tf, id) => tf.verifyEmailCode(id as string, '123456')],
  ['status', (tf, id) => tf.status(id as string)],
  ['admin.provisionTotp', (tf, id) => tf.admin.provisionTotp(id as string, { account: 'ann@example.com' })],
  ['admin.setEnforced', (tf, id) => tf.admin.setEnforced(id as string, true)],
  ['admin.remove', (tf, id) => tf.admin.remove(id as string)],
  ['admin.unlock', (tf, id) => tf.admin.unlock(id as string)],
];

/** The entry points that need a mailer and Email 2FA switched on. */
const EMAIL_CALLS = new Set(['sendEmailCode', 'verifyEmailCode']);

/**
 * The harness an entry point runs on: {@link emailHarness} (both methods on, a MemoryMailer)
 * for the email calls, {@link harness} (TOTP only) for the others.
 */
export function harnessFor(name: string, overrides: Partial<TwoFactorOptions> = {}): Harness {
  return EMAIL_CALLS.has(name) ? emailHarness(overrides) : harness(overrides);
}

/** What `fn` threw synchronously (undefined if it returned). */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** What calling `fn` did: threw synchronously, rejected, or resolved. */
export async function outcome(fn: () => unknown): Promise<{ kind: 'threw' | 'rejected' | 'resolved'; value: unknown }> {
  let pending: unknown;
  try {
    pending = fn();
  } catch (e) {
    return { kind: 'threw', value: e };
  }
  try {
    return { kind: 'resolved', value: await pending };
  } catch (e) {
    return { kind: 'rejected', value: e };
  }
}

/** Runs `call` on every entry point; returns those whose outcome `ok` does not accept, as readable lines. */
export async function offenders(
  make: (name: string) => TwoFactor,
  call: (tf: TwoFactor, run: EntryPoint[1]) => unknown,
  ok: (got: Awaited<ReturnType<typeof outcome>>) => boolean,
  entryPoints: readonly EntryPoint[] = ENTRY_POINTS,
): Promise<string[]> {
  const bad: string[] = [];
  for (const [name, run] of entryPoints) {
    const got = await outcome(() => call(make(name), run));
    if (!ok(got)) bad.push(`${name}: ${got.kind} ${got.value instanceof Error ? `${got.value.name}: ${got.value.message}` : JSON.stringify(got.value)}`);
  }
  return bad;
}

/** A TypeError or a RangeError: how a programmer mistake is reported. */
export const isArgumentError = (e: unknown): boolean => e instanceof TypeError || e instanceof RangeError;
