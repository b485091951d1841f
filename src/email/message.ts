/**
 * The email that carries a code: the template types (`RenderEmail` and what it gets), the
 * default template, and HTML escaping. `EmailPurpose` lives here, below `ports.ts`, so the
 * core never imports the ports.
 * @module
 */
import { _describe, _integer, _oneOf, _options } from '../shared/validate.js';

/** Why an email code is sent: to enroll the address, or to log in with an enrolled one. */
export type EmailPurpose = 'setup' | 'login';

const BODY_STYLE =
  'margin:0;padding:24px;background:#ffffff;color:#1a1a1a;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:1.5';

/** What a template gets to render one email. */
export interface EmailTemplateInput {
  /** The code to show. */
  code: string;
  /** When the code stops working. */
  expiresAt: Date;
  /** How long the code is valid from now, in milliseconds. */
  validForMs: number;
  /** `setup`: the agent is enrolling this address; `login`: the agent is signing in. */
  purpose: EmailPurpose;
  /** The product or company name, as configured on `createTwoFactor`. */
  issuer: string;
  /** The recipient address. */
  to: string;
  /** The host's agent id (for templates that look up a name; never put it in the email). */
  agentId: string;
}

/** One rendered email. The subject must be one line; every value in `html` must be escaped. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

/** A template: the `email.renderEmail` option of `createTwoFactor`. */
export type RenderEmail = (input: EmailTemplateInput) => RenderedEmail;

/**
 * The default email: short, plain, with a text and an HTML part.
 *
 * The subject does not contain the code: phones show subjects on the lock screen and mail
 * lists show them in previews, where anyone nearby can read the code without unlocking
 * anything. It names the issuer and the purpose instead. The body gives the code, how long it
 * is valid, whether it is for signing in or setting up 2FA, that support will never ask for
 * it, and what to do if the agent did not ask for it. In the HTML every interpolated value is
 * escaped with {@link escapeHtml}; control characters in the issuer become spaces.
 *
 * @throws TypeError / RangeError for an input of the wrong shape.
 */
export function renderDefaultEmail(input: EmailTemplateInput): RenderedEmail {
  const o = _options('input', input);
  if (typeof o.code !== 'string' || o.code.length === 0) {
    throw new TypeError(`"input.code" expected a non-empty string, got ${_describe(o.code)}`);
  }
  if (typeof o.issuer !== 'string' || o.issuer.trim().length === 0) {
    throw new TypeError(`"input.issuer" expected a non-empty string, got ${_describe(o.issuer)}`);
  }
  const purpose = _oneOf('input.purpose', o.purpose, ['setup', 'login'] as const);
  const validFor = _duration(_integer('input.validForMs', o.validForMs, 1, Number.MAX_SAFE_INTEGER));
  const issuer = _oneLine(o.issuer);
  const code = o.code;
  const login = purpose === 'login';

  const subject = login ? `${issuer}: your sign-in code` : `${issuer}: confirm your email for two-factor authentication`;
  const intro = login
    ? `Here is your code to sign in to ${issuer}:`
    : `Here is your code to set up two-factor authentication (2FA) for ${issuer} with this email address:`;
  const use =
    `Enter it on the ${login ? 'sign-in page' : 'page where you asked for it'}. ` +
    `It is valid for ${validFor} and works once; if you asked for more than one code, only the newest works.`;
  const support = `No one from ${issuer} support will ever ask you for this code. Do not share it.`;
  const unexpected = `If you did not try to ${login ? 'sign in' : 'set up 2FA'}, ignore this email and tell your admin.`;

  const text = [intro, '', `    ${code}`, '', use, '', support, '', unexpected, ''].join('\n');
  const html = _htmlEmail(subject, [
    [intro],
    [code, ';font-family:Menlo,Consolas,monospace;font-size:32px;font-weight:bold;letter-spacing:4px'],
    [use],
    [support],
    [unexpected, _SMALL_STYLE],
  ]);
  return { subject, text, html };
}

/** @internal The style of a closing, quieter paragraph. */
export const _SMALL_STYLE = ';color:#555555;font-size:14px';

/**
 * @internal A plain HTML email: `subject` as its title, one `<p>` per paragraph, each given as
 * `[text, extra style?]`. Every text is escaped here, so no caller can forget to.
 */
export function _htmlEmail(subject: string, paragraphs: ReadonlyArray<readonly [string, string?]>): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(subject)}</title></head>`,
    `<body style="${BODY_STYLE}">`,
    ...paragraphs.map(([content, style = '']) => `<p style="margin:0 0 16px${style}">${escapeHtml(content)}</p>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, `"`, `'`.
 *
 * @throws TypeError when `text` is not a string.
 * @example
 * ```ts
 * escapeHtml(`<b>"Tom" & 'Jerry'</b>`); // '&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`"text" expected a string, got ${_describe(text)}`);
  return text.replace(/[&<>"']/g, (c) => _HTML_ESCAPES[c]!);
}

const _HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** @internal Control characters and line separators become single spaces (header safety). */
export function _oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
}

/**
 * @internal "10 minutes", "45 seconds", "2 hours": rounded down, so never longer than the
 * truth (under a second still reads "1 second"; the service's shortest `ttlMs` is 1000).
 */
function _duration(ms: number): string {
  const [n, unit] =
    ms < 60_000
      ? [Math.max(1, Math.floor(ms / 1000)), 'second']
      : ms < 7_200_000
        ? [Math.floor(ms / 60_000), 'minute']
        : [Math.floor(ms / 3_600_000), 'hour'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
