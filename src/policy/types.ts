/**
 * The inputs and the decision of the enforcement policy. Types only, plus the
 * canonical method order; the rules live in `evaluate.ts`, the settings checks in `settings.ts`.
 * @module
 */

/** A second factor twofold can ask for: an authenticator app (TOTP) or a code sent by email. */
export type Method = 'totp' | 'email';

/** @internal Every method, in the order decisions list them (TOTP first). */
export const _METHODS: readonly Method[] = Object.freeze(['totp', 'email'] as const);

/** A non-empty list of methods, in canonical order (TOTP first), without duplicates. */
export type MethodList = readonly [Method, ...Method[]];

/**
 * How long agents may skip set-up once "require agents to set up 2FA" is on. Exactly one form:
 * - `{ until }`: everyone may skip until that instant;
 * - `{ days }`: each agent may skip for that many days (fractions allowed) from the first time
 *   set-up was demanded of them (their `graceStartedAt`).
 */
export type GracePeriod =
  | { readonly until: Date; readonly days?: never }
  | { readonly days: number; readonly until?: never };

/** The organization's 2FA settings, as the admin screen sets them. */
export interface PolicySettings {
  /** The TOTP (authenticator app) service is on. */
  readonly totp: boolean;
  /** Email 2FA is on. */
  readonly email: boolean;
  /** "Require agents to set up 2FA". */
  readonly requireAll: boolean;
  /** Skippable set-up while `requireAll` is on; absent (or `null`, as JSON stores it) means set-up is needed at once. */
  readonly gracePeriod?: GracePeriod | null;
}

/** What the policy needs to know about one agent. */
export interface PolicyAgent {
  /** The per-agent "Enforce 2FA" toggle. It has no grace period. */
  readonly enforced: boolean;
  /** Methods the agent has set up, in any order; duplicates are tolerated. */
  readonly enrolled: readonly Method[];
  /**
   * When set-up was first demanded of this agent under a `{ days }` grace period; `null` or
   * absent until then (so `status().graceStartedAt` can be passed as it is). With the pure
   * evaluator, store it when a decision says `startsGrace: true`; the service stores it itself.
   */
  readonly graceStartedAt?: Date | null;
  /**
   * The agent reached the hard limit of failed attempts and may not verify until an admin
   * unlocks (absent: false). It changes no rule: it is reported on `next: 'verify'` decisions
   * so a login page can say so instead of asking for a code that will be refused.
   */
  readonly suspended?: boolean;
  /** The agent has recovery codes left that can be checked (absent: false). Reported on `next: 'verify'`. */
  readonly recoveryCode?: boolean;
}

/** The argument of {@link evaluatePolicy}. */
export interface PolicyInput {
  readonly settings: PolicySettings;
  readonly agent: PolicyAgent;
  /** The current time. The policy never reads a clock itself. */
  readonly now: Date;
}

/** Rule 1: no 2FA method is switched on, so there is nothing to ask for. */
export interface SkipNoMethodDecision {
  readonly action: 'skip';
  readonly next: 'none';
  readonly reason: 'no-method-enabled';
}

/** Rule 5: set-up is optional; offer `setupMethods` but let the agent in. */
export interface SkipOptionalDecision {
  readonly action: 'skip';
  readonly next: 'none';
  readonly reason: 'optional';
  /** The methods the agent could set up, if they choose to. */
  readonly setupMethods: MethodList;
}

/** Rule 4, inside the grace period: ask for set-up, but let the agent skip it. */
export type RequireDecision = {
  readonly action: 'require';
  readonly next: 'setup';
  readonly reason: 'grace-period';
  readonly setupMethods: MethodList;
  /** The first instant at which skipping is no longer allowed. */
  readonly graceEndsAt: Date;
} & (
  | {
      /** This decision starts the agent's `{ days }` grace: store `graceStartedAt`. */
      readonly startsGrace: true;
      /** The instant to store as the agent's `graceStartedAt` (equal to `now`). */
      readonly graceStartedAt: Date;
    }
  | {
      /** Nothing new to store. */
      readonly startsGrace: false;
    }
);

/** Rule 2: the agent has a usable method and must verify with one of them. */
export interface EnforceVerifyDecision {
  readonly action: 'enforce';
  readonly next: 'verify';
  readonly reason: 'enrolled';
  /** The agent's usable methods (enrolled and switched on), TOTP first. */
  readonly verifyMethods: MethodList;
  /** Every verification is refused until an admin unlocks: show that, not a code form. */
  readonly suspended: boolean;
  /**
   * A recovery code can be used instead (`verifyRecoveryCode`): offer "use a recovery code".
   * Recovery is never listed in `verifyMethods`: it is a way back, not a method.
   */
  readonly recoveryCode: boolean;
}

/**
 * Rules 3 and 4: the agent must set up 2FA before continuing.
 * - `agent-enforced`: the per-agent toggle (rule 3);
 * - `required-for-all`: "require" is on with no grace period (rule 4);
 * - `grace-period-over`: "require" is on and the grace period has ended (rule 4).
 */
export interface EnforceSetupDecision {
  readonly action: 'enforce';
  readonly next: 'setup';
  readonly reason: 'agent-enforced' | 'required-for-all' | 'grace-period-over';
  readonly setupMethods: MethodList;
}

/**
 * What a login should do about 2FA. Switch on `action` (or `next`, or `reason`) to narrow:
 * `graceEndsAt` exists only on `require`, `verifyMethods` only on `next: 'verify'`,
 * `setupMethods` on `next: 'setup'` and on the optional skip.
 */
export type PolicyDecision =
  | SkipNoMethodDecision
  | SkipOptionalDecision
  | RequireDecision
  | EnforceVerifyDecision
  | EnforceSetupDecision;

/** Every reason a decision can carry, one per rule outcome. */
export type PolicyReason = PolicyDecision['reason'];
