/**
 * @module What the service leaves at rest (src/service/at-rest.ts seals TOTP secrets with the
 * host's secretCipher; email codes are stored only as hashes): the stored JSON never holds an
 * email code (1,000 issued codes, with and without a pepper), and with a secretCipher never holds
 * a TOTP secret, at any step; plain secrets are encrypted and old-key secrets re-encrypted at the
 * next save; a secret that no longer decrypts blocks only the calls that need it. (The cipher
 * itself, and the re-encryption loop of docs/security.md, are tested in test/aes-gcm.test.ts.)
 */
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { aesGcmSecretCipher, decodeBase32, type AesGcmSecretCipher, type AgentRecord, type SecretCipher, type TwoFactorOptions } from '../../src/index.js';
import { ADDRESS, COOLDOWN_MS, STEP_MS, codeAt, emailHarness, enroll, enrollEmail, now, otherCode, rejectsWith, sendCode, stored, wrongCode, type EmailHarness } from '../support/harness.js';

const randomKey = () => crypto.getRandomValues(new Uint8Array(32));
const PEPPER = 'a pepper of at least sixteen bytes, kept outside the database';

// ---------------------------------------------------------------------------------------------
// Email codes at rest
// ---------------------------------------------------------------------------------------------

/**
 * The raw JSON with the hex digests and salts (which may contain any digit run by chance) and
 * the epoch-ms times (13 digits) taken out. A code stored in any other form (a string, a
 * number, inside another string) is still there to be found.
 */
function scrub(raw: string): string {
  return raw.replace(/"[0-9a-f]{32}"|"[0-9a-f]{64}"/g, '""').replace(/\d{10,}/g, '0');
}

/** Asserts the stored record does not hold `code` (and that no leaf equals it). */
function expectNoCode(raw: string, code: string): void {
  expect(scrub(raw)).not.toContain(code);
  const leaves: unknown[] = [];
  const walk = (v: unknown): void => {
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x);
    else leaves.push(v);
  };
  walk(JSON.parse(raw));
  expect(leaves).not.toContain(code);
  // As a number: only where it could be told from the record's own small counts and sizes
  // (a code 000002 is the number 2, which the schema version or an attempt count also is).
  if (Number(code) >= 1000) expect(leaves).not.toContain(Number(code));
}

describe('the stored JSON never contains an email code', () => {
  it.each([
    { name: 'salted SHA-256 (no pepper)', pepper: undefined },
    { name: 'HMAC under a pepper', pepper: PEPPER },
  ])('1,000 issued codes, $name', async ({ pepper }) => {
    const h = emailHarness(pepper === undefined ? {} : { email: { pepper } });
    const STEP = 12 * 60_000; // 5 sends an hour, past the cooldown
    for (let i = 0; i < 1000; i++) {
      const code = await sendCode(h, 'a');
      const raw = h.storage.raw('a')!;
      expectNoCode(raw, code);
      // The record does hold this code's hash: the test looks at the right place.
      const c = (JSON.parse(raw) as AgentRecord).emailChallenge!;
      const expected =
        pepper === undefined
          ? createHash('sha256').update(Buffer.from(c.salt!, 'hex')).update(code).digest('hex')
          : createHmac('sha256', pepper).update(code).digest('hex');
      expect(c.hash).toBe(expected);
      if (i % 3 === 0) expect(await h.tf.verifyEmailCode('a', code)).toMatchObject({ ok: true });
      if (i % 3 === 1) expect(await h.tf.verifyEmailCode('a', otherCode(code))).toMatchObject({ ok: false, reason: 'invalid-code' });
      expectNoCode(h.storage.raw('a')!, code);
      h.clock.advance(STEP);
    }
    expect(h.mailer.sent).toHaveLength(1000);
  });
});

// ---------------------------------------------------------------------------------------------
// TOTP secrets at rest
// ---------------------------------------------------------------------------------------------

