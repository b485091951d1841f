/**
 * The markup every page shares: the `html` template tag, which escapes every interpolated
 * value (only `Html` values, markup built here, go in as they are), the page frame, and the
 * pieces several pages use (a form with its CSRF token, the code field, times, the TOTP key).
 */
import { escapeHtml, type Method, type TotpKeyResult } from '../../src/index.js';
import { qrDataUri } from '../../src/qr.js';
import type { Flash } from './http.js';
import { formatDate } from './messages.js';
import type { Account } from './store.js';

export class Html {
  constructor(readonly text: string) {}
}

function render(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/** A template tag: `html\`<p>${text}</p>\`` escapes `text`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, s, i) => out + render(values[i - 1]) + s));
}

/** What every page needs: the CSRF token for its forms, who is signed in, a one-time message. */
export interface Frame {
  /** The session's token; asking for it keeps the session (only pages with a form need one). */
  csrf: () => string;
  account?: Account;
  flash?: Flash;
}

export const METHOD_NAMES: Record<Method, string> = { totp: 'Authenticator app', email: 'Email code' };

export function page(frame: Frame, title: string, body: Html): string {
  const a = frame.account;
  const nav = a
    ? html`<a href="/">Tickets</a> <a href="/preferences/security">Security</a>
        ${a.role === 'admin' && html`<a href="/admin/agents">Agents</a> <a href="/admin/auth">Auth &amp; SSO</a>`} <a href="/outbox">Outbox</a>
        ${form(frame, '/logout', html`<button class="link">Log out</button>`, 'inline')}`
    : html`<a href="/login">Sign in</a> <a href="/outbox">Outbox</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Acme Help</title>
<link rel="stylesheet" href="/style.css">
</head>
<body>
<header><a class="brand" href="/">Acme Help</a><nav>${nav}</nav></header>
<main>
<h1>${title}</h1>
${frame.flash && html`<p class="flash ${frame.flash.kind}" role="${frame.flash.kind === 'error' ? 'alert' : 'status'}">${frame.flash.text}</p>`}
${body}
</main>
<footer>A demo of twofold${a && html` · signed in as ${a.name}`}</footer>
</body>
</html>`.text;
}

export function form(frame: Frame, action: string, body: Html, className = ''): Html {
  return html`<form method="post" action="${action}" class="${className}"><input type="hidden" name="csrf" value="${frame.csrf()}">${body}</form>`;
}

/** The one-time code input. `autofocus` is off on set-up pages, where the QR code comes first. */
export function codeField(label: string, autofocus = true): Html {
  return html`<label for="code">${label}</label>
<input id="code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric" maxlength="20" spellcheck="false" required ${autofocus && new Html('autofocus')}>`;
}

export function time(date: Date, withSeconds = false): Html {
  return html`<time datetime="${date.toISOString()}">${formatDate(date, withSeconds)}</time>`;
}

export function tabs(methods: readonly Method[], current: Method, path: string): Html | false {
  return (
    methods.length > 1 &&
    html`<nav class="tabs" aria-label="Method">${methods.map((m) =>
      m === current ? html`<span aria-current="page">${METHOD_NAMES[m]}</span>` : html`<a href="${path}?method=${m}">${METHOD_NAMES[m]}</a>`,
    )}</nav>`
  );
}

/**
 * The QR code, the key for typing by hand, and the link itself (which the e2e test compares to
 * the QR code). An <img> of `qrDataUri`, not inline `qrSvg`: the SVG styles its shapes with
 * `style` attributes, which this page's Content-Security-Policy (no 'unsafe-inline' styles)
 * would block in inline markup, leaving a black square; inside an image they apply.
 */
export function totpKey(setup: TotpKeyResult): Html {
  return html`<figure class="qr" data-otpauth-uri="${setup.uri}">
<img src="${qrDataUri(setup.uri, { size: 208 })}" width="208" height="208" alt="QR code for your authenticator app"></figure>
<p>Can't scan it? Type this key into the app:</p>
<p><code id="totp-secret" class="secret">${setup.formattedSecret}</code></p>
<details><summary>Show the setup link</summary><code class="uri">${setup.uri}</code></details>`;
}

