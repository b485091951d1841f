// twofold/memory (src/memory.ts): MemoryMailer (copies, armed failures, lookups by address,
// codes and notices told apart by kind, argument checks), manualClock and MemoryStorage.
import { describe, expect, it } from 'vitest';
import { MemoryMailer, MemoryStorage, manualClock, type EmailCodeMessage, type EmailMessage, type EmailNoticeMessage } from '../src/memory.js';
import { emptyRecord } from '../src/record/schema.js';
import { BAD_TIMES, BAD_VALUES } from './_bad-inputs.js';

let n = 0;
function message(patch: Partial<EmailCodeMessage> = {}): EmailCodeMessage {
  n++;
  return {
    kind: 'code',
    to: 'ann@example.com',
    subject: 'Acme Help: your sign-in code',
    text: `code ${n}`,
    html: `<p>code ${n}</p>`,
    code: String(100_000 + n),
    expiresAt: new Date(1_700_000_000_000 + n),
    agentId: 'agent-1',
    purpose: 'login',
    ...patch,
  };
}

/** What a mailer holds, read as code messages (these tests send no notices there). */
const codes = (messages: EmailMessage[]) => messages as EmailCodeMessage[];

function notice(patch: Partial<EmailNoticeMessage> = {}): EmailNoticeMessage {
  const facts = { type: 'locked', byAdmin: false, at: new Date(1_700_000_000_000) } as const;
  return { kind: 'notice', to: 'ann@example.com', subject: 'Acme Help: locked', text: 'notice', html: '<p>notice</p>', agentId: 'agent-1', notice: facts, ...patch };
}