/** Every text form of a secret that must not be at rest. */
function secretForms(secret: string): string[] {
  const bytes = Buffer.from(decodeBase32(secret));
  return [secret, secret.toLowerCase(), secret.replace(/(.{4})/g, '$1 ').trim(), bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
}

/**
 * Asserts the agent's stored secret is a ciphertext under `keyId` that decrypts to `secret`:
 * the active factor's when there is one, else one of the pending set-ups' (and every other
 * secret in the record is sealed under `keyId` too).
 */
async function expectSealed(h: EmailHarness, agentId: string, secret: string, cipher: AesGcmSecretCipher, keyId = cipher.currentKeyId): Promise<void> {
  const raw = h.storage.raw(agentId)!;
  for (const form of secretForms(secret)) expect(raw).not.toContain(form);
  const record = stored(h.storage, agentId)!;
  const keys = record.totp === null ? record.totpSetups : [record.totp, ...record.totpSetups];
  expect(keys.length).toBeGreaterThan(0);
  const plains: string[] = [];
  for (const key of keys) {
    expect(key.secretEncrypted).toBe(true);
    expect(cipher.keyIdOf(key.secret)).toBe(keyId);
    plains.push(await cipher.decrypt(key.secret, agentId));
  }
  if (record.totp !== null) expect(plains[0]).toBe(secret);
  else expect(plains).toContain(secret);
}

function cipherHarness(cipher: SecretCipher | undefined, overrides: Partial<TwoFactorOptions> = {}, from?: EmailHarness): EmailHarness {
  const h = emailHarness({ ...(cipher === undefined ? {} : { secretCipher: cipher }), ...overrides }, from?.storage);
  if (from !== undefined) h.clock.set(from.clock.now());
  return h;
}

describe('with a secretCipher the stored JSON never contains the TOTP secret', () => {
  it('through set-up, refresh, confirmation, logins, wrong codes, lock, unlock, email codes and admin calls', async () => {
    const cipher = aesGcmSecretCipher({ keys: [{ id: 'k1', key: randomKey() }] });
    const h = cipherHarness(cipher);
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    const secret = begun.secret;
    const { setupToken } = begun;
    expect(stored(h.storage, 'a')!.totp).toBeNull();
    expect(stored(h.storage, 'a')!.totpSetups).toHaveLength(1); // pending
    await expectSealed(h, 'a', secret, cipher);

    // A refresh (with the set-up token) hands back the same secret; a new account name is written.
    expect(await h.tf.beginTotpSetup('a', { account: 'ann@example.com', setupToken })).toEqual(begun);
    expect((await h.tf.beginTotpSetup('a', { account: 'ann.lee@example.com', setupToken })).ok).toBe(true);
    expect(stored(h.storage, 'a')!.totpSetups).toMatchObject([{ account: 'ann.lee@example.com' }]);
    await expectSealed(h, 'a', secret, cipher);

    expect(await h.tf.confirmTotpSetup('a', wrongCode(secret, now(h)), { setupToken })).toMatchObject({ reason: 'invalid-code' });
    await expectSealed(h, 'a', secret, cipher);
    expect(await h.tf.confirmTotpSetup('a', codeAt(secret, now(h)), { setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp).not.toBeNull(); // active
    expect(stored(h.storage, 'a')!.totpSetups).toEqual([]);
    await expectSealed(h, 'a', secret, cipher);

    h.clock.advance(STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    await expectSealed(h, 'a', secret, cipher);
    for (let i = 0; i < 5; i++) await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect((await h.tf.status('a')).lockedUntil).not.toBeNull();
    await expectSealed(h, 'a', secret, cipher);
    expect(await h.tf.admin.unlock('a')).toEqual({ ok: true, wasLocked: true, wasSuspended: false });
    await expectSealed(h, 'a', secret, cipher);

    await enrollEmail(h, 'a');
    const code = await sendCode(h, 'a');
    await h.tf.verifyEmailCode('a', otherCode(code));
    await h.tf.verifyEmailCode('a', code);
    await h.tf.admin.setEnforced('a', true);
    await expectSealed(h, 'a', secret, cipher);
    expect(JSON.stringify(await h.tf.status('a'))).not.toContain(secret);

    // Admin provisioning: active at once, sealed at once.
    const provisioned = await h.tf.admin.provisionTotp('b', { account: 'bob@example.com' });
    if (!provisioned.ok) throw new Error('refused');
    expect(stored(h.storage, 'b')!.totp).toMatchObject({ provisionedBy: 'admin', activatedAt: expect.any(Number) }); // active
    expect(stored(h.storage, 'b')!.totpSetups).toEqual([]);
    await expectSealed(h, 'b', provisioned.secret, cipher);

    // After removal and a restart, the new secret is sealed too.
    await h.tf.admin.remove('a', { method: 'totp' });
    const again = await h.tf.beginTotpSetup('a', { account: 'ann@example.com', sessionVerified: true });
    if (!again.ok) throw new Error('refused');
    expect(again.secret).not.toBe(secret);
    await expectSealed(h, 'a', again.secret, cipher);
    // Without the set-up token, a new set-up begins (the restart).
    const restarted = await h.tf.beginTotpSetup('a', { account: 'ann@example.com', sessionVerified: true });
    if (!restarted.ok) throw new Error('refused');
    expect(restarted.secret).not.toBe(again.secret);
    await expectSealed(h, 'a', restarted.secret, cipher);
    for (const form of secretForms(again.secret)) expect(h.storage.raw('a')).not.toContain(form);
  });
});

/** Operations that write agent 'a''s record (an enrolled TOTP agent), one per entry. */
const WRITES: Array<{ name: string; run: (h: EmailHarness, secret: string) => Promise<unknown> }> = [
  { name: 'a TOTP login', run: (h, s) => h.tf.verifyTotp('a', codeAt(s, now(h))) },
  { name: 'a wrong TOTP code', run: (h, s) => h.tf.verifyTotp('a', wrongCode(s, now(h))) },
  { name: 'an email code sent', run: (h) => h.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true }) },
  { name: 'admin.setEnforced(true)', run: (h) => h.tf.admin.setEnforced('a', true) },
];

/** Operations that do not write agent 'a''s record. */
const READS: Array<{ name: string; run: (h: EmailHarness) => Promise<unknown> }> = [
  { name: 'status()', run: (h) => h.tf.status('a') },
  { name: 'policy()', run: (h) => h.tf.policy('a') },
  { name: 'verifyEmailCode with no code outstanding', run: (h) => h.tf.verifyEmailCode('a', '123456') },
  { name: 'sendEmailCode to an invalid address', run: (h) => h.tf.sendEmailCode('a', { to: 'nope' }) },
  { name: 'admin.unlock of an agent not locked', run: (h) => h.tf.admin.unlock('a') },
];

describe('a secret stored plain, before the cipher was configured', () => {
  it.each(WRITES)('is encrypted at the next save: $name', async ({ run }) => {
    const plain = cipherHarness(undefined);
    const secret = await enroll(plain, 'a');
    expect(stored(plain.storage, 'a')!.totp).toMatchObject({ secretEncrypted: false, secret });

    const cipher = aesGcmSecretCipher({ keys: [{ id: 'k1', key: randomKey() }] });
    const h = cipherHarness(cipher, {}, plain);
    await run(h, secret);
    await expectSealed(h, 'a', secret, cipher);
    h.clock.advance(STEP_MS);
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
  });

  it.each(READS)('stays as it is when nothing is written: $name', async ({ run }) => {
    const plain = cipherHarness(undefined);
    const secret = await enroll(plain, 'a');
    const before = plain.storage.raw('a');
    const h = cipherHarness(aesGcmSecretCipher({ keys: [{ id: 'k1', key: randomKey() }] }), {}, plain);
    await run(h);
    expect(h.storage.raw('a')).toBe(before);
    // And a plain secret still works under the cipher (then the login's save encrypts it).
    expect(await h.tf.verifyTotp('a', codeAt(secret, now(h)))).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp!.secretEncrypted).toBe(true);
  });

  it('a pending plain secret: the refresh returns it; an account change seals it', async () => {
    const plain = cipherHarness(undefined);
    const begun = await plain.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    const cipher = aesGcmSecretCipher({ keys: [{ id: 'k1', key: randomKey() }] });
    const h = cipherHarness(cipher, {}, plain);
    const { setupToken } = begun;
    expect(await h.tf.beginTotpSetup('a', { account: 'ann@example.com', setupToken })).toEqual(begun);
    expect(stored(h.storage, 'a')!.totpSetups[0]!.secretEncrypted).toBe(false); // a refresh writes nothing
    expect((await h.tf.beginTotpSetup('a', { account: 'renamed@example.com', setupToken })).ok).toBe(true);
    await expectSealed(h, 'a', begun.secret, cipher);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken })).toEqual({ ok: true, method: 'totp' });
  });
});

