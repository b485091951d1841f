/**
 * The enforcement policy's rules: `evaluatePolicy` checks its inputs and decides
 * skip, require or enforce; `_evaluateChecked` is the same rules on already-checked inputs.
 * @module
 */
import { _boolean, _describe, _oneOf } from '../shared/validate.js';
import { _checkSettings, _date, _object, type _CheckedSettings } from './settings.js';
import { _METHODS, type Method, type MethodList, type PolicyDecision, type PolicyInput } from './types.js';

const DAY_MS = 86_400_000;
// ECMAScript §21.4.1.1: the latest instant a Date can hold. A `{ days }` grace reaching past it
// ends there instead, so `graceEndsAt` is always a valid Date.
const MAX_DATE_MS = 8.64e15;

/** @internal An agent after checking: methods as a set, times as epoch ms. */
export interface _CheckedAgent {
  readonly enforced: boolean;
  readonly enrolled: ReadonlySet<Method>;
  readonly graceStartedMs: number | undefined;
  readonly suspended: boolean;
  readonly recoveryCode: boolean;
}

function _checkAgent(value: unknown): _CheckedAgent {
  const agent = _object('agent', value);
  const enforced = _boolean('agent.enforced', agent.enforced);
  const enrolled = agent.enrolled;
  const graceStartedAt = agent.graceStartedAt;
  if (!Array.isArray(enrolled)) {
    throw new TypeError(`"agent.enrolled" expected an array of methods, got ${_describe(enrolled)}`);
  }
  const methods = new Set<Method>();
  // An unknown method name fails closed (throws) instead of being ignored: it most likely
  // means stored data and code disagree, and the agent may rely on that factor.
  for (let i = 0; i < enrolled.length; i++) methods.add(_oneOf(`agent.enrolled[${i}]`, enrolled[i], _METHODS));
  // `null` (as `status()` and JSON say it) and absent both mean: not started.
  const graceStartedMs = graceStartedAt === undefined || graceStartedAt === null ? undefined : _date('agent.graceStartedAt', graceStartedAt);
  const suspended = agent.suspended === undefined ? false : _boolean('agent.suspended', agent.suspended);
  const recoveryCode = agent.recoveryCode === undefined ? false : _boolean('agent.recoveryCode', agent.recoveryCode);
  return { enforced, enrolled: methods, graceStartedMs, suspended, recoveryCode };
}

function _checkSettingsOrThrow(value: unknown): _CheckedSettings {
  const { findings, settings } = _checkSettings(value, 'settings.');
  if (findings[0]) throw findings[0].error;
  // Unreachable: no finding means every field checked out. Fail closed all the same.
  if (!settings) throw new TypeError('"settings" expected valid settings, got an unreadable object');
  return settings;
}

/** The methods in `set`, in canonical order (TOTP first), or undefined when there are none. */
function _list(set: (m: Method) => boolean): MethodList | undefined {
  const list = _METHODS.filter(set);
  return list.length > 0 ? (list as unknown as MethodList) : undefined;
}

/**
 * Decides what a login must do about 2FA for one agent: `skip`, `require` (set-up, skippable
 * until `graceEndsAt`) or `enforce` (verify, or set up, before continuing).
 *
 * Rules, first match wins (`allowed`: methods switched on; `usable`: enrolled and allowed):
 * 1. no method allowed: `skip`, reason `no-method-enabled`;
 * 2. a usable method: `enforce`, next `verify`, reason `enrolled`;
 * 3. `agent.enforced`: `enforce`, next `setup`, reason `agent-enforced` (no grace);
 * 4. `settings.requireAll`: `require` until the grace end (reason `grace-period`), then
 *    `enforce` (reason `grace-period-over`, or `required-for-all` with no grace period);
 * 5. otherwise `skip`, reason `optional`, with the methods the agent could set up.
 *
 * Pure: no clock, no I/O, inputs untouched; every returned Date and array is new. Call it at
 * every login (decisions are not to be cached), so changed settings apply at once.
 *
 * When a decision has `startsGrace: true`, the agent's `{ days }` grace begins now: store
 * `decision.graceStartedAt` and pass it back as `agent.graceStartedAt` next time. A host that
 * does not store it restarts the grace at every login, so it never ends.
 *
 * @param input.settings the organization's settings (see {@link validateSettings})
 * @param input.agent the agent's enforcement flag, enrolled methods, grace start and suspension
 * @param input.now the current time
 * @throws TypeError or RangeError when any input is malformed (a missing field, a flag that is
 *   not a boolean, an invalid Date, an unknown method, `days` not a positive finite number,
 *   both `until` and `days`). It fails closed: garbage never yields `skip`.
 * @example
 * ```ts
 * const decision = evaluatePolicy({
 *   settings: { totp: true, email: true, requireAll: true, gracePeriod: { days: 14 } },
 *   agent: { enforced: false, enrolled: [], graceStartedAt: storedStart },
 *   now: new Date(),
 * });
 * switch (decision.action) {
 *   case 'skip': return logIn();
 *   case 'require': return offerSetup(decision.setupMethods, { skippableUntil: decision.graceEndsAt });
 *   case 'enforce':
 *     return decision.next === 'verify' ? askForCode(decision.verifyMethods) : demandSetup(decision.setupMethods);
 * }
 * ```
 */
