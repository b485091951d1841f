/**
 * The email flows: send a one-time code (to set email up, or to log in) and verify
 * one. The decisions are pure; the send's shell renders the message and mails it after the
 * code is saved, and, the one documented exception to "decide, save, then act", undoes the
 * save when the mail cannot be sent, so an undelivered code costs the agent nothing.
 * @module
 */
import { _describe, _options } from '../shared/validate.js';
import { isEmailAddress, sameEmailAddress } from '../email/address.js';
import { generateEmailCode } from '../email/code.js';
import { checkEmailCode, hashEmailCode, type EmailCodeHash } from '../email/hash.js';
import { TwoFactorError } from '../errors.js';
import type { EmailPurpose } from '../ports.js';
import { emailSendBlock, withEmailChallenge, withEmailCodeAccepted, withEmailCodeFailed, withEmailSendUndone } from '../record/email.js';
import type { AgentRecord, EmailChallengeRecord } from '../record/schema.js';
import { suspendedSince } from '../record/throttle.js';
import { agentIdArg, flagArg } from './args.js';
import { emitEvents, type EventDraft } from './events.js';
import { isActive, recentlyVerified, supersedesOther } from './guard.js';
import type { ServiceConfig } from './options.js';
import { countedStep, throttledStep } from './throttle.js';
import { transact, type FlowState, type FlowStep } from './transact.js';
import type { EmailCheckResult, SendEmailCodeResult } from './types.js';

type _SendRefusal = Exclude<SendEmailCodeResult, { ok: true }>;

/** What a send decided: refused, or a code saved and to be mailed (`before` -> `after`). */
export type SendOutcome = { kind: 'refused'; result: _SendRefusal } | { kind: 'issued'; before: AgentRecord; after: AgentRecord };

/** The arguments of a send, with the code's hash drawn before the compare-and-set loop. */
export interface SendEmailCodeInput {
  to: string | undefined;
  sessionVerified: boolean;
  hashed: EmailCodeHash;
}

/** `sendEmailCode`: which code to save, to which address, or why none is sent. */
export function decideSendEmailCode(state: FlowState, input: SendEmailCodeInput, config: ServiceConfig): FlowStep<SendOutcome> {
  const { record, now } = state;
  const refused = (result: _SendRefusal, events?: EventDraft[]): FlowStep<SendOutcome> => ({
    result: { kind: 'refused', result },
    events: events ?? [{ type: 'email.code.refused', method: 'email', outcome: 'failure', reason: result.reason }],
  });
  const suspended = suspendedSince(record, config.throttle) !== null;
  if (suspended) return refused({ ok: false, reason: 'suspended' });
  if (!state.settings.email) return refused({ ok: false, reason: 'method-disabled' });
  const throttled = throttledStep(record, now, config.throttle, 'email', 'email.code.refused');
  if (throttled !== null) return refused(throttled.result, throttled.events);
  const purpose: EmailPurpose = record.email === null ? 'setup' : 'login';
  // A second method needs a session that passed 2FA: else a password alone adds a way in.
  if (purpose === 'setup' && isActive(state, 'totp') && !input.sessionVerified) return refused({ ok: false, reason: 'other-method-active' });
  if (purpose === 'setup' && isActive(state, 'totp') && !recentlyVerified(state)) return refused({ ok: false, reason: 'not-verified' });
  const { to } = input;
  // A login code goes to the enrolled address; `to` may be left out then.
  if (!(to === undefined && purpose === 'login') && !isEmailAddress(to)) return refused({ ok: false, reason: 'invalid-address' });
  if (record.email !== null && to !== undefined && !sameEmailAddress(to, record.email.address)) return refused({ ok: false, reason: 'address-mismatch' });
  const { limits, digits } = config.email;
  const block = emailSendBlock(record, now, limits);
  if (block !== null) return refused({ ok: false, reason: block.reason, retryAt: new Date(block.retryAt) });
  const challenge: EmailChallengeRecord = {
    purpose,
    address: purpose === 'login' ? record.email!.address : to!,
    hash: input.hashed.hash,
    salt: input.hashed.salt,
    digits,
    issuedAt: now,
    expiresAt: now + limits.ttlMs,
    attempts: 0,
    sessionVerified: purpose === 'setup' && input.sessionVerified,
  };
  // Saved before sending: the code must be checkable the moment the mail arrives, and a
  // concurrent send must see the cooldown.
  const after = withEmailChallenge(record, now, challenge);
  return { result: { kind: 'issued', before: record, after }, record: after };
}