describe('key rotation: keys [B, A]', () => {
  const setupUnderA = async () => {
    const A = { id: 'k-a', key: randomKey() };
    const B = { id: 'k-b', key: randomKey() };
    const cipherA = aesGcmSecretCipher({ keys: [A] });
    const old = cipherHarness(cipherA);
    const secret = await enroll(old, 'a');
    await expectSealed(old, 'a', secret, cipherA, 'k-a');
    const rotated = aesGcmSecretCipher({ keys: [B, A] });
    const h = cipherHarness(rotated, {}, old);
    return { A, B, secret, rotated, h };
  };

  it.each(WRITES)('a record sealed with A is re-encrypted with B at its next save: $name', async ({ run }) => {
    const { B, secret, rotated, h } = await setupUnderA();
    await run(h, secret);
    await expectSealed(h, 'a', secret, rotated, 'k-b');
    // A can go now: B alone opens it, and the agent still logs in.
    const onlyB = cipherHarness(aesGcmSecretCipher({ keys: [B] }), {}, h);
    onlyB.clock.advance(STEP_MS);
    expect(await onlyB.tf.verifyTotp('a', codeAt(secret, now(onlyB)))).toEqual({ ok: true, method: 'totp' });
  });

  it.each(READS)('a read that writes nothing leaves it under A: $name', async ({ run }) => {
    const { secret, rotated, h } = await setupUnderA();
    const before = h.storage.raw('a');
    await run(h);
    expect(h.storage.raw('a')).toBe(before);
    await expectSealed(h, 'a', secret, rotated, 'k-a');
  });

  it('a value already under B is not re-encrypted by later saves (same ciphertext)', async () => {
    const { secret, h } = await setupUnderA();
    await h.tf.admin.setEnforced('a', true);
    const sealedB = stored(h.storage, 'a')!.totp!.secret;
    await h.tf.admin.setEnforced('a', false);
    await h.tf.sendEmailCode('a', { to: ADDRESS });
    await h.tf.verifyTotp('a', wrongCode(secret, now(h)));
    expect(stored(h.storage, 'a')!.totp!.secret).toBe(sealedB);
  });
});

