/**
 * @module policy and skipSetup (src/service/policy.ts) through the service: the grace period
 * ({ days } stored at the first call and kept, { until } stored nowhere), skipSetup, and when set-up
 * cannot be skipped. (The policy and the second-method guard agreeing: guard.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { PolicySettings } from '../../src/index.js';
import { DAY_MS, T0, TOTP_ONLY, enroll, harness, stored } from '../support/harness.js';

describe('policy and grace', () => {
  const days: PolicySettings = { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } };

  it('{ days }: the first call stores graceStartedAt, later calls keep it, graceEndsAt is fixed, then enforce', async () => {
    const h = harness({ settings: days });
    expect(h.storage.raw('a')).toBeUndefined();
    const first = await h.tf.policy('a');
    const end = new Date(T0 + 14 * DAY_MS);
    expect(first).toMatchObject({ action: 'require', reason: 'grace-period', startsGrace: true, graceEndsAt: end });
    expect(stored(h.storage, 'a')!.graceStartedAt).toBe(T0);
    expect((await h.tf.status('a')).graceStartedAt).toEqual(new Date(T0));

    h.clock.advance(3 * DAY_MS);
    const written = h.storage.raw('a');
    expect(await h.tf.policy('a')).toMatchObject({ action: 'require', startsGrace: false, graceEndsAt: end });
    expect(h.storage.raw('a')).toBe(written); // nothing new to store
    expect(await h.tf.skipSetup('a')).toEqual({ ok: true, until: end });

    h.clock.set(end.getTime() - 1);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'require' });
    h.clock.set(end);
    expect(await h.tf.policy('a')).toMatchObject({ action: 'enforce', next: 'setup', reason: 'grace-period-over' });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
    expect(stored(h.storage, 'a')!.graceStartedAt).toBe(T0);
  });

  it('{ days }: skipSetup as the first call also starts the grace', async () => {
    const h = harness({ settings: days });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: true, until: new Date(T0 + 14 * DAY_MS) });
    expect(stored(h.storage, 'a')!.graceStartedAt).toBe(T0);
  });

  it('{ days }: each agent has their own grace start', async () => {
    const h = harness({ settings: days });
    await h.tf.policy('a');
    h.clock.advance(5 * DAY_MS);
    expect(await h.tf.policy('b')).toMatchObject({ graceEndsAt: new Date(T0 + 19 * DAY_MS) });
    expect(await h.tf.policy('a')).toMatchObject({ graceEndsAt: new Date(T0 + 14 * DAY_MS) });
  });

  it('{ until }: skippable until the date, nothing stored', async () => {
    const until = new Date(T0 + 2 * DAY_MS);
    const h = harness({ settings: { totp: true, email: false, requireAll: true, gracePeriod: { until } } });
    expect(await h.tf.skipSetup('a')).toEqual({ ok: true, until });
    expect(h.storage.raw('a')).toBeUndefined();
    h.clock.set(until);
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
  });

  it.each([
    { name: 'optional (require off)', settings: TOTP_ONLY, enroll: false },
    { name: 'required with no grace period', settings: { totp: true, email: false, requireAll: true }, enroll: false },
    { name: 'no method switched on', settings: { totp: false, email: false, requireAll: false }, enroll: false },
    { name: 'enrolled (must verify)', settings: { totp: true, email: false, requireAll: true, gracePeriod: { days: 14 } }, enroll: true },
  ])('skipSetup is not-skippable when $name', async ({ settings, enroll: doEnroll }) => {
    const h = harness({ settings });
    if (doEnroll) await enroll(h, 'a');
    expect((await h.tf.policy('a')).action).not.toBe('require');
    expect(await h.tf.skipSetup('a')).toEqual({ ok: false, reason: 'not-skippable' });
  });
});