describe('MemoryMailer', () => {
  it('records sent messages in order, as equal copies', async () => {
    const mailer = new MemoryMailer();
    const a = message();
    const b = message({ to: 'bob@example.com', purpose: 'setup' });
    await mailer.send(a);
    await mailer.send(b);
    expect(mailer.sent).toEqual([a, b]);
    expect(mailer.sent[0]).not.toBe(a);
  });

  it('mutating the message after sending changes nothing recorded', async () => {
    const mailer = new MemoryMailer();
    const m = message({ code: '111111' });
    const expiresAt = m.expiresAt.getTime();
    const sending = mailer.send(m);
    m.code = '999999'; // even before the send settles
    m.expiresAt.setTime(0);
    await sending;
    m.to = 'eve@evil.test';
    expect(codes(mailer.sent)[0]!.code).toBe('111111');
    expect(mailer.sent[0]!.to).toBe('ann@example.com');
    expect(codes(mailer.sent)[0]!.expiresAt.getTime()).toBe(expiresAt);
  });

  it('mutating what `sent`, `messagesTo` return changes nothing recorded', async () => {
    const mailer = new MemoryMailer();
    await mailer.send(message({ code: '222222' }));
    const read = codes(mailer.sent);
    read[0]!.code = 'x';
    read[0]!.expiresAt.setTime(0);
    read.length = 0;
    codes(mailer.messagesTo('ann@example.com'))[0]!.code = 'y';
    expect(mailer.sent).toHaveLength(1);
    expect(codes(mailer.sent)[0]!.code).toBe('222222');
    expect(codes(mailer.sent)[0]!.expiresAt.getTime()).not.toBe(0);
  });

  it('keeps only EmailMessage fields', async () => {
    const mailer = new MemoryMailer();
    await mailer.send({ ...message(), extra: { nested: true } } as EmailMessage);
    expect(Object.keys(mailer.sent[0]!).sort()).toEqual(
      ['agentId', 'code', 'expiresAt', 'html', 'kind', 'purpose', 'subject', 'text', 'to'],
    );
  });

  it('keeps only the fields of a notice, and of its facts', async () => {
    const mailer = new MemoryMailer();
    await mailer.send(notice({ code: '123456', notice: { type: 'method-removed', method: 'email', byAdmin: true, at: new Date(5), secret: 'x' } } as never));
    const [m] = mailer.sent as EmailNoticeMessage[];
    expect(Object.keys(m!).sort()).toEqual(['agentId', 'html', 'kind', 'notice', 'subject', 'text', 'to']);
    expect(m!.notice).toEqual({ type: 'method-removed', method: 'email', byAdmin: true, at: new Date(5) });
  });

  it('lastCode skips notices; notices(to) lists only the notices to that address, ignoring ASCII case', async () => {
    const mailer = new MemoryMailer();
    await mailer.send(message({ code: '111111' }));
    await mailer.send(notice({ notice: { type: 'locked', byAdmin: false, at: new Date(1) } }));
    await mailer.send(notice({ to: 'bob@example.com' }));
    await mailer.send(notice({ to: 'ANN@example.com', notice: { type: 'suspended', byAdmin: false, at: new Date(2) } }));
    expect(mailer.lastCode('ann@example.com')).toBe('111111');
    expect(mailer.notices('ann@example.com').map((m) => m.notice.type)).toEqual(['locked', 'suspended']);
    expect(mailer.notices('Bob@Example.com')).toHaveLength(1);
    expect(mailer.notices('carol@example.com')).toEqual([]);
    expect(mailer.messagesTo('ann@example.com').map((m) => m.kind)).toEqual(['code', 'notice', 'notice']);
    // Only notices: no code at all.
    const only = new MemoryMailer();
    await only.send(notice());
    expect(only.lastCode('ann@example.com')).toBeUndefined();
  });

  it('mutating a notice after sending, or what notices(to) returns, changes nothing recorded', async () => {
    const [mailer, m] = [new MemoryMailer(), notice()];
    await mailer.send(m);
    m.notice.at.setTime(0);
    m.notice.type = 'suspended';
    const read = mailer.notices('ann@example.com')[0]!;
    read.notice.at.setTime(0);
    read.subject = 'x';
    expect(mailer.notices('ann@example.com')[0]).toEqual(notice());
  });

  it('send is asynchronous', async () => {
    const mailer = new MemoryMailer();
    const p = mailer.send(message());
    expect(mailer.sent).toHaveLength(0);
    await p;
    expect(mailer.sent).toHaveLength(1);
  });

  it('failNext() fails exactly the next send, with the documented error, and records nothing', async () => {
    const mailer = new MemoryMailer();
    mailer.failNext();
    await expect(mailer.send(message())).rejects.toThrow('MemoryMailer: simulated delivery failure');
    expect(mailer.sent).toHaveLength(0);
    await mailer.send(message());
    expect(mailer.sent).toHaveLength(1);
  });

  it('failNext(2) fails exactly two, then succeeds', async () => {
    const mailer = new MemoryMailer();
    mailer.failNext(2);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await mailer.send(message()).then(() => 'sent', () => 'failed'));
    expect(results).toEqual(['failed', 'failed', 'sent', 'sent']);
    expect(mailer.sent).toHaveLength(2);
  });

  it('concurrent sends consume armed failures in call order', async () => {
    const mailer = new MemoryMailer();
    mailer.failNext(3);
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => mailer.send(message({ code: String(200_000 + i) }))));
    expect(settled.map((s) => s.status)).toEqual([...new Array(3).fill('rejected'), ...new Array(7).fill('fulfilled')]);
    expect(codes(mailer.sent).map((m) => m.code)).toEqual(Array.from({ length: 7 }, (_, i) => String(200_003 + i)));
  });

  it('failNext with a custom error rejects with that error', async () => {
    const mailer = new MemoryMailer();
    const error = new Error('SMTP 451');
    mailer.failNext(2, error);
    await expect(mailer.send(message())).rejects.toBe(error);
    await expect(mailer.send(message())).rejects.toBe(error);
    await expect(mailer.send(message())).resolves.toBeUndefined();
  });

  it('failNext replaces what is armed; failNext(0) disarms', async () => {
    const mailer = new MemoryMailer();
    mailer.failNext(5);
    mailer.failNext(0);
    await expect(mailer.send(message())).resolves.toBeUndefined();
    mailer.failNext(5);
    mailer.failNext(1);
    await expect(mailer.send(message())).rejects.toThrow();
    await expect(mailer.send(message())).resolves.toBeUndefined();
  });

  it('lastCode picks the newest message to the address, ignoring ASCII case', async () => {
    const mailer = new MemoryMailer();
    await mailer.send(message({ code: '111111' }));
    await mailer.send(message({ code: '222222', to: 'bob@example.com' }));
    await mailer.send(message({ code: '333333', to: 'Ann@Example.com' }));
    await mailer.send(message({ code: '444444', to: 'bob@example.com' }));
    expect(mailer.lastCode('ann@example.com')).toBe('333333');
    expect(mailer.lastCode('ANN@EXAMPLE.COM')).toBe('333333');
    expect(mailer.lastCode('bob@example.com')).toBe('444444');
    expect(mailer.lastCode('carol@example.com')).toBeUndefined();
    expect(codes(mailer.messagesTo('ann@example.com')).map((m) => m.code)).toEqual(['111111', '333333']);
    expect(mailer.messagesTo('carol@example.com')).toEqual([]);
  });

  it('clear forgets messages and disarms failures', async () => {
    const mailer = new MemoryMailer();
    await mailer.send(message());
    mailer.failNext(3);
    mailer.clear();
    expect(mailer.sent).toEqual([]);
    expect(mailer.lastCode('ann@example.com')).toBeUndefined();
    await expect(mailer.send(message())).resolves.toBeUndefined();
  });

  it.each(BAD_VALUES.map((b) => ({ label: b.name, value: b.value })))('failNext count $label', async ({ value }) => {
    const mailer = new MemoryMailer();
    const isInt = typeof value === 'number' && Number.isInteger(value);
    if (value === undefined || (isInt && (value as number) >= 0)) {
      // undefined is the default (1); a non-negative integer such as 123456 is a valid count.
      mailer.failNext(value as number | undefined);
      await expect(mailer.send(message())).rejects.toThrow('simulated delivery failure');
      return;
    }
    expect(() => mailer.failNext(value as never)).toThrow(isInt ? RangeError : TypeError);
  });

  it.each([
    ['a string', 'boom'],
    ['an object', { message: 'boom' }],
    ['null', null],
  ])('failNext error %s is refused', (_, error) => {
    expect(() => new MemoryMailer().failNext(1, error as never)).toThrow(TypeError);
  });

  it.each(BAD_VALUES.filter((b) => typeof b.value !== 'string').map((b) => ({ label: b.name, value: b.value })))(
    'lastCode / messagesTo $label: TypeError',
    ({ value }) => {
      const mailer = new MemoryMailer();
      expect(() => mailer.lastCode(value as never)).toThrow(TypeError);
      expect(() => mailer.messagesTo(value as never)).toThrow(TypeError);
      expect(() => mailer.notices(value as never)).toThrow(TypeError);
    },
  );

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['to missing', { ...message(), to: undefined }],
    ['code a number', { ...message(), code: 123456 }],
    ['expiresAt a number', { ...message(), expiresAt: 1 }],
    ['expiresAt invalid', { ...message(), expiresAt: new Date('nope') }],
    ['purpose unknown', { ...message(), purpose: 'reset' }],
    ['kind missing', { ...message(), kind: undefined }],
    ['kind unknown', { ...message(), kind: 'letter' }],
    ['a code without its code (kind notice fields)', { ...notice(), kind: 'code' }],
    ['a notice without notice', { ...notice(), notice: undefined }],
    ['a notice with agentId missing', { ...notice(), agentId: undefined }],
    ['notice.type unknown', notice({ notice: { type: 'password-changed', byAdmin: false, at: new Date(1) } as never })],
    ['notice.method unknown', notice({ notice: { type: 'method-removed', method: 'sms', byAdmin: false, at: new Date(1) } as never })],
    ['notice.byAdmin not a boolean', notice({ notice: { type: 'locked', byAdmin: 'no', at: new Date(1) } as never })],
    ['notice.at invalid', notice({ notice: { type: 'locked', byAdmin: false, at: new Date('nope') } })],
  ])('send rejects a malformed message (%s) with a TypeError and records nothing', async (_, value) => {
    const mailer = new MemoryMailer();
    await expect(mailer.send(value as never)).rejects.toThrow(TypeError);
    expect(mailer.sent).toHaveLength(0);
  });
});

