/**
 * @module status() (src/service/status.ts): what an admin page shows of an agent, read without
 * writing: nothing for a fresh agent, never a secret, a code or its hash, and the outstanding
 * email code until it is used or expires.
 */
import { describe, expect, it } from 'vitest';
import { COOLDOWN_MS, DAY_MS, GRACE_DAYS, T0, codeAt, emailHarness, harness, now, otherCode, sendCode, stored, wrongCode } from '../support/harness.js';

const TTL_MS = 10 * 60_000;

describe('status', () => {
  it('a fresh agent: nothing enrolled, nothing written', async () => {
    const h = harness();
    expect(await h.tf.status('a')).toEqual({
      enrolled: [], totp: null, totpSetups: [], email: null, emailCode: null, enforced: false, lockedUntil: null, suspendedAt: null, failures: 0, graceStartedAt: null, lastUsedAt: null, problems: [], recoveryCodes: null, lastVerifiedAt: null,
    });
    expect(h.storage.raw('a')).toBeUndefined();
  });

  it('never contains the secret: pending, active, locked, provisioned', async () => {
    const h = harness();
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    const snapshots = [await h.tf.status('a')];
    await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken });
    snapshots.push(await h.tf.status('a'));
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(begun.secret, now(h)));
    snapshots.push(await h.tf.status('a'));
    const provisioned = await h.tf.admin.provisionTotp('b', { account: 'bob@example.com' });
    if (!provisioned.ok) throw new Error('refused');
    snapshots.push(await h.tf.status('b'));

    expect(snapshots[2]!.lockedUntil).not.toBeNull(); // the snapshots did cover the locked state
    const text = JSON.stringify(snapshots);
    for (const secret of [begun.secret, provisioned.secret]) {
      expect(stored(h.storage, secret === begun.secret ? 'a' : 'b')!.totp!.secret).toBe(secret); // it is at rest ...
      expect(text).not.toContain(secret); // ... but not in status
      expect(text).not.toContain(secret.slice(0, 8));
    }
  });

  it('emailCode follows the outstanding code: none, issued, attempts used, consumed; and ends at expiry', async () => {
    const h = emailHarness();
    expect((await h.tf.status('a')).emailCode).toBeNull();
    const code = await sendCode(h, 'a');
    const expiresAt = new Date(T0 + TTL_MS);
    expect((await h.tf.status('a')).emailCode).toEqual({ purpose: 'setup', expiresAt, attemptsLeft: 5 });
    await h.tf.verifyEmailCode('a', otherCode(code));
    await h.tf.verifyEmailCode('a', otherCode(code));
    expect((await h.tf.status('a')).emailCode).toEqual({ purpose: 'setup', expiresAt, attemptsLeft: 3 });
    await h.tf.verifyEmailCode('a', code);
    expect((await h.tf.status('a')).emailCode).toBeNull();

    h.clock.advance(COOLDOWN_MS);
    await sendCode(h, 'a');
    expect((await h.tf.status('a')).emailCode).toMatchObject({ purpose: 'login', attemptsLeft: 5 });
    h.clock.advance(TTL_MS);
    expect((await h.tf.status('a')).emailCode).toBeNull();
    // status() never writes, and never shows the code or its hash.
    const text = JSON.stringify(await h.tf.status('a'));
    expect(text).not.toContain(stored(h.storage, 'a')!.emailChallenge!.hash);
  });
});

describe('status() feeds evaluatePolicy as it is', () => {
  it('graceStartedAt null (not started) and a started grace both pass, and agree with policy()', async () => {
    const { evaluatePolicy } = await import('../../src/index.js');
    const h = harness({ settings: GRACE_DAYS });
    const seen: string[] = [];
    for (const step of ['fresh', 'started', 'after the grace'] as const) {
      if (step === 'started') await h.tf.policy('a'); // the service stores the grace start
      if (step === 'after the grace') h.clock.advance(15 * DAY_MS);
      const s = await h.tf.status('a');
      expect(s.graceStartedAt === null).toBe(step === 'fresh');
      const pure = evaluatePolicy({ settings: GRACE_DAYS, agent: { enforced: s.enforced, enrolled: s.enrolled, graceStartedAt: s.graceStartedAt }, now: h.clock.now() });
      const service = await h.tf.policy('a');
      expect([pure.action, pure.reason]).toEqual([service.action, service.reason]);
      seen.push(`${pure.action}:${pure.reason}`);
    }
    expect(seen).toEqual(['require:grace-period', 'require:grace-period', 'enforce:grace-period-over']);
  });
});
