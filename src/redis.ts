/**
 * `twofold/redis`: a {@link TwoFactorStorage} on Redis. One hash per agent (`record`,
 * `version`), and a compare-and-set that is a short Lua script, which Redis runs atomically,
 * so it holds across any number of app servers sharing the Redis.
 *
 * Written for `ioredis` (an optional peer dependency; twofold imports nothing from it at run
 * time). Any other client works through an object with the two methods of {@link RedisLike};
 * for node-redis:
 *
 * ```ts
 * import { createClient } from 'redis';
 * const client = await createClient({ url: process.env.REDIS_URL }).connect();
 * const storage = redisStorage({
 *   hmget: (key, ...fields) => client.hmGet(key, fields),
 *   eval: (script, numKeys, ...args) =>
 *     client.eval(script, { keys: args.slice(0, numKeys), arguments: args.slice(numKeys) }),
 * });
 * ```
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createTwoFactor } from 'twofold';
 * import { redisStorage } from 'twofold/redis';
 *
 * // maxRetriesPerRequest: 0 — a command in flight when the connection drops fails at once
 * // instead of being sent again after the reconnect (see redisStorage).
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 0 });
 * const twoFactor = createTwoFactor({ storage: redisStorage(redis), issuer: 'Acme Help', settings });
 * ```
 * @module twofold/redis
 */
import type { AgentRecord } from './record/schema.js';
import type { RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';

export type { AgentRecord } from './record/schema.js';
export type { RecordVersion, StoredRecord, TwoFactorStorage } from './ports.js';

/**
 * What the adapter needs of a Redis client: `HMGET` and `EVAL`, with ioredis's signatures
 * (an ioredis `Redis` or `Cluster` has them as it is).
 */
export interface RedisLike {
  /** `HMGET key field...`: one value (or `null`) per field, in order. */
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
  /** `EVAL script numKeys key... arg...`: the script's reply (here the integer 0 or 1). */
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Options of {@link redisStorage}. */
export interface RedisStorageOptions {
  /** Key prefix: an agent's hash is at `prefix + agentId`. Default `twofold:agent:`. */
  prefix?: string;
}

/** The default key prefix. */
export const DEFAULT_PREFIX = 'twofold:agent:';

/**
 * KEYS[1] the agent's hash; ARGV: 'create' or 'update', the expected version, the record's
 * JSON, the new version. Compares and writes in one step: Redis runs a script to completion
 * before any other command.
 */
const SAVE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == 'create' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'record', ARGV[3], 'version', ARGV[4])
return 1`;

/**
 * twofold's storage port on Redis: the agent's record is the hash at `prefix + agentId`.
 *
 * - `load` is one `HMGET`: record and version come from the same write.
 * - `save` runs one Lua script (`EVAL`): create only if the hash is absent, update only if
 *   its version still equals `expected`; a mismatch is a lost race (`false`), not an error.
 * - Versions are random UUIDs, so one never comes back for an agent, even if its key is
 *   deleted or expires and is created again (no ABA).
 * - A command error or a lost connection is thrown; the service reports it as
 *   `STORAGE_FAILED`. Create the ioredis client with `maxRetriesPerRequest: 0` so that a save
 *   in flight when the connection drops rejects: by default ioredis sends it again after
 *   reconnecting, and if the first one had run, the second finds its own write and reports a
 *   lost race, so the service decides again (a valid code then comes back as `replayed`, a
 *   wrong one is counted twice).
 * - `WATCH`/`MULTI`/`EXEC` would work as well, but needs a connection of its own per
 *   transaction; the script shares one connection among all callers and costs one round trip.
 *
 * @param client An ioredis client (not in subscriber mode), or an object with the same
 *   `hmget` and `eval` (see the module's node-redis example).
 */
export function redisStorage(client: RedisLike, options?: RedisStorageOptions): TwoFactorStorage {
  if (
    client === null ||
    typeof client !== 'object' ||
    typeof (client as Partial<RedisLike>).hmget !== 'function' ||
    typeof (client as Partial<RedisLike>).eval !== 'function'
  ) {
    throw new TypeError('"client" expected an ioredis client or an object with hmget and eval methods');
  }
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new TypeError('"options" expected an object');
  }
  const prefix = options?.prefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError('"prefix" expected a string');
  return {
    async load(agentId: string): Promise<StoredRecord | null> {
      const [json, version] = await client.hmget(prefix + agentId, 'record', 'version');
      if (json === null || json === undefined) return null;
      if (typeof version !== 'string') throw new Error('the agent\'s hash has a record but no version');
      return { record: JSON.parse(json) as AgentRecord, version };
    },

    async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
      const written = await client.eval(
        SAVE_SCRIPT,
        1,
        prefix + agentId,
        expected === null ? 'create' : 'update',
        expected === null ? '' : String(expected),
        JSON.stringify(record),
        globalThis.crypto.randomUUID(),
      );
      return written === 1;
    },
  };
}
