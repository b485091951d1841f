/**
 * Checks of the arguments every call shares (the agent id, an account name, a flag),
 * made before any storage call, and the ms-to-Date step of results.
 * @module
 */
import { _describe } from '../shared/validate.js';
import { _hasLoneSurrogate } from '../shared/text.js';

const MAX_AGENT_ID_LENGTH = 256;

/** The host's agent id: a non-blank, well-formed string of at most 256 characters. */
export function agentIdArg(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > MAX_AGENT_ID_LENGTH || _hasLoneSurrogate(value)) {
    throw new TypeError(
      `"agentId" expected a non-blank, well-formed string of at most ${MAX_AGENT_ID_LENGTH} characters, got ${_describe(value)}`,
    );
  }
  return value;
}

/** The account name an authenticator app shows. */
export function accountArg(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new TypeError(`"account" expected a non-empty string, got ${_describe(value)}`);
  }
  return value;
}

/** An optional boolean option; absent means false. */
export function flagArg(name: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`"${name}" expected a boolean, got ${_describe(value)}`);
  return value === true;
}

/** Epoch ms (or null) as a `Date` (or null), for results. */
export function dateOrNull(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}
