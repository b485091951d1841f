/**
 * The twofold wiring: the one service the app uses, and what a policy decision means for the
 * login (docs/login-flow.md). No HTML here; messages.ts says what the agent is told.
 */
import {
  aesGcmSecretCipher,
  createTwoFactor,
  type Method,
  type PolicyDecision,
  type TwoFactor,
  type TwoFactorEvent,
  type TwoFactorOptions,
} from '../../src/index.js';
import { MemoryMailer } from '../../src/memory.js';
import type { DemoKeys } from './database.js';
import type { Store } from './store.js';

export const ISSUER = 'Acme Help';

export interface Wiring {
  twoFactor: TwoFactor;
  /** Every email sent, for the demo's outbox page (a real helpdesk hands them to its mail service). */
  outbox: MemoryMailer;
}

/**
 * Test-only: a throttle that suspends an agent after 6 wrong codes in a row, with locks of
 * 1 ms from the 3rd, so the browser test can reach a suspension (100 failures under the real
 * locks take about a day). The demo uses it only with `HELPDESK_FAST_THROTTLE=1`, which the
 * e2e harness sets; otherwise it runs on twofold's defaults.
 */
export const FAST_THROTTLE = { freeFailures: 3, baseLockMs: 1, maxLockMs: 1, maxConsecutiveFailures: 6 } as const;

export interface WiringOptions {
  /** twofold's records: `postgresStorage(db)` (app.ts) or, in memory, a `MemoryStorage`. */
  storage: TwoFactorOptions['storage'];
  /** The pepper and the secret cipher's key: the same at every start as long as the records last. */
  keys: DemoKeys;
  throttle?: TwoFactorOptions['throttle'];
}

export function wireTwoFactor(store: Store, log: (line: string) => void, options: WiringOptions): Wiring {
  const outbox = new MemoryMailer();
  const twoFactor = createTwoFactor({
    // Absent: twofold's defaults (a lock from the 5th failure, suspension at the 100th).
    ...(options.throttle && { throttle: options.throttle }),
    // twofold/postgres on the demo's database, or MemoryStorage with --memory (docs/storage.md).
    storage: options.storage,
    issuer: ISSUER,
    // Read at every call, so the admin's change applies to the next login.
    settings: () => store.settings,
    mailer: {
      async send(message) {
        await outbox.send(message);
        const what = message.kind === 'notice' ? 'security notice' : 'mail';
        log(`${what} to ${message.to}: "${message.subject}" (read it at /outbox; codes never go to the log)`);
      },
    },
    // Security notices (a method set up or removed, recovery codes made or used, a lock): to
    // the agent's own address, with the mailer above. twofold never sees the helpdesk's accounts.
    notices: { addressOf: (id) => store.account(id)?.email ?? null },
    // Production: both from your secret store, the same across restarts (docs/security.md).
    // The demo keeps them in its data directory (database.ts), or draws fresh ones with --memory.
    email: { pepper: options.keys.pepper },
    secretCipher: aesGcmSecretCipher({ keys: [options.keys.cipherKey] }),
    onEvent: (event) => log(`audit: ${describeEvent(event)}`),
  });
  return { twoFactor, outbox };
}

function describeEvent(e: TwoFactorEvent): string {
  return `${e.agentId} ${e.type}${e.reason ? ` (${e.reason})` : ''}${e.actor ? ` by ${e.actor}` : ''}`;
}

/** Why set-up is asked for at this login. */
export type SetupReason = 'grace-period' | 'agent-enforced' | 'required-for-all' | 'grace-period-over';

/**
 * What the login does after the password, from `twoFactor.policy()`:
 * - `sign-in`: let the agent in (`optionalSetup`: they could set 2FA up in their preferences);
 * - `setup`: show set-up of one of `methods`, with a Skip button while `skippableUntil` runs;
 * - `verify`: ask for a code by one of `methods` (`suspended`: too many wrong codes, until an
 *   admin unlocks or a recovery code is used; `recoveryCode`: the agent has usable recovery
 *   codes, so the page offers "Use a recovery code"). Never offer set-up here: someone who knows only the password must not be
 *   able to enroll their own authenticator.
 */
export type LoginStep =
  | { kind: 'sign-in'; optionalSetup: boolean }
  | { kind: 'setup'; methods: Method[]; reason: SetupReason; skippableUntil?: Date }
  | { kind: 'verify'; methods: Method[]; suspended: boolean; recoveryCode: boolean };

export function loginStep(decision: PolicyDecision): LoginStep {
  switch (decision.action) {
    case 'skip':
      return { kind: 'sign-in', optionalSetup: decision.reason === 'optional' };
    case 'require':
      return { kind: 'setup', methods: [...decision.setupMethods], reason: decision.reason, skippableUntil: decision.graceEndsAt };
    case 'enforce':
      return decision.next === 'verify'
        ? { kind: 'verify', methods: [...decision.verifyMethods], suspended: decision.suspended, recoveryCode: decision.recoveryCode }
        : { kind: 'setup', methods: [...decision.setupMethods], reason: decision.reason };
  }
}

/** A login between the password and the second factor, kept in the session. */
export type PendingLogin = Exclude<LoginStep, { kind: 'sign-in' }> & {
  accountId: string;
  startedAt: number;
  /** An email code was sent during this login (show the code form). */
  emailSent: boolean;
};

/** How long the second step of a login may take. */
export const PENDING_LOGIN_TTL_MS = 10 * 60_000;
