/**
 * What the service benchmarks (service.ts, storage.ts) share: the clock's start and step, the
 * TOTP-only settings, provisioning many agents, and a code that is wrong at a given instant.
 */
import { verifyTotp } from '../../src/otp/totp.js';
import type { PolicySettings } from '../../src/policy/types.js';
import type { TwoFactor } from '../../src/index.js';

export const T0 = Date.UTC(2026, 0, 1);
export const STEP_MS = 30_000;
export const SETTINGS: PolicySettings = { totp: true, email: false, requireAll: false };

/** Provisions TOTP for every id (`<id>@example.com`), 50 at a time; their secrets, in order. */
export async function provisionAgents(tf: TwoFactor, ids: readonly string[]): Promise<string[]> {
  const secrets: string[] = [];
  for (let i = 0; i < ids.length; i += 50) {
    const batch = await Promise.all(ids.slice(i, i + 50).map((id) => tf.admin.provisionTotp(id, { account: `${id}@example.com` })));
    for (const r of batch) {
      if (!r.ok) throw new Error(`provisionTotp refused: ${r.reason}`);
      secrets.push(r.secret);
    }
  }
  return secrets;
}

/** A well-formed code that matches no step within 3 steps of `at`. */
export function wrongCode(secret: string, at: number): string {
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!verifyTotp(secret, code, { at, window: 3 }).valid) return code;
  }
}
