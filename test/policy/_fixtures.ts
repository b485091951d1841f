// Shared constants and builders for the policy tests.
import type { PolicyAgent, PolicyDecision, PolicyInput, PolicySettings } from '../../src/index.js';

export const DAY = 86_400_000;
/** The grace end every fixed-time test lines up on: 2026-03-01T12:00:00Z. */
export const END = Date.UTC(2026, 2, 1, 12);
export const GRACE_DAYS = 7;
/** A `graceStartedAt` such that `START + GRACE_DAYS` is exactly `END`. */
export const START = END - GRACE_DAYS * DAY;

export const at = (ms: number): Date => new Date(ms);

export const SETTINGS: PolicySettings = { totp: true, email: true, requireAll: false };
export const AGENT: PolicyAgent = { enforced: false, enrolled: [] };

/** A valid input with parts overridden. */
export function input(
  settings: Partial<PolicySettings> = {},
  agent: Partial<PolicyAgent> = {},
  now: Date = at(END),
): PolicyInput {
  return { settings: { ...SETTINGS, ...settings }, agent: { ...AGENT, ...agent }, now };
}

/** Strictness: skip < require < enforce. */
export const RANK: Record<PolicyDecision['action'], number> = { skip: 0, require: 1, enforce: 2 };
