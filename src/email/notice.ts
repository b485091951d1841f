/**
 * Security notices: what the agent is told when their 2FA changes, and the default template.
 * Placeholder until the notices work lands; see docs/notices.md.
 * @module
 */

/** What a notice is about. */
export type NoticeType = 'method-activated' | 'method-removed' | 'recovery-generated' | 'recovery-used' | 'locked' | 'suspended';

/** The facts of one notice, for templates and tests. Never a code, secret, token or address. */
export interface Notice {
  type: NoticeType;
  /** The method concerned (activated, removed), when there is one. */
  method?: 'totp' | 'email' | 'recovery';
  /** The change was made by an admin. */
  byAdmin: boolean;
  at: Date;
}

/** What a notice template gets. */
export interface NoticeTemplateInput {
  notice: Notice;
  issuer: string;
  agentId: string;
  to: string;
}

/** What a notice template returns. */
export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

export type RenderNotice = (input: NoticeTemplateInput) => RenderedNotice;

/** The default notice template (placeholder). */
export function renderDefaultNotice(input: NoticeTemplateInput): RenderedNotice {
  const subject = `${input.issuer}: a security change on your account`;
  return { subject, text: subject, html: subject };
}