describe('a secret that no longer decrypts (its key removed)', () => {
  const undecryptable = async (pending = false) => {
    const A = { id: 'k-a', key: randomKey() };
    const old = cipherHarness(aesGcmSecretCipher({ keys: [A] }));
    let secret: string;
    let setupToken = '';
    if (pending) {
      const begun = await old.tf.beginTotpSetup('a', { account: 'ann@example.com' });
      if (!begun.ok) throw new Error('refused');
      secret = begun.secret;
      setupToken = begun.setupToken;
    } else {
      secret = await enroll(old, 'a');
    }
    const r = stored(old.storage, 'a')!;
    const sealed = pending ? r.totpSetups[0]!.secret : r.totp!.secret;
    const h = cipherHarness(aesGcmSecretCipher({ keys: [{ id: 'k-b', key: randomKey() }] }), {}, old);
    return { h, secret, sealed, setupToken };
  };

  it('policy, status, email set-up and login and admin calls still work; the value is kept byte for byte', async () => {
    const { h, sealed } = await undecryptable();
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'verify', verifyMethods: ['totp'] });
    expect((await h.tf.status('a')).totp).toMatchObject({ status: 'active' });
    await enrollEmail(h, 'a');
    const code = await sendCode(h, 'a');
    expect(await h.tf.verifyEmailCode('a', otherCode(code))).toMatchObject({ reason: 'invalid-code' });
    expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'login' });
    expect(await h.tf.admin.setEnforced('a', true)).toEqual({ ok: true, enforced: true });
    expect(await h.tf.policy('a')).toMatchObject({ verifyMethods: ['totp', 'email'] });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ secret: sealed, secretEncrypted: true });
  });

  it('verifyTotp rejects with SECRET_DECRYPT_FAILED, naming no value, and counts nothing', async () => {
    const { h, secret, sealed } = await undecryptable();
    const before = h.storage.raw('a');
    const error = await rejectsWith(h.tf.verifyTotp('a', codeAt(secret, now(h))), 'SECRET_DECRYPT_FAILED');
    await rejectsWith(h.tf.verifyTotp('a', '000000'), 'SECRET_DECRYPT_FAILED');
    for (const text of [error.message, String(error), String((error.cause as Error | undefined)?.message)]) {
      expect(text).not.toContain(sealed);
      expect(text).not.toContain(secret);
    }
    expect(h.storage.raw('a')).toBe(before);
  });

  it('admin.remove clears it, and set-up starts again under the current key', async () => {
    const { h, secret } = await undecryptable();
    expect(await h.tf.admin.remove('a', { method: 'totp' })).toEqual({ ok: true, removed: ['totp'] });
    expect(stored(h.storage, 'a')!.totp).toBeNull();
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    expect(begun.secret).not.toBe(secret);
    expect(await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken })).toEqual({ ok: true, method: 'totp' });
    expect(stored(h.storage, 'a')!.totp!.secret).toMatch(/^v1\.k-b\./);
  });

  it('a pending one: a refresh and a confirmation reject; a begin without the token begins afresh', async () => {
    const { h, secret, setupToken } = await undecryptable(true);
    await rejectsWith(h.tf.beginTotpSetup('a', { account: 'ann@example.com', setupToken }), 'SECRET_DECRYPT_FAILED');
    await rejectsWith(h.tf.confirmTotpSetup('a', codeAt(secret, now(h)), { setupToken }), 'SECRET_DECRYPT_FAILED');
    const restarted = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    expect(restarted.ok).toBe(true);
  });

  it('the cipher option dropped altogether: the same, and saves keep the ciphertext', async () => {
    const { h: withKey, secret, sealed } = await undecryptable();
    const h = cipherHarness(undefined, {}, withKey);
    await rejectsWith(h.tf.verifyTotp('a', codeAt(secret, now(h))), 'SECRET_DECRYPT_FAILED');
    expect(await h.tf.policy('a')).toMatchObject({ verifyMethods: ['totp'] });
    await sendCode(h, 'a', ADDRESS, { sessionVerified: true });
    expect(stored(h.storage, 'a')!.totp).toMatchObject({ secret: sealed, secretEncrypted: true });
    expect(await h.tf.admin.remove('a')).toEqual({ ok: true, removed: ['totp'] });
  });
});