export async function sendEmailCode(config: ServiceConfig, agentIdRaw: string, opts: unknown): Promise<SendEmailCodeResult> {
  const agentId = agentIdArg(agentIdRaw);
  const o = _options('options', opts);
  const to = o.to;
  if (to !== undefined && typeof to !== 'string') throw new TypeError(`"to" expected an email address, got ${_describe(to)}`);
  const sessionVerified = flagArg('sessionVerified', o.sessionVerified);
  const { mailer, email } = config;
  // Drawn once, outside the retry loop: the decision stays pure and may run again.
  const code = generateEmailCode(email.digits, config.random);
  const hashed = hashEmailCode(code, email.pepper === undefined ? { random: config.random } : { pepper: email.pepper });

  const outcome = await transact(config, agentId, (state) => decideSendEmailCode(state, { to, sessionVerified, hashed }, config));
  if (outcome.kind === 'refused') return outcome.result;
  // Without a mailer Email counts as off (service/settings.ts), so no code is ever issued then.
  if (mailer === undefined) throw new Error('sendEmailCode: a code was issued without a mailer');

  const challenge = outcome.after.emailChallenge!;
  const at = challenge.issuedAt;
  const expiresAt = new Date(challenge.expiresAt);
  /** Puts the record back as it was: the unsent code is void, the send is not counted. */
  const undo = () =>
    transact(config, agentId, (state) => {
      const record = withEmailSendUndone(state.record, state.now, outcome);
      return record === state.record ? { result: undefined } : { result: undefined, record };
    });
  let message: { subject: string; text: string; html: string };
  try {
    const rendered: unknown = email.renderEmail({
      code, expiresAt, validForMs: email.limits.ttlMs, purpose: challenge.purpose, issuer: config.issuer, to: challenge.address, agentId,
    });
    message = _renderedEmail(rendered);
  } catch (templateError) {
    try {
      await undo();
    } catch (undoError) {
      throw new TwoFactorError('STORAGE_FAILED', 'renderEmail threw, and undoing the saved code failed too', {
        cause: new AggregateError([templateError, undoError], 'renderEmail failed, then the undo failed'),
      });
    }
    throw templateError; // a template bug is the host's to see, not a delivery failure
  }
  try {
    await mailer.send({ kind: 'code', ...message, to: challenge.address, code, expiresAt, agentId, purpose: challenge.purpose });
  } catch (error) {
    _reportDelivery(config, error, agentId);
    // The event is due whether or not the undo works: the send was attempted and failed.
    emitEvents(config, agentId, at, [{ type: 'email.code.undelivered', method: 'email', outcome: 'failure', reason: 'delivery-failed' }]);
    await undo();
    return { ok: false, reason: 'delivery-failed' };
  }
  emitEvents(config, agentId, at, [{ type: 'email.code.sent', method: 'email', outcome: 'success', reason: challenge.purpose }]);
  return { ok: true, purpose: challenge.purpose, expiresAt };
}

/** `verifyEmailCode`: the outstanding code, single use; a `setup` code enrolls its address. */
export function decideVerifyEmailCode(state: FlowState, input: { code: string }, config: ServiceConfig): FlowStep<EmailCheckResult> {
  const { record, now } = state;
  const refused = (result: Exclude<EmailCheckResult, { ok: true } | { reason: 'locked' | 'suspended' }>): FlowStep<EmailCheckResult> => ({
    result,
    events: [{ type: 'email.failed', method: 'email', outcome: 'failure', reason: result.reason }],
  });
  if (suspendedSince(record, config.throttle) !== null) return throttledStep(record, now, config.throttle, 'email', 'email.failed')!;
  if (!state.settings.email) return refused({ ok: false, reason: 'method-disabled' });
  const throttled = throttledStep(record, now, config.throttle, 'email', 'email.failed');
  if (throttled !== null) return throttled;
  const challenge = record.emailChallenge;
  const { limits, pepper } = config.email;
  if (challenge === null) return refused({ ok: false, reason: 'no-challenge' });
  if (now >= challenge.expiresAt) return refused({ ok: false, reason: 'expired' });
  if (challenge.attempts >= limits.maxAttempts) return refused({ ok: false, reason: 'too-many-attempts' });
  // A code hashed under a pepper that is no longer configured cannot be checked: it is as good
  // as expired (a new one is hashed the current way).
  if (challenge.salt === null && pepper === undefined) return refused({ ok: false, reason: 'expired' });
  const setup = challenge.purpose === 'setup';
  // TOTP was switched on (back) since this set-up code was asked for without a verified session.
  if (setup && isActive(state, 'totp') && !challenge.sessionVerified) return refused({ ok: false, reason: 'other-method-active' });
  const check = checkEmailCode(input.code, challenge.digits, challenge, pepper);
  if (check === 'malformed') return refused({ ok: false, reason: 'malformed' });
  if (check === 'match') {
    // Allowed only because TOTP is switched off: that factor goes in the same save.
    const supersede = setup && supersedesOther(state, 'email');
    const events: EventDraft[] = [{ type: setup ? 'email.setup.confirmed' : 'email.verified', method: 'email', outcome: 'success' }];
    if (supersede) events.push({ type: 'method.superseded', method: 'totp', outcome: 'success', reason: 'email' });
    return { result: { ok: true, method: 'email', purpose: challenge.purpose }, record: withEmailCodeAccepted(record, now, supersede), events };
  }
  const failed = withEmailCodeFailed(record, now, config.throttle);
  const burned = failed.emailChallenge!.attempts >= limits.maxAttempts;
  return countedStep(failed, 'email', 'email.failed', burned ? 'too-many-attempts' : 'invalid-code');
}

export function verifyEmailCode(config: ServiceConfig, agentId: string, code: string): Promise<EmailCheckResult> {
  return transact(config, agentId, (state) => decideVerifyEmailCode(state, { code }, config));
}

/** Checks what a `renderEmail` returned. */
function _renderedEmail(value: unknown): { subject: string; text: string; html: string } {
  const v = value as { subject?: unknown; text?: unknown; html?: unknown } | null;
  if (v === null || typeof v !== 'object' || typeof v.subject !== 'string' || typeof v.text !== 'string' || typeof v.html !== 'string') {
    throw new TypeError(`"email.renderEmail" must return { subject, text, html } strings, got ${_describe(value)}`);
  }
  if (/[\r\n]/.test(v.subject)) throw new TypeError('"email.renderEmail" returned a subject with a line break');
  return { subject: v.subject, text: v.text, html: v.html };
}

function _reportDelivery(config: ServiceConfig, error: unknown, agentId: string): void {
  try {
    config.onDeliveryError(error, { agentId, kind: 'code' });
  } catch {
    // The reporter itself failed; the result (`delivery-failed`) still tells the caller.
  }
}
