/**
 * The option checks of `createTwoFactor` that need more than one line: peppers (one, or
 * `{ current, previous }` while rotating), security notices (which need a mailer) and the
 * hard limit of the throttle.
 * @module
 */
import { DEFAULTS } from '../defaults.js';
import { emailPepper } from '../email/hash.js';
import { renderDefaultNotice, type RenderNotice } from '../email/notice.js';
import type { Mailer } from '../ports.js';
import { _describe, _integer, _options } from '../shared/validate.js';

/** `email.pepper`: one pepper, or `{ current, previous }` while rotating. */
export function _peppers(value: unknown): { pepper: Uint8Array | undefined; previousPepper: Uint8Array | undefined } {
  if (value === undefined) return { pepper: undefined, previousPepper: undefined };
  if (typeof value === 'string' || value instanceof Uint8Array) return { pepper: emailPepper(value), previousPepper: undefined };
  const p = _options('email.pepper', value);
  return { pepper: emailPepper(p.current), previousPepper: p.previous === undefined ? undefined : emailPepper(p.previous) };
}

export function _notices(
  value: unknown,
  mailer: Mailer | undefined,
): { readonly addressOf: (agentId: string) => string | null | Promise<string | null>; readonly renderNotice: RenderNotice } | undefined {
  if (value === undefined) return undefined;
  const n = _options('notices', value);
  if (typeof n.addressOf !== 'function') throw new TypeError(`"notices.addressOf" expected a function, got ${_describe(n.addressOf)}`);
  if (n.renderNotice !== undefined && typeof n.renderNotice !== 'function') {
    throw new TypeError(`"notices.renderNotice" expected a function, got ${_describe(n.renderNotice)}`);
  }
  if (mailer === undefined) throw new TypeError('"notices" need a "mailer" to send them');
  return Object.freeze({ addressOf: n.addressOf as (agentId: string) => string | null | Promise<string | null>, renderNotice: (n.renderNotice as RenderNotice | undefined) ?? renderDefaultNotice });
}

/**
 * `throttle.maxConsecutiveFailures`: above `freeFailures` (else no lock would come first) and
 * at most 1000. NIST SP 800-63B §5.2.2 caps consecutive failures on one account at 100, the
 * default; a host that raises `freeFailures` to 100 must choose a limit above it explicitly.
 */
export function _hardLimit(value: unknown, freeFailures: number): number {
  const fallback = DEFAULTS.throttle.maxConsecutiveFailures;
  if (value !== undefined) return _integer('throttle.maxConsecutiveFailures', value, freeFailures + 1, 1000);
  if (freeFailures < fallback) return fallback;
  throw new RangeError(
    `"throttle.maxConsecutiveFailures" must be set when freeFailures is ${freeFailures}: an integer ${freeFailures + 1}..1000 (above ${fallback} is outside NIST SP 800-63B 5.2.2)`,
  );
}

