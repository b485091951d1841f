/**
 * A {@link TwoFactorStorage} on Redis, with the `ioredis` driver: one hash per agent
 * (`record`, `version`), and a compare-and-set that is a short Lua script, which Redis runs
 * atomically, so it holds across any number of app servers sharing the Redis. Copy it into
 * your app; twofold itself has no dependency on `ioredis`. Tested against a real server in
 * test/storage/redis.test.ts.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * // maxRetriesPerRequest: 0 — a command in flight when the connection drops fails at once
 * // instead of being sent again after the reconnect (see below).
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 0 });
 * const twoFactor = createTwoFactor({ storage: redisStorage(redis), issuer: 'Acme Help', settings });
 * ```
 */
import type { Redis } from 'ioredis';
import type { AgentRecord, RecordVersion, StoredRecord, TwoFactorStorage } from '../../src/index.js';

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
 * - `save` runs {@link SAVE_SCRIPT}: create only if the hash is absent, update only if its
 *   version still equals `expected`; a mismatch is a lost race (`false`), not an error.
 * - Versions are random UUIDs, so one never comes back for an agent, even if its key is
 *   deleted and re-created (no ABA).
 * - A command error or a lost connection is thrown; the service reports it as
 *   `STORAGE_FAILED`. Create the client with `maxRetriesPerRequest: 0` so that a save in
 *   flight when the connection drops rejects: by default ioredis sends it again after
 *   reconnecting, and if the first one had run, the second finds its own write and reports a
 *   lost race, so the service decides again (a valid code then comes back as `replayed`).
 *
 * @param redis An `ioredis` client (not in subscriber mode).
 * @param prefix Key prefix, default `twofold:agent:`.
 */
export function redisStorage(redis: Redis, prefix = 'twofold:agent:'): TwoFactorStorage {
  return {
    async load(agentId: string): Promise<StoredRecord | null> {
      const [json, version] = await redis.hmget(prefix + agentId, 'record', 'version');
      if (json === null || json === undefined) return null;
      if (typeof version !== 'string') throw new Error(`the hash ${prefix + agentId} has a record but no version`);
      return { record: JSON.parse(json) as AgentRecord, version };
    },

    async save(agentId: string, record: AgentRecord, expected: RecordVersion | null): Promise<boolean> {
      const mode = expected === null ? 'create' : 'update';
      const written = await redis.eval(
        SAVE_SCRIPT,
        1,
        prefix + agentId,
        mode,
        expected === null ? '' : String(expected),
        JSON.stringify(record),
        globalThis.crypto.randomUUID(),
      );
      return written === 1;
    },
  };
}
