/**
 * `createTwoFactor`, src/service/create.ts: wiring only. Every method of the contract is
 * there, and each reaches its flow with the one resolved config (shown by the options taking
 * effect through every path).
 */
import { describe, expect, it } from 'vitest';
import { createTwoFactor } from '../../src/index.js';
import { MemoryStorage } from '../../src/memory.js';

const METHODS = ['policy', 'skipSetup', 'beginTotpSetup', 'confirmTotpSetup', 'verifyTotp', 'sendEmailCode', 'verifyEmailCode', 'status', 'generateRecoveryCodes', 'verifyRecoveryCode', 'validateSettings'];
const ADMIN = ['provisionTotp', 'setEnforced', 'remove', 'unlock'];

describe('createTwoFactor', () => {
  it('returns exactly the methods of the contract', () => {
    const tf = createTwoFactor({ storage: new MemoryStorage(), issuer: 'Acme', settings: { totp: true, email: false, requireAll: false } });
    expect(Object.keys(tf).sort()).toEqual([...METHODS, 'admin'].sort());
    expect(Object.keys(tf.admin).sort()).toEqual([...ADMIN].sort());
    for (const m of METHODS) expect(typeof (tf as unknown as Record<string, unknown>)[m]).toBe('function');
    for (const m of ADMIN) expect(typeof (tf.admin as unknown as Record<string, unknown>)[m]).toBe('function');
  });

  it('resolves the options once: a later change to the options object has no effect', async () => {
    const options = { storage: new MemoryStorage(), issuer: 'Acme', settings: { totp: true, email: false, requireAll: false }, totp: { digits: 8 } };
    const tf = createTwoFactor(options);
    options.totp.digits = 6;
    const begun = await tf.beginTotpSetup('a', { account: 'a@example.com' });
    const provisioned = await tf.admin.provisionTotp('b', { account: 'b@example.com' });
    if (!begun.ok || !provisioned.ok) throw new Error('refused');
    expect(begun.uri).toContain('digits=8');
    expect(provisioned.uri).toContain('digits=8');
  });

  it('two services on one storage share records, not configuration', async () => {
    const storage = new MemoryStorage();
    const settings = { totp: true, email: false, requireAll: false };
    const a = createTwoFactor({ storage, issuer: 'A', settings });
    const b = createTwoFactor({ storage, issuer: 'B', settings, throttle: { freeFailures: 1, maxConsecutiveFailures: 2 } });
    await a.admin.setEnforced('x', true);
    expect((await b.status('x')).enforced).toBe(true);
    const begun = await b.beginTotpSetup('x', { account: 'x' });
    expect(begun.ok && begun.uri).toContain('issuer=B');
  });
});
