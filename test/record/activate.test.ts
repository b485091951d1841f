/**
 * The activation rule of src/record/activate.ts, called directly on deep-frozen records: what
 * a method becoming active voids (pending set-ups, an email set-up code) and what
 * `supersedeOther` removes (the other method's enrollment).
 */
import { describe, expect, it } from 'vitest';
import { withMethodActivated } from '../../src/record/activate.js';
import { SETUP_CHALLENGE, fullRecord, setupRecord } from '../support/records.js';

describe('withMethodActivated', () => {
  it.each([
    ['totp', false, { email: true, challenge: false, totp: true }],
    ['totp', true, { email: false, challenge: false, totp: true }],
    ['email', false, { email: true, challenge: true, totp: true }],
    ['email', true, { email: true, challenge: true, totp: false }],
  ] as const)('%s, supersede %s', (method, supersede, kept) => {
    const base = fullRecord({ emailChallenge: SETUP_CHALLENGE, totpSetups: [setupRecord('aa')] });
    const next = withMethodActivated(base, method, supersede);
    expect(next.totpSetups).toEqual([]);
    expect(next.email !== null).toBe(kept.email);
    expect(next.emailChallenge !== null).toBe(kept.challenge);
    expect(next.totp !== null).toBe(kept.totp);
  });
});
