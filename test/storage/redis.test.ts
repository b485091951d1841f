/**
 * twofold/redis (src/redis.ts) against a real Redis (TWOFOLD_REDIS_URL): the conformance kit,
 * then faults: the adapter's connection killed (CLIENT KILL) while its save is held by a
 * CLIENT PAUSE WRITE (deterministically mid-operation), and killed over and over during a run
 * of operations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { redisStorage, type RedisLike } from '../../src/redis.js';
import { manualClock } from '../../src/memory.js';
import { TwoFactorError, totp, type TwoFactor, type TwoFactorStorage } from '../../src/index.js';
import { storageConformance } from '../../src/testing/conformance.js';
import { STEP_MS, T0, TOTP_ONLY, createTwoFactor, wrongCode } from '../support/harness.js';
import { serverUrl } from './_env.js';
import { provisionForRun, runUnderKills } from './_faults.js';
import { redisClient, runId } from './_servers.js';

const T1 = T0 + STEP_MS;

const url = serverUrl('redis');


describe('twofold/redis: the client and options it takes', () => {
  it('refuses a client without hmget and eval, and a prefix that is not a string', () => {
    const client = { hmget: async () => [], eval: async () => 0 };
    expect(() => redisStorage({} as RedisLike)).toThrow(TypeError);
    expect(() => redisStorage({ hmget: client.hmget } as unknown as RedisLike)).toThrow(TypeError);
    expect(() => redisStorage(client, { prefix: 1 as unknown as string })).toThrow(TypeError);
    expect(() => redisStorage(client, { prefix: '' })).not.toThrow();
  });

  it('sends one HMGET per load and one EVAL of one key per save (what a node-redis wrapper must pass on)', async () => {
    const calls: unknown[][] = [];
    const client: RedisLike = {
      hmget: async (...args) => {
        calls.push(['hmget', ...args]);
        return [null, null];
      },
      eval: async (...args) => {
        calls.push(['eval', ...args]);
        return 1;
      },
    };
    const storage = redisStorage(client, { prefix: 'p:' });
    expect(await storage.load('a')).toBeNull();
    expect(await storage.save('a', { schema: 2 } as never, null)).toBe(true);
    expect(await storage.save('a', { schema: 2 } as never, 'v1')).toBe(true);
    expect(calls[0]).toEqual(['hmget', 'p:a', 'record', 'version']);
    const [, script, numKeys, key, mode, expected, json, version] = calls[1]!;
    expect([typeof script, numKeys, key, mode, expected, json]).toEqual(['string', 1, 'p:a', 'create', '', '{"schema":2}']);
    expect(version).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[2]!.slice(2, 6)).toEqual([1, 'p:a', 'update', 'v1']);
    for (const call of calls) for (const arg of call.slice(1)) expect(['string', 'number']).toContain(typeof arg);
  });
});

describe.runIf(url !== undefined)('twofold/redis on a Redis server', { timeout: 60_000 }, () => {
  const run = runId();
  const prefix = `twofold-test:${run}:`;
  let redis: Redis;

  beforeAll(async () => {
    redis = redisClient(url!, `twofold-conformance-${run}`);
    await redis.ping();
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis?.quit();
  });

  describe('passes the storage conformance kit', () => {
    for (const t of storageConformance(() => redisStorage(redis, { prefix }))) it(t.name, t.run);
  });

  describe('passes it with 100 concurrent writers', () => {
    const races = storageConformance(() => redisStorage(redis, { prefix }), { concurrency: 100 });
    for (const t of races.filter((c) => c.name.includes('concurrent'))) it(t.name, t.run);
  });

  it('keeps one hash per agent: the record as JSON text and a random version', async () => {
    const storage = redisStorage(redis, { prefix });
    const tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock: manualClock(T0) });
    await tf.admin.provisionTotp('row', { account: 'a@example.com' });
    const hash = await redis.hgetall(`${prefix}row`);
    expect(Object.keys(hash).sort()).toEqual(['record', 'version']);
    expect(hash['version']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(hash['record']!)).toEqual((await storage.load('row'))!.record);
  });

  it('a hash with a record but no version is an error, not a missing record', async () => {
    await redis.hset(`${prefix}broken`, 'record', '{}');
    await expect(redisStorage(redis, { prefix }).load('broken')).rejects.toThrow(/no version/);
  });

  describe('faults: the connection is killed mid-operation', () => {
    const name = `twofold-fault-${run}`;
    let victim: Redis;
    let admin: Redis;
    let storage: TwoFactorStorage;
    let clock: ReturnType<typeof manualClock>;
    let tf: TwoFactor;

    /** The ids of the adapter's connections (by CLIENT SETNAME). */
    const victimIds = async (): Promise<string[]> => {
      const list = (await admin.client('LIST')) as string;
      return list
        .split('\n')
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /^id=(\d+)/.exec(line)![1]!);
    };

    /** Kills the adapter's connections; resolves to how many. */
    const kill = async (): Promise<number> => {
      let n = 0;
      for (const id of await victimIds()) n += Number(await admin.client('KILL', 'ID', id));
      return n;
    };

    const provision = (id: string) => provisionForRun(tf, clock, id);

    beforeAll(async () => {
      admin = redisClient(url!, `twofold-admin-${run}`);
      victim = redisClient(url!, name);
      await victim.ping();
      storage = redisStorage(victim, { prefix });
      clock = manualClock(T0);
      tf = createTwoFactor({ storage, issuer: 'Acme Help', settings: TOTP_ONLY, clock, throttle: { freeFailures: 100, maxConsecutiveFailures: 1000 } });
    });
    afterAll(async () => {
      await admin?.client('UNPAUSE');
      victim?.disconnect();
      await admin?.quit();
    });

    it('a save held by CLIENT PAUSE WRITE, then killed: STORAGE_FAILED, nothing written, the same code works after', async () => {
      const id = 'save';
      const secret = await provision(id);
      const before = await storage.load(id);
      await admin.client('PAUSE', 10_000, 'WRITE'); // lifted below, at once
      let error: unknown;
      try {
        const op = tf.verifyTotp(id, totp(secret, { at: T1 })).then(
          () => undefined,
          (e: unknown) => e,
        );
        // Wait until the save's EVAL is the command the server holds for the adapter.
        for (let i = 0; i < 200; i++) {
          const list = (await admin.client('LIST')) as string;
          if (list.split('\n').some((l) => l.includes(` name=${name} `) && l.includes(' cmd=eval '))) break;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        expect(await kill()).toBe(1);
        error = await op;
      } finally {
        await admin.client('UNPAUSE');
      }
      expect(error).toBeInstanceOf(TwoFactorError);
      expect((error as TwoFactorError).code).toBe('STORAGE_FAILED');
      expect((error as TwoFactorError).cause).toBeInstanceOf(Error);

      expect(await storage.load(id)).toEqual(before);
      expect(await tf.verifyTotp(id, totp(secret, { at: T1 }))).toEqual({ ok: true, method: 'totp' });
    });

    it('connections killed over and over during 8 lanes of wrong codes: each call completes or fails, none is lost', async () => {
      const agents: Array<{ id: string; code: string; secret: string }> = [];
      for (let i = 0; i < 8; i++) {
        const id = `run-${i}`;
        const secret = await provision(id);
        agents.push({ id, secret, code: wrongCode(secret, T1) });
      }

      const report = await runUnderKills({ tf, agents, kill });

      expect(report.unexpected).toEqual([]);
      expect(report.kills).toBeGreaterThan(0);
      expect(report.failed).toBeGreaterThan(0);
      expect(report.sampleError!.cause).toBeInstanceOf(Error);
      for (const a of agents) {
        const { completed, failed } = report.perAgent.get(a.id)!;
        expect(Object.keys(completed).filter((k) => k !== 'invalid-code')).toEqual([]);
        const checked = completed['invalid-code'] ?? 0;
        // A call that failed may still have run its script (the reply was lost), so it may or
        // may not be counted; every completed one is.
        const status = await tf.status(a.id);
        expect(status.failures).toBeGreaterThanOrEqual(checked);
        expect(status.failures).toBeLessThanOrEqual(checked + failed);
        expect(await tf.verifyTotp(a.id, totp(a.secret, { at: T1 }))).toEqual({ ok: true, method: 'totp' });
      }
    });

    describe('and the conformance kit passes on the same client afterwards', () => {
      for (const t of storageConformance(() => storage, { agentPrefix: 'after' })) it(t.name, t.run);
    });
  });
});