describe('manualClock', () => {
  it('stands still until moved', () => {
    const clock = manualClock(new Date('2026-01-01T00:00:00Z'));
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    clock.advance(30_000);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:30.000Z');
    clock.set(Date.UTC(2027, 0, 1));
    expect(clock.now().getTime()).toBe(Date.UTC(2027, 0, 1));
  });

  it('hands out fresh Date objects', () => {
    const clock = manualClock(1000);
    const d = clock.now();
    d.setTime(0);
    expect(clock.now().getTime()).toBe(1000);
  });

  it.each(BAD_TIMES.map((b) => [b.name, b.value]))('refuses a bad start (%s)', (_name, value) => {
    expect(() => manualClock(value as never)).toThrow(/expected/);
  });

  it('refuses to advance by a non-integer or to before 1970', () => {
    const clock = manualClock(1000);
    expect(() => clock.advance(Number.NaN)).toThrow(TypeError);
    expect(() => clock.advance(0.5)).toThrow(TypeError);
    expect(() => clock.advance(-2000)).toThrow(RangeError);
    expect(clock.now().getTime()).toBe(1000);
  });
});

describe('MemoryStorage', () => {
  it('keeps JSON text at rest and lists agents', async () => {
    const storage = new MemoryStorage();
    expect(storage.raw('a')).toBeUndefined();
    expect(await storage.save('a', emptyRecord(5), null)).toBe(true);
    expect(JSON.parse(storage.raw('a')!)).toEqual(emptyRecord(5));
    expect(storage.agentIds()).toEqual(['a']);
    storage.clear();
    expect(await storage.load('a')).toBeNull();
  });

  it('refuses an empty or non-string agent id', async () => {
    const storage = new MemoryStorage();
    await expect(storage.load('')).rejects.toThrow(TypeError);
    await expect(storage.save(42 as never, emptyRecord(0), null)).rejects.toThrow(TypeError);
  });
});
