/**
 * Benchmark of one `verifyRecoveryCode` through the service on MemoryStorage (issue 14): with a
 * pepper (HMAC-SHA-256) and without (scrypt, `DEFAULTS.recovery.scrypt`). Wrong codes, so every
 * call does the full derivation and a write; the codes' own counter is reset (an untimed new set)
 * before it can lock. `benchRecovery()` returns a markdown table.
 */
import { DEFAULTS, createTwoFactor } from '../../src/index.js';
import { MemoryStorage, manualClock } from '../../src/memory.js';
import { SETTINGS, STEP_MS, T0 } from './_agents.js';
import { fmt, median } from './_measure.js';
import { totp } from '../../src/otp/totp.js';

async function perCallMs(pepper: string | undefined, calls: number): Promise<number[]> {
  const clock = manualClock(T0);
  const tf = createTwoFactor({ storage: new MemoryStorage(), issuer: 'Bench', settings: SETTINGS, clock, ...(pepper === undefined ? {} : { email: { pepper } }) });
  const provisioned = await tf.admin.provisionTotp('bench', { account: 'bench' });
  if (!provisioned.ok) throw new Error('provisionTotp refused');
  const fresh = async () => {
    clock.advance(STEP_MS);
    const ok = await tf.verifyTotp('bench', totp(provisioned.secret, { at: clock.now() }));
    if (!ok.ok) throw new Error('verifyTotp refused');
    const made = await tf.generateRecoveryCodes('bench', { sessionVerified: true });
    if (!made.ok) throw new Error(made.reason);
  };
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    if (i % 4 === 0) await fresh(); // untimed: a new set, so the 5th failure never locks
    const start = performance.now();
    const r = await tf.verifyRecoveryCode('bench', 'AAAAA-AAAAA');
    times.push(performance.now() - start);
    if (r.ok || r.reason !== 'invalid-code') throw new Error(`unexpected ${JSON.stringify(r)}`);
  }
  return times.slice(2); // the first calls warm the JIT
}

export async function benchRecovery(): Promise<string> {
  const peppered = await perCallMs('p'.repeat(32), 202);
  const scrypt = await perCallMs(undefined, 22);
  const { N, r, p } = DEFAULTS.recovery.scrypt;
  return [
    '### Service `verifyRecoveryCode` (MemoryStorage, a wrong code)',
    '',
    '| at rest | median per call | min – max | calls |',
    '| --- | ---: | ---: | ---: |',
    `| HMAC-SHA-256 under a pepper | ${fmt(median(peppered) * 1000)} µs | ${fmt(Math.min(...peppered) * 1000)} – ${fmt(Math.max(...peppered) * 1000)} µs | ${peppered.length} |`,
    `| scrypt N=2^${Math.log2(N)}, r=${r}, p=${p} (no pepper) | ${fmt(median(scrypt))} ms | ${fmt(Math.min(...scrypt))} – ${fmt(Math.max(...scrypt))} ms | ${scrypt.length} |`,
  ].join('\n');
}
