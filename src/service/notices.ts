/**
 * Security notices (NIST SP 800-63B §6.1.2.1: tell the subscriber when an authenticator is
 * bound or removed): derived from the events a saved change emits, so no flow needs to know
 * about them. `transact` calls {@link sendNotices} after the save and the events; a failure
 * anywhere here is reported to `onDeliveryError` (kind `notice`) and never fails or undoes
 * the call. See docs/notices.md.
 * @module
 */
import { isEmailAddress, sameEmailAddress } from '../email/address.js';
import type { Notice, RenderedNotice } from '../email/notice.js';
import { enrolledMethods, type AgentRecord } from '../record/schema.js';
import { _describe } from '../shared/validate.js';
import type { EventDraft } from './events.js';
import type { ServiceConfig } from './options.js';

/**
 * The notices a saved change calls for, one per fact, in the order of its events. `before` is
 * the record as loaded (`null`: there was none), `after` the record as saved.
 *
 * A lock is told once per run of failures: only the lock that starts while the counter that
 * locked had no lock before (a success or an unlock clears it, and then a new run starts).
 * Later, longer locks of the same run say nothing new, and a guesser must not be able to
 * flood the agent's mailbox.
 */
export function noticesFor(drafts: readonly EventDraft[], before: AgentRecord | null, after: AgentRecord, at: Date): Notice[] {
  const notices: Notice[] = [];
  const add = (type: Notice['type'], byAdmin: boolean, method?: Notice['method']): void => {
    notices.push({ type, ...(method === undefined ? {} : { method }), byAdmin, at: new Date(at.getTime()) });
  };
  for (const event of drafts) {
    switch (event.type) {
      case 'totp.setup.confirmed':
        add('method-activated', false, 'totp');
        break;
      case 'email.setup.confirmed':
        add('method-activated', false, 'email');
        break;
      case 'admin.totp.provisioned':
        add('method-activated', true, 'totp');
        break;
      case 'admin.removed': {
        // What was enrolled and is gone: a pending set-up or code removed is no factor removed.
        const kept = enrolledMethods(after);
        for (const method of before === null ? [] : enrolledMethods(before)) if (!kept.includes(method)) add('method-removed', true, method);
        break;
      }
      case 'method.superseded':
        if (event.method !== undefined) add('method-removed', false, event.method);
        break;
      case 'recovery.generated':
        add('recovery-generated', false);
        break;
      case 'recovery.used':
        add('recovery-used', false);
        break;
      case 'throttle.locked':
        if (_lockBefore(before, event.method) === null) add('locked', false);
        break;
      case 'throttle.suspended':
        add('suspended', false);
        break;
      default:
        break;
    }
  }
  return notices;
}

/**
 * Mails the notices that `drafts` call for to the agent's address (`notices.addressOf`) and to
 * the enrolled email-2FA address of `after` when that differs (ASCII case ignored). Without
 * the `notices` option nothing happens. Never throws: every failure (of `addressOf`, the
 * template or the mailer) goes to `onDeliveryError` with `kind: 'notice'`, and the other
 * messages are still sent.
 */
export async function sendNotices(
  config: ServiceConfig,
  agentId: string,
  now: number,
  drafts: readonly EventDraft[] | undefined,
  before: AgentRecord | null,
  after: AgentRecord,
): Promise<void> {
  const options = config.notices;
  const mailer = config.mailer;
  if (options === undefined || mailer === undefined || drafts === undefined) return;
  const notices = noticesFor(drafts, before, after, new Date(now));
  if (notices.length === 0) return;
  const report = (error: unknown): void => {
    try {
      config.onDeliveryError(error, { agentId, kind: 'notice' });
    } catch {
      // The reporter itself failed; the change is saved and stands.
    }
  };
  let own: unknown;
  try {
    own = await options.addressOf(agentId);
  } catch (error) {
    report(error);
    return;
  }
  const recipients: string[] = [];
  if (own !== null && !isEmailAddress(own)) report(new TypeError(`"notices.addressOf" must return an email address or null, got ${_describe(own)}`));
  else if (own !== null) recipients.push(own);
  const enrolled = after.email?.address;
  if (enrolled !== undefined && !recipients.some((to) => sameEmailAddress(to, enrolled))) recipients.push(enrolled);
  for (const notice of notices) {
    for (const to of recipients) {
      try {
        const copy: Notice = { ...notice, at: new Date(notice.at.getTime()) };
        const rendered = _renderedNotice(options.renderNotice({ notice: copy, issuer: config.issuer, agentId, to }));
        await mailer.send({ kind: 'notice', to, ...rendered, agentId, notice: { ...copy, at: new Date(now) } });
      } catch (error) {
        report(error);
      }
    }
  }
}

/** The lock the counter that `method` failed on had before this change (recovery codes have their own). */
function _lockBefore(before: AgentRecord | null, method: EventDraft['method']): number | null {
  if (before === null) return null;
  return method === 'recovery' ? (before.recovery?.lockedUntil ?? null) : before.throttle.lockedUntil;
}

/** Checks what a `renderNotice` returned. */
function _renderedNotice(value: unknown): RenderedNotice {
  const v = value as Partial<Record<keyof RenderedNotice, unknown>> | null;
  if (v === null || typeof v !== 'object' || typeof v.subject !== 'string' || typeof v.text !== 'string' || typeof v.html !== 'string') {
    throw new TypeError(`"notices.renderNotice" must return { subject, text, html } strings, got ${_describe(value)}`);
  }
  if (/[\r\n]/.test(v.subject)) throw new TypeError('"notices.renderNotice" returned a subject with a line break');
  return { subject: v.subject, text: v.text, html: v.html };
}
