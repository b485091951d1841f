// renderDefaultNotice (src/email/notice.ts): the change in words for every notice type, the
// time, "by an admin", the suspension's advice, nothing an attacker could use, escaping and
// header safety, and the refusals of a malformed input.
import { describe, expect, it } from 'vitest';
import { NOTICE_TYPES, renderDefaultNotice, type Notice, type NoticeTemplateInput } from '../../src/email/notice.js';
import { BAD_VALUES } from '../_bad-inputs.js';
import { visible } from './_visible.js';

const AT = new Date('2026-03-04T05:06:07Z');
const input = (notice: Partial<Notice> = {}, patch: Partial<NoticeTemplateInput> = {}): NoticeTemplateInput => ({
  notice: { type: 'locked', byAdmin: false, at: AT, ...notice },
  issuer: 'Acme Help',
  agentId: 'agent-7',
  to: 'ann@example.com',
  ...patch,
});

/** Every notice the service sends, with the words that say its change. */
const CASES: ReadonlyArray<{ notice: Partial<Notice>; says: RegExp }> = [
  { notice: { type: 'method-activated', method: 'totp' }, says: /authenticator app was set up/ },
  { notice: { type: 'method-activated', method: 'email' }, says: /codes by email was set up/ },
  { notice: { type: 'method-activated', method: 'totp', byAdmin: true }, says: /authenticator app was set up for your Acme Help account by an admin/ },
  { notice: { type: 'method-removed', method: 'totp', byAdmin: true }, says: /authenticator app was removed from your Acme Help account by an admin/ },
  { notice: { type: 'method-removed', method: 'email', byAdmin: true }, says: /codes by email was removed from your Acme Help account by an admin/ },
  { notice: { type: 'method-removed', method: 'email' }, says: /codes by email was removed/ },
  { notice: { type: 'recovery-generated' }, says: /New recovery codes were made.*Earlier recovery codes no longer work/ },
  { notice: { type: 'recovery-used' }, says: /A recovery code was used to sign in/ },
  { notice: { type: 'locked' }, says: /wrong two-factor codes.*sign-in is paused/ },
  { notice: { type: 'suspended' }, says: /suspended until an admin unlocks/ },
];

describe('renderDefaultNotice', () => {
  it.each(CASES.map((c) => ({ ...c, name: `${c.notice.type} ${c.notice.method ?? ''}${c.notice.byAdmin ? ' by an admin' : ''}` })))(
    '$name: the change, the issuer and the time, in text and html',
    ({ notice, says }) => {
      const { subject, text, html } = renderDefaultNotice(input(notice));
      expect(subject.startsWith('Acme Help: ')).toBe(true);
      for (const part of [text, visible(html)]) {
        expect(part).toMatch(says);
        expect(part).toContain('Acme Help');
        expect(part).toContain('When: 2026-03-04 05:06 UTC.');
        expect(part.includes('by an admin')).toBe(notice.byAdmin === true);
      }
    },
  );

  it('every notice type has its own subject', () => {
    const subjects = CASES.filter((c) => !c.notice.byAdmin).map((c) => renderDefaultNotice(input(c.notice)).subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(new Set(CASES.map((c) => c.notice.type))).toEqual(new Set(NOTICE_TYPES));
  });

  it('the suspension says that someone holds the password, and that a password reset comes before unlocking', () => {
    const { text } = renderDefaultNotice(input({ type: 'suspended' }));
    expect(text).toMatch(/someone holds your password/);
    expect(text).toMatch(/reset your password first, and only then to unlock/);
  });

  it('an agent-made change tells the agent what to do when it was not them; an admin-made one points to the admin', () => {
    expect(renderDefaultNotice(input({ type: 'method-activated', method: 'totp' })).text).toMatch(/If this was not you.*change it and tell your admin/);
    expect(renderDefaultNotice(input({ type: 'method-removed', method: 'totp', byAdmin: true })).text).toMatch(/If you did not expect this, contact your admin/);
  });

  it('carries no link, no address, no agent id, no device or IP detail', () => {
    for (const c of CASES) {
      const { subject, text, html } = renderDefaultNotice(input(c.notice));
      for (const part of [subject, text, html]) {
        expect(part).not.toMatch(/https?:|www\.|href=|<a[\s>]/i);
        expect(part).not.toContain('ann@example.com');
        expect(part).not.toContain('agent-7');
      }
      // What a reader sees (the html's head has a viewport "device-width", which is no detail).
      for (const part of [subject, text, visible(html)]) expect(part).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|browser|device|IP address/i);
    }
  });

  it('escapes the issuer in the html and keeps the subject on one line', () => {
    const { subject, text, html } = renderDefaultNotice(input({}, { issuer: 'Acme <b>"Help"</b> & Co\r\nBcc: eve@evil.test' }));
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toContain('Acme <b>"Help"</b> & Co Bcc: eve@evil.test');
    expect(html).not.toContain('<b>');
    expect(html).toContain('Acme &lt;b&gt;&quot;Help&quot;&lt;/b&gt; &amp; Co');
    expect(text).toContain('Acme <b>"Help"</b> & Co');
  });

  it.each([
    ['no input', undefined],
    ['an empty issuer', input({}, { issuer: '  ' })],
    ['no notice', { ...input(), notice: undefined }],
    ['an unknown type', input({ type: 'password-changed' as never })],
    ['byAdmin missing', input({ byAdmin: undefined as never })],
    ['an invalid time', input({ at: new Date('nope') })],
    ['a method-activated notice without its method', input({ type: 'method-activated' })],
    ['an unknown method', input({ type: 'method-removed', method: 'sms' as never })],
  ])('refuses %s', (_, value) => {
    expect(() => renderDefaultNotice(value as never)).toThrow(/expected/);
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('issuer $label', ({ value }) => {
    const run = () => renderDefaultNotice(input({}, { issuer: value as never }));
    if (typeof value === 'string' && value.trim().length > 0) expect(run().subject).toContain(':');
    else expect(run).toThrow(TypeError);
  });
});
