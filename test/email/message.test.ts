// renderDefaultEmail and escapeHtml: content by purpose, escaping of every value, header safety.
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderDefaultEmail, type EmailTemplateInput } from '../../src/email/message.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { visible } from './_visible.js';

const base: EmailTemplateInput = {
  code: '048213',
  expiresAt: new Date('2026-01-01T00:10:00Z'),
  validForMs: 10 * 60_000,
  purpose: 'login',
  issuer: 'Acme Help',
  to: 'ann@example.com',
  agentId: 'agent-7',
};
const render = (patch: Partial<EmailTemplateInput> = {}) => renderDefaultEmail({ ...base, ...patch });

describe('renderDefaultEmail', () => {
  it.each(['login', 'setup'] as const)('%s: code, validity, support warning and advice in text and html', (purpose) => {
    const { text, html } = render({ purpose });
    for (const part of [text, visible(html)]) {
      expect(part).toContain('048213');
      expect(part).toContain('valid for 10 minutes');
      expect(part).toContain('No one from Acme Help support will ever ask you for this code');
      expect(part).toContain('ignore this email and tell your admin');
    }
  });

  it('the subject names the issuer and never contains the code (lock screens show subjects)', () => {
    for (const purpose of ['login', 'setup'] as const) {
      const { subject } = render({ purpose });
      expect(subject).toContain('Acme Help');
      expect(subject).not.toContain('048213');
      expect(subject).not.toMatch(/[\r\n]/);
    }
  });

  it('wording differs by purpose: signing in vs setting up 2FA', () => {
    const login = render({ purpose: 'login' });
    const setup = render({ purpose: 'setup' });
    expect(login.subject).not.toBe(setup.subject);
    expect(login.text).toContain('sign in to Acme Help');
    expect(login.text).toContain('If you did not try to sign in, ignore this email and tell your admin.');
    expect(login.text).not.toContain('two-factor authentication');
    expect(setup.text).toContain('set up two-factor authentication (2FA) for Acme Help');
    expect(setup.text).toContain('If you did not try to set up 2FA, ignore this email and tell your admin.');
    expect(visible(setup.html)).toContain('set up two-factor authentication (2FA)');
    expect(visible(login.html)).not.toContain('two-factor authentication');
  });

  it.each([
    [60_000, '1 minute'],
    [90_000, '1 minute'],
    [5 * 60_000, '5 minutes'],
    [119 * 60_000, '119 minutes'],
    [2 * 3_600_000, '2 hours'],
    [24 * 3_600_000, '24 hours'],
    [45_000, '45 seconds'],
    [1_000, '1 second'],
  ])('validForMs %i reads "%s" (rounded down)', (validForMs, words) => {
    const { text, html } = render({ validForMs });
    expect(text).toContain(`valid for ${words} `);
    expect(visible(html)).toContain(`valid for ${words} `);
  });

  it('a hostile issuer is escaped in the html and cannot run', () => {
    const issuer = `<script>alert(1)</script>&"' <img src=x onerror=alert(2)>`;
    const { html, text, subject } = render({ issuer });
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&#39; &lt;img src=x onerror=alert(2)&gt;');
    // The only tags are the template's own.
    const tags = new Set([...html.matchAll(/<\/?([a-z!]+)/gi)].map((m) => m[1]!.toLowerCase()));
    expect([...tags].sort()).toEqual(['!doctype', 'body', 'head', 'html', 'meta', 'p', 'title']);
    expect(visible(html)).toContain(issuer);
    // Text parts are not HTML: the issuer appears as written.
    expect(text).toContain(issuer);
    expect(subject).toContain(issuer);
  });

  it('the code is escaped too (a custom code source cannot inject markup)', () => {
    const { html } = render({ code: '<b>1</b>' });
    expect(html).toContain('&lt;b&gt;1&lt;/b&gt;');
    expect(html).not.toContain('<b>');
  });

  it('control characters in the issuer become spaces: no header injection through the subject', () => {
    const { subject, text } = render({ issuer: 'Acme\r\nBcc: eve@evil.test\u0000\u2028Help' });
    expect(subject).not.toMatch(/[\u0000-\u001f\u2028]/);
    expect(subject).toBe('Acme Bcc: eve@evil.test Help: your sign-in code');
    expect(text).not.toContain('\r');
    expect(text.split('\n')[0]).toBe('Here is your code to sign in to Acme Bcc: eve@evil.test Help:');
  });

  it('the recipient and the agent id are not in the message', () => {
    const { subject, text, html } = render();
    for (const part of [subject, text, html]) {
      expect(part).not.toContain('ann@example.com');
      expect(part).not.toContain('agent-7');
    }
  });

  it('html is a complete, small document', () => {
    const { html } = render();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html.length).toBeLessThan(2_000);
  });

  it.each([
    ['input null', null, TypeError],
    ['code missing', { ...base, code: undefined }, TypeError],
    ['code empty', { ...base, code: '' }, TypeError],
    ['issuer blank', { ...base, issuer: '  ' }, TypeError],
    ['purpose unknown', { ...base, purpose: 'reset' }, RangeError],
    ['purpose missing', { ...base, purpose: undefined }, TypeError],
    ['validForMs 0', { ...base, validForMs: 0 }, RangeError],
    ['validForMs fractional', { ...base, validForMs: 1.5 }, TypeError],
  ])('%s is refused', (_, input, error) => {
    expect(() => renderDefaultEmail(input as never)).toThrow(error);
  });
});

describe('escapeHtml', () => {
  it.each([
    ['', ''],
    ['plain text 123', 'plain text 123'],
    ['&', '&amp;'],
    ['<', '&lt;'],
    ['>', '&gt;'],
    ['"', '&quot;'],
    ["'", '&#39;'],
    ['&amp;', '&amp;amp;'],
    ['<a href="x">O\'Hara & co</a>', '&lt;a href=&quot;x&quot;&gt;O&#39;Hara &amp; co&lt;/a&gt;'],
    ['é ✓ 日本', 'é ✓ 日本'],
  ])('%j -> %j', (input, output) => {
    expect(escapeHtml(input)).toBe(output);
  });

  it.each(BAD_VALUES.filter((b) => typeof b.value !== 'string').map((b) => ({ label: b.name, value: b.value })))(
    'non-string $label: TypeError',
    ({ value }) => {
      expect(() => escapeHtml(value as never)).toThrow(TypeError);
    },
  );

  it('the 1 MB string is escaped without trouble', () => {
    const huge = BAD_VALUES.find((b) => b.name.startsWith('huge'))!.value as string;
    expect(escapeHtml(huge)).toBe(huge);
  });
});
