/**
 * Security notices: what the agent is told when their 2FA changes (NIST SP 800-63B §6.1.2.1),
 * the template types and the default template. A notice says what changed, when and whether an
 * admin did it; it never carries a link, a code, a secret, a token, an IP address or a device,
 * so a mailbox reader learns nothing that helps an attack. See docs/notices.md.
 * @module
 */
import { _describe, _oneOf, _options } from '../shared/validate.js';
import { _htmlEmail, _oneLine, _SMALL_STYLE } from './message.js';

/** What a notice is about. */
export type NoticeType = 'method-activated' | 'method-removed' | 'recovery-generated' | 'recovery-used' | 'locked' | 'suspended';

/** Every {@link NoticeType}, in the order of the docs. */
export const NOTICE_TYPES: readonly NoticeType[] = Object.freeze([
  'method-activated',
  'method-removed',
  'recovery-generated',
  'recovery-used',
  'locked',
  'suspended',
] as const);

/** The methods a notice can name. */
export type NoticeMethod = 'totp' | 'email' | 'recovery';

/** The facts of one notice, for templates and tests. Never a code, secret, token or address. */
export interface Notice {
  type: NoticeType;
  /** The method activated or removed (`method-activated`, `method-removed`); absent otherwise. */
  method?: NoticeMethod;
  /** The change was made by an admin (an admin provisioned or removed a method). */
  byAdmin: boolean;
  /** When the change happened, by the service's clock. */
  at: Date;
}

/** What a notice template gets. */
export interface NoticeTemplateInput {
  notice: Notice;
  /** The product or company name, as configured on `createTwoFactor`. */
  issuer: string;
  /** The host's agent id (for templates that look up a name; never put it in the email). */
  agentId: string;
  /** The recipient address. */
  to: string;
}

/** One rendered notice. The subject must be one line; every value in `html` must be escaped. */
export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

/** A template: the `notices.renderNotice` option of `createTwoFactor`. */
export type RenderNotice = (input: NoticeTemplateInput) => RenderedNotice;

/** How a method is named in a notice, and the verb that agrees with the name. */
const _METHOD_NAMES: Record<NoticeMethod, readonly [string, 'was' | 'were']> = {
  totp: ['an authenticator app', 'was'],
  email: ['sign-in codes by email', 'were'],
  recovery: ['recovery codes', 'were'],
};

/**
 * The default notice: a subject naming the issuer and the change, and a body with the change
 * in words, its time (UTC), "by an admin" where so, and what to do if the agent did not expect
 * it. A suspension says that someone who knows the password tried codes, and that the password
 * is reset before 2FA is unlocked. In the HTML every value is escaped; control characters in
 * the issuer become spaces, so the subject is one line.
 *
 * @throws TypeError / RangeError for an input of the wrong shape.
 * @example
 * ```ts
 * renderDefaultNotice({ notice: { type: 'locked', byAdmin: false, at: new Date() }, issuer: 'Acme Help', agentId: 'a-1', to: 'ann@acme.test' });
 * ```
 */
export function renderDefaultNotice(input: NoticeTemplateInput): RenderedNotice {
  const o = _options('input', input);
  if (typeof o.issuer !== 'string' || o.issuer.trim().length === 0) {
    throw new TypeError(`"input.issuer" expected a non-empty string, got ${_describe(o.issuer)}`);
  }
  const n = _options('input.notice', o.notice);
  const type = _oneOf('input.notice.type', n.type, NOTICE_TYPES);
  if (typeof n.byAdmin !== 'boolean') throw new TypeError(`"input.notice.byAdmin" expected a boolean, got ${_describe(n.byAdmin)}`);
  if (!(n.at instanceof Date) || Number.isNaN(n.at.getTime())) {
    throw new TypeError(`"input.notice.at" expected a valid Date, got ${_describe(n.at)}`);
  }
  const needsMethod = type === 'method-activated' || type === 'method-removed';
  const method = needsMethod ? _oneOf('input.notice.method', n.method, ['totp', 'email', 'recovery'] as const) : undefined;
  const issuer = _oneLine(o.issuer);
  const { headline, body, advice } = _wording(type, method, n.byAdmin, issuer);

  const subject = `${issuer}: ${headline}`;
  const when = `When: ${_utc(n.at)}.`;
  const notAsked = `This email contains no link and ${issuer} will never ask you for a code by email or phone.`;
  const text = [body, '', when, '', advice, '', notAsked, ''].join('\n');
  const html = _htmlEmail(subject, [[body], [when], [advice], [notAsked, _SMALL_STYLE]]);
  return { subject, text, html };
}

/** @internal The subject line's change, the sentence that says it, and what to do. */
function _wording(type: NoticeType, method: NoticeMethod | undefined, byAdmin: boolean, issuer: string): { headline: string; body: string; advice: string } {
  const by = byAdmin ? ' by an admin' : '';
  const unexpected = byAdmin
    ? 'If you did not expect this, contact your admin.'
    : 'If this was not you, someone may know your password: change it and tell your admin at once.';
  const account = `your ${issuer} account`;
  switch (type) {
    case 'method-activated': {
      const [name, verb] = _METHOD_NAMES[method!];
      return { headline: `${name} ${verb} added to your two-factor sign-in`, body: `Two-factor authentication with ${name} was set up for ${account}${by}.`, advice: unexpected };
    }
    case 'method-removed': {
      const [name, verb] = _METHOD_NAMES[method!];
      return { headline: `${name} ${verb} removed from your two-factor sign-in`, body: `Two-factor authentication with ${name} was removed from ${account}${by}.`, advice: unexpected };
    }
    case 'recovery-generated':
      return { headline: 'new recovery codes', body: `New recovery codes were made for ${account}${by}. Earlier recovery codes no longer work.`, advice: unexpected };
    case 'recovery-used':
      return { headline: 'a recovery code was used', body: `A recovery code was used to sign in to ${account}. It cannot be used again.`, advice: unexpected };
    case 'locked':
      return {
        headline: 'sign-in paused after wrong codes',
        body: `Several wrong two-factor codes were entered for ${account}, so sign-in is paused for a while.`,
        advice: 'If this was not you, someone knows your password: change it and tell your admin at once.',
      };
    case 'suspended':
      return {
        headline: 'two-factor sign-in suspended',
        body: `Too many wrong two-factor codes were entered for ${account}, so two-factor sign-in is suspended until an admin unlocks it.`,
        advice: 'Only someone who knows your password can enter codes, so someone holds your password. Ask your admin to reset your password first, and only then to unlock two-factor sign-in.',
      };
  }
}

/** @internal "2026-01-01 09:05 UTC": the same for every reader, whatever their time zone. */
function _utc(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
