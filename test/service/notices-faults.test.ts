/**
 * @module Security notices when something fails or is replaced (src/service/notices.ts): a
 * custom template, a template that throws or returns a bad message, a mailer that fails for one
 * recipient or all, a reporter that throws: none fails or undoes the call, each reaches
 * onDeliveryError with kind 'notice'; and notices go out only after the change is saved.
 */
import { describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage } from '../../src/memory.js';
import type { AgentRecord, Mailer, NoticeTemplateInput } from '../../src/index.js';
import { ADDRESS, T0, begin, codeAt, enroll, now, sendCode, stored } from '../support/harness.js';
import { OWN, noticeHarness, noticesSent } from '../support/notices.js';

describe('templates and failures', () => {
  it('renderNotice replaces the template and gets the facts', async () => {
    const inputs: NoticeTemplateInput[] = [];
    const renderNotice = (input: NoticeTemplateInput) => (inputs.push(input), { subject: 'S', text: `T ${input.notice.type}`, html: '<p>H</p>' });
    const h = noticeHarness({ notices: { addressOf: () => OWN, renderNotice } });
    await h.tf.admin.provisionTotp('a', { account: OWN });
    const notice = { type: 'method-activated', method: 'totp', byAdmin: true, at: new Date(T0) };
    expect(inputs).toEqual([{ notice, issuer: 'Acme Help', agentId: 'a', to: OWN }]);
    expect(h.mailer.sent).toEqual([{ kind: 'notice', to: OWN, subject: 'S', text: 'T method-activated', html: '<p>H</p>', agentId: 'a', notice }]);
  });

  it.each([
    ['throws', () => { throw new Error('template bug'); }, Error],
    ['returns a subject with a line break', () => ({ subject: 'a\r\nBcc: x', text: '', html: '' }), TypeError],
    ['returns no html', () => ({ subject: 'a', text: '' }), TypeError],
  ])('a renderNotice that %s: reported, nothing sent, the call and the record stand', async (_, renderNotice, type) => {
    const h = noticeHarness({ notices: { addressOf: () => OWN, renderNotice: renderNotice as never } });
    await enroll(h, 'a');
    expect(h.mailer.sent).toEqual([]);
    expect(h.reported.map((r) => [r.error instanceof type, r.kind])).toEqual([[true, 'notice']]);
    expect(stored(h.storage, 'a')!.totp).not.toBeNull();
  });

  it('a mailer failure: the result and the stored record are as without it; onDeliveryError gets kind notice', async () => {
    const [failing, working] = [noticeHarness(), noticeHarness()];
    const results = [];
    for (const h of [failing, working]) {
      const begun = await begin(h, 'a');
      if (h === failing) h.mailer.failNext();
      results.push(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken }));
    }
    expect(results).toEqual([{ ok: true, method: 'totp' }, { ok: true, method: 'totp' }]);
    const { secret: _a, ...failed } = stored(failing.storage, 'a')!.totp!;
    const { secret: _b, ...kept } = stored(working.storage, 'a')!.totp!;
    expect(failed).toEqual(kept);
    expect(failing.reported).toEqual([{ error: new Error('MemoryMailer: simulated delivery failure'), agentId: 'a', kind: 'notice' }]);
    expect(failing.events.map((e) => e.type)).toEqual(working.events.map((e) => e.type));
    expect(noticesSent(failing)).toEqual([]);
  });

  it('one recipient failing does not stop the other; an onDeliveryError that throws fails nothing', async () => {
    const h = noticeHarness({ onDeliveryError: () => { throw new Error('reporter down'); } });
    await sendCode(h, 'a');
    h.mailer.failNext();
    expect(await h.tf.verifyEmailCode('a', h.mailer.lastCode(ADDRESS)!)).toMatchObject({ ok: true, purpose: 'setup' });
    expect(noticesSent(h).map((m) => m.to)).toEqual([ADDRESS]);
  });

  it('sent after the change is saved', async () => {
    const [storage, inner, seen] = [new MemoryStorage(), new MemoryMailer(), [] as Array<AgentRecord['totp']>];
    const mailer: Mailer = { send: async (m) => (m.kind === 'notice' && seen.push(JSON.parse(storage.raw('a')!).totp), inner.send(m)) };
    const h = noticeHarness({ mailer }, () => OWN, storage);
    await enroll(h, 'a');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ provisionedBy: 'agent' });
  });
});