export function evaluatePolicy(input: PolicyInput): PolicyDecision {
  const { settings: rawSettings, agent: rawAgent, now: rawNow } = _object('input', input);
  // Check everything before deciding anything, so malformed input throws whichever rule would
  // have matched: a login path must fail closed, never skip 2FA because data was garbage.
  return _evaluateChecked(_checkSettingsOrThrow(rawSettings), _checkAgent(rawAgent), _date('now', rawNow));
}

/**
 * @internal The rules of {@link evaluatePolicy}, on inputs already checked: the service, which
 * checks the settings once per call and keeps times as epoch ms, enters here.
 */
export function _evaluateChecked(settings: _CheckedSettings, agent: _CheckedAgent, nowMs: number): PolicyDecision {
  const isAllowed = (m: Method): boolean => settings[m];
  const allowed = _list(isAllowed);

  // Rule 1: nothing switched on, nothing to ask for (this wins even over enrolled agents).
  if (!allowed) return { action: 'skip', next: 'none', reason: 'no-method-enabled' };

  // Rule 2: an enrolled method counts only while its service is on.
  const usable = _list((m) => isAllowed(m) && agent.enrolled.has(m));
  if (usable) return { action: 'enforce', next: 'verify', reason: 'enrolled', verifyMethods: usable, suspended: agent.suspended, recoveryCode: agent.recoveryCode };

  // Rule 3: the per-agent toggle has no grace period.
  if (agent.enforced) return { action: 'enforce', next: 'setup', reason: 'agent-enforced', setupMethods: allowed };

  // Rule 4: required for everyone, skippable until the grace end.
  if (settings.requireAll) {
    const grace = settings.grace;
    if (grace.kind === 'none') {
      return { action: 'enforce', next: 'setup', reason: 'required-for-all', setupMethods: allowed };
    }
    let endMs: number;
    let startsGrace = false;
    if (grace.kind === 'until') {
      endMs = grace.untilMs;
    } else {
      // A `{ days }` grace starts the first time set-up is demanded (GitLab's model); with no
      // stored start yet, that is now.
      startsGrace = agent.graceStartedMs === undefined;
      const startMs = agent.graceStartedMs ?? nowMs;
      // Whole milliseconds, so `graceEndsAt` is exactly the boundary compared against.
      endMs = Math.min(Math.round(startMs + grace.days * DAY_MS), MAX_DATE_MS);
    }
    // At exactly the end, the grace is over.
    if (nowMs >= endMs) {
      return { action: 'enforce', next: 'setup', reason: 'grace-period-over', setupMethods: allowed };
    }
    const base = {
      action: 'require',
      next: 'setup',
      reason: 'grace-period',
      setupMethods: allowed,
      graceEndsAt: new Date(endMs),
    } as const;
    return startsGrace ? { ...base, startsGrace: true, graceStartedAt: new Date(nowMs) } : { ...base, startsGrace: false };
  }

  // Rule 5: set-up is optional.
  return { action: 'skip', next: 'none', reason: 'optional', setupMethods: allowed };
}