describe('the cipher is called only where needed', () => {
  /** Wraps a cipher and counts its calls. */
  function counting(inner: SecretCipher): SecretCipher & { encrypts: number; decrypts: number } {
    const c = {
      encrypts: 0,
      decrypts: 0,
      encrypt: (plain: string, context: string) => {
        c.encrypts++;
        return inner.encrypt(plain, context);
      },
      decrypt: (value: string, context: string) => {
        c.decrypts++;
        return inner.decrypt(value, context);
      },
      needsRotation: (value: string) => inner.needsRotation!(value),
    };
    return c;
  }

  it('decrypt only in TOTP checks and set-up refreshes; encrypt only for a new or plain secret', async () => {
    const cipher = counting(aesGcmSecretCipher({ keys: [{ id: 'k1', key: randomKey() }] }));
    const h = cipherHarness(cipher);
    const begun = await h.tf.beginTotpSetup('a', { account: 'ann@example.com' });
    if (!begun.ok) throw new Error('refused');
    expect([cipher.encrypts, cipher.decrypts]).toEqual([1, 0]);
    await h.tf.beginTotpSetup('a', { account: 'ann@example.com', setupToken: begun.setupToken }); // refresh: shows the secret again
    expect([cipher.encrypts, cipher.decrypts]).toEqual([1, 1]);
    await h.tf.confirmTotpSetup('a', codeAt(begun.secret, now(h)), { setupToken: begun.setupToken });
    expect([cipher.encrypts, cipher.decrypts]).toEqual([1, 2]);

    await h.tf.policy('a');
    await h.tf.status('a');
    await enrollEmail(h, 'a');
    const code = await sendCode(h, 'a');
    await h.tf.verifyEmailCode('a', code);
    await h.tf.admin.setEnforced('a', true);
    await h.tf.admin.unlock('a');
    expect([cipher.encrypts, cipher.decrypts]).toEqual([1, 2]);

    h.clock.advance(STEP_MS);
    await h.tf.verifyTotp('a', codeAt(begun.secret, now(h)));
    expect([cipher.encrypts, cipher.decrypts]).toEqual([1, 3]);
  });

  it('a failing encrypt: SECRET_ENCRYPT_FAILED, nothing saved, no event, no mail', async () => {
    const failure = new Error('kms unavailable');
    const cipher: SecretCipher = {
      encrypt: async () => {
        throw failure;
      },
      decrypt: async (v) => v,
    };
    const h = cipherHarness(cipher);
    const error = await rejectsWith(h.tf.beginTotpSetup('a', { account: 'ann@example.com' }), 'SECRET_ENCRYPT_FAILED');
    expect(error.cause).toBe(failure);
    expect(h.storage.raw('a')).toBeUndefined();
    expect(h.events).toEqual([]);

    // A record with a plain secret cannot be saved either, so an email send fails before mailing.
    const plain = cipherHarness(undefined);
    await enroll(plain, 'a');
    const before = plain.storage.raw('a');
    const broken = cipherHarness(cipher, {}, plain);
    await rejectsWith(broken.tf.sendEmailCode('a', { to: ADDRESS, sessionVerified: true }), 'SECRET_ENCRYPT_FAILED');
    expect(broken.mailer.sent).toEqual([]);
    expect(broken.storage.raw('a')).toBe(before);
  });
});

it('the email code and cipher options together: neither the code nor the secret is at rest', async () => {
  const cipher = aesGcmSecretCipher({ keys: [{ id: 'k1', key: randomKey() }] });
  const h = cipherHarness(cipher, { email: { pepper: PEPPER } });
  const secret = await enroll(h, 'a');
  const code = await sendCode(h, 'a', ADDRESS, { sessionVerified: true });
  expectNoCode(h.storage.raw('a')!, code);
  await expectSealed(h, 'a', secret, cipher);
  h.clock.advance(COOLDOWN_MS);
  expect(await h.tf.verifyEmailCode('a', code)).toEqual({ ok: true, method: 'email', purpose: 'setup' });
  await expectSealed(h, 'a', secret, cipher);
});
