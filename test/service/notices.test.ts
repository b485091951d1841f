/**
 * @module Security notices (src/service/notices.ts): which saved change sends which notice,
 * once per run of failures for a lock, to whom (the host's address and the enrolled email
 * address, once when they are the same) and what a notice never carries. Templates and
 * failures: notices-faults.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AgentRecord, PolicySettings } from '../../src/index.js';
import { noticesFor } from '../../src/service/notices.js';
import { emptyRecord } from '../../src/record/schema.js';
import { ADDRESS, T0, begin, codeAt, emailHarness, enroll, enrollEmail, enrollEmailOnly, harness, now, sendCode, stored, wrongCode } from '../support/harness.js';
import { OWN, PEPPER, SMALL_THROTTLE, fail, noticeHarness, noticesSent, recoveryCodes, told, type NoticeHarness } from '../support/notices.js';

describe('what is sent when', () => {
  let settings: PolicySettings = { totp: true, email: true, requireAll: false };
  let madeCodes: string[] = [];
  const rows: ReadonlyArray<{ name: string; setup?: (h: NoticeHarness) => Promise<unknown>; run: (h: NoticeHarness) => Promise<unknown>; expected: unknown[][] }> = [
    { name: 'TOTP set up by the agent', run: (h) => enroll(h, 'a'), expected: [['method-activated', 'totp', false]] },
    { name: 'email set up by the agent', run: (h) => enrollEmailOnly(h), expected: [['method-activated', 'email', false]] },
    { name: 'TOTP provisioned by an admin', run: (h) => h.tf.admin.provisionTotp('a', { account: OWN }), expected: [['method-activated', 'totp', true]] },
    {
      name: 'an admin removes both methods',
      setup: async (h) => (await enroll(h, 'a'), enrollEmail(h, 'a')),
      run: (h) => h.tf.admin.remove('a', { by: 'admin-1' }),
      expected: [['method-removed', 'totp', true], ['method-removed', 'email', true]],
    },
    {
      name: 'an admin removes one method',
      setup: async (h) => (await enroll(h, 'a'), enrollEmail(h, 'a')),
      run: (h) => h.tf.admin.remove('a', { method: 'email' }),
      expected: [['method-removed', 'email', true]],
    },
    { name: 'an admin removes a pending set-up only: no factor, no notice', setup: (h) => begin(h, 'a'), run: (h) => h.tf.admin.remove('a'), expected: [] },
    {
      name: 'a switched-off email factor superseded by a TOTP set-up',
      setup: async (h) => ((settings = { totp: true, email: true, requireAll: true }), await enrollEmailOnly(h), (settings = { ...settings, email: false })),
      run: (h) => enroll(h, 'a'),
      expected: [['method-activated', 'totp', false], ['method-removed', 'email', false]],
    },
    {
      name: 'the hard limit suspends',
      setup: async (h) => fail(h, await enroll(h, 'a'), SMALL_THROTTLE.maxConsecutiveFailures - 1),
      run: (h) => fail(h, stored(h.storage, 'a')!.totp!.secret, 1),
      expected: [['suspended', null, false]],
    },
    { name: 'recovery codes generated', setup: (h) => enroll(h, 'a'), run: (h) => recoveryCodes(h), expected: [['recovery-generated', null, false]] },
    {
      name: 'a recovery code used',
      setup: async (h) => (await enroll(h, 'a'), (madeCodes = await recoveryCodes(h))),
      run: (h) => h.tf.verifyRecoveryCode('a', madeCodes[0]!),
      expected: [['recovery-used', null, false]],
    },
    { name: 'a sign-in (no change to tell)', setup: (h) => enroll(h, 'a'), run: (h) => h.tf.verifyTotp('a', codeAt(stored(h.storage, 'a')!.totp!.secret, now(h))), expected: [] },
    { name: 'a policy call that starts a grace period', run: (h) => h.tf.policy('a'), expected: [] },
  ];

  it.each(rows)('$name', async ({ setup, run, expected }) => {
    settings = { totp: true, email: true, requireAll: false };
    const h = noticeHarness({ settings: () => settings, throttle: SMALL_THROTTLE, email: { pepper: PEPPER } });
    if (setup) await setup(h);
    h.mailer.clear();
    await run(h);
    expect(told(h)).toEqual(expected);
    expect(h.reported).toEqual([]);
  });

  it('a lock: the first lock of a run is told (the 5th failure), its 6th..9th are not; a success or an unlock starts a new run', async () => {
    const h = noticeHarness();
    const secret = await enroll(h, 'a');
    h.mailer.clear();
    const locks = () => h.mailer.notices(OWN).filter((m) => m.notice.type === 'locked').length;
    await fail(h, secret, 4);
    expect(locks()).toBe(0);
    await fail(h, secret, 1);
    expect(locks()).toBe(1);
    await fail(h, secret, 4);
    expect(h.events.filter((e) => e.type === 'throttle.locked')).toHaveLength(5); // every lock is an event
    expect(locks()).toBe(1); // ... and one notice
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    await fail(h, secret, 5);
    expect(locks()).toBe(2);
    expect(await h.tf.admin.unlock('a')).toMatchObject({ ok: true });
    await fail(h, secret, 5);
    expect(locks()).toBe(3);
    expect(told(h).every(([type]) => type === 'locked')).toBe(true);
  });

  it('recovery codes lock on their own counter: its first lock is told once, even after a TOTP lock', async () => {
    const h = noticeHarness({ email: { pepper: PEPPER } });
    const secret = await enroll(h, 'a');
    await recoveryCodes(h);
    await fail(h, secret, 5); // a TOTP lock, told; the shared lock stays set
    for (let i = 0; i < 8; i++) {
      const result = await h.tf.verifyRecoveryCode('a', 'AAAAA-AAAAA');
      if ('retryAt' in result && result.retryAt) h.clock.set(result.retryAt);
    }
    expect(h.events.filter((e) => e.type === 'throttle.locked' && e.method === 'recovery')).toHaveLength(4);
    expect(told(h).filter(([type]) => type === 'locked')).toHaveLength(2);
  });

  it('concurrent wrong codes at the lock: exactly one lock notice', async () => {
    const h = noticeHarness();
    const secret = await enroll(h, 'a');
    await fail(h, secret, 4);
    await Promise.all(Array.from({ length: 12 }, () => h.tf.verifyTotp('a', wrongCode(secret, now(h)))));
    expect(told(h).filter(([type]) => type === 'locked')).toHaveLength(1);
  });

  it('without the notices option nothing is sent; notices without a mailer: TypeError at creation', async () => {
    const h = emailHarness();
    await fail(h, await enroll(h, 'a'), 6);
    await h.tf.admin.remove('a');
    expect(noticesSent(h)).toEqual([]);
    expect(() => harness({ notices: { addressOf: () => OWN } })).toThrow(TypeError);
  });
});

describe('to whom', () => {
  it("to addressOf's address and to the enrolled email address, once each", async () => {
    const asked: string[] = [];
    const h = noticeHarness({}, async (agentId) => (asked.push(agentId), OWN));
    await enrollEmailOnly(h);
    expect(told(h, OWN)).toEqual([['method-activated', 'email', false]]);
    expect(told(h, ADDRESS)).toEqual([['method-activated', 'email', false]]);
    expect(noticesSent(h).map((m) => m.to)).toEqual([OWN, ADDRESS]);
    expect(asked).toEqual(['a']);
  });

  it('the same address in another letter case: one notice, to the address addressOf gave', async () => {
    const h = noticeHarness({}, () => 'ANN@Example.com');
    await enrollEmailOnly(h);
    expect(noticesSent(h).map((m) => m.to)).toEqual(['ANN@Example.com']);
  });

  it('addressOf null: only the enrolled email address; with none, nothing and no error', async () => {
    const h = noticeHarness({}, () => null);
    await enroll(h, 'a');
    expect(noticesSent(h)).toEqual([]);
    await enrollEmail(h, 'a');
    expect(noticesSent(h).map((m) => [m.to, m.notice.method])).toEqual([[ADDRESS, 'email']]);
    expect(h.reported).toEqual([]);
  });

  it('a removed email address is not told; the own address is', async () => {
    const h = noticeHarness();
    await enrollEmailOnly(h);
    h.mailer.clear();
    await h.tf.admin.remove('a');
    expect(noticesSent(h).map((m) => m.to)).toEqual([OWN]);
  });

  it.each([
    ['throws', () => { throw new Error('directory down'); }],
    ['rejects', () => Promise.reject(new Error('directory down'))],
  ])('addressOf %s: reported as a notice failure, nothing sent, the call and the record stand', async (_, addressOf) => {
    const h = noticeHarness({}, addressOf as never);
    await enrollEmailOnly(h);
    expect(noticesSent(h)).toEqual([]);
    expect(h.reported).toEqual([{ error: new Error('directory down'), agentId: 'a', kind: 'notice' }]);
    expect(stored(h.storage, 'a')!.email!.address).toBe(ADDRESS);
  });

  it.each([['not an address', 'ann'], ['a header injection', `${OWN}\r\nBcc: eve@evil.test`], ['a number', 42]])(
    'addressOf returns %s: a TypeError reported, the enrolled address still told',
    async (_, value) => {
      const h = noticeHarness({}, () => value as string);
      await enrollEmailOnly(h);
      expect(noticesSent(h).map((m) => m.to)).toEqual([ADDRESS]);
      expect(h.reported.map((r) => [r.error instanceof TypeError, r.kind, String(r.error).includes('evil')])).toEqual([[true, 'notice', false]]);
    },
  );
});

describe('what a notice never carries', () => {
  it('no secret, code, set-up token, agent id, link or other address in any notice of a whole life cycle', async () => {
    const h = noticeHarness({ throttle: SMALL_THROTTLE });
    const id = 'agent-7';
    const begun = await begin(h, id);
    const leaks: string[] = [id, begun.secret, begun.setupToken];
    expect(await h.tf.confirmTotpSetup(id, codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toMatchObject({ ok: true });
    h.clock.advance(30_000);
    const code = await sendCode(h, id, ADDRESS, { sessionVerified: true });
    expect(await h.tf.verifyEmailCode(id, code)).toMatchObject({ ok: true });
    for (let i = 0; i < SMALL_THROTTLE.maxConsecutiveFailures; i++) {
      const wrong = wrongCode(begun.secret, now(h));
      leaks.push(wrong);
      const r = await h.tf.verifyTotp(id, wrong);
      if ('retryAt' in r && r.retryAt) h.clock.set(r.retryAt);
    }
    await h.tf.admin.remove(id, { method: 'totp', by: 'admin-1', reason: 'lost phone' });
    const provisioned = await h.tf.admin.provisionTotp(id, { account: 'ann' });
    leaks.push(code, provisioned.ok ? provisioned.secret : 'unreachable', 'admin-1', 'lost phone');

    const sent = noticesSent(h);
    expect(new Set(sent.map((m) => m.notice.type))).toEqual(new Set(['method-activated', 'locked', 'suspended', 'method-removed']));
    for (const m of sent) {
      const all = `${m.subject}\n${m.text}\n${m.html}`;
      for (const leak of leaks) expect(all).not.toContain(leak);
      expect(all).not.toMatch(/https?:|href=/);
      // No code of any length a reader could see (the html's tags hold colours such as #555555).
      expect(`${m.subject}\n${m.text}\n${m.html.replace(/<[^>]*>/g, '')}`).not.toMatch(/[0-9]{6}/);
      for (const other of [OWN, ADDRESS].filter((a) => a !== m.to)) expect(all).not.toContain(other);
      expect(Object.keys(m.notice).sort()).toEqual(m.notice.method === undefined ? ['at', 'byAdmin', 'type'] : ['at', 'byAdmin', 'method', 'type']);
    }
    expect(sent.filter((m) => m.notice.byAdmin).every((m) => m.text.includes('by an admin'))).toBe(true);
  });
});

describe('noticesFor (the events a saved change emits, read as notices)', () => {
  const at = new Date(T0);
  const record = (patch: Partial<AgentRecord> = {}): AgentRecord => ({ ...emptyRecord(T0), ...patch });
  it("a lock of recovery codes counts on the codes' own lock, not the shared one", () => {
    const lock = [{ type: 'throttle.locked', method: 'recovery', outcome: 'failure', lockedUntil: new Date(T0 + 1) }] as const;
    const shared = { failures: 5, lockedUntil: T0 - 1, lastFailureAt: T0 - 1, suspendedAt: null };
    const codes = (lockedUntil: number | null) => ({ recovery: { lockedUntil } as AgentRecord['recovery'] });
    expect(noticesFor(lock, record({ throttle: shared, ...codes(null) }), record(), at)).toEqual([{ type: 'locked', byAdmin: false, at }]);
    expect(noticesFor(lock, record(codes(T0 - 1)), record(), at)).toEqual([]);
    expect(noticesFor([{ ...lock[0], method: 'totp' }], record({ throttle: shared, ...codes(null) }), record(), at)).toEqual([]);
  });

  it('events that change no factor tell nothing', () => {
    const types = ['totp.verified', 'email.verified', 'email.code.sent', 'admin.unlocked', 'recovery.failed', 'grace.started', 'totp.setup.started'] as const;
    expect(noticesFor(types.map((type) => ({ type, outcome: 'success' as const })), record(), record(), at)).toEqual([]);
  });
});
