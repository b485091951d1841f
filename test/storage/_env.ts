/**
 * Which real servers the storage tests have. Locally a missing server skips its tests with a
 * message naming the variable to set; with CI=true it fails them (.ci/run starts both).
 */
import { describe, it } from 'vitest';
import type { Backend } from './_servers.js';

interface ServerInfo {
  variable: 'TWOFOLD_PG_URL' | 'TWOFOLD_REDIS_URL';
  label: string;
  example: string;
}

export const SERVERS: Record<Backend, ServerInfo> = {
  postgres: { variable: 'TWOFOLD_PG_URL', label: 'PostgreSQL', example: 'postgres://postgres@127.0.0.1:5432/postgres' },
  redis: { variable: 'TWOFOLD_REDIS_URL', label: 'Redis', example: 'redis://127.0.0.1:6379' },
};

/** Whether this is a CI run (`CI` set to anything but '', '0' or 'false'). */
export function isCI(): boolean {
  const ci = process.env['CI'];
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

/**
 * The backend's URL from the environment, or `undefined` after registering what stands in for
 * its tests: a skipped test naming the variable (locally), or a failing one (with CI=true).
 */
export function serverUrl(backend: Backend): string | undefined {
  const { variable, label, example } = SERVERS[backend];
  const url = process.env[variable];
  if (url !== undefined && url !== '') return url;
  const message = `the ${label} storage tests need a server: set ${variable} (e.g. ${variable}=${example}); see docs/storage.md`;
  if (isCI()) {
    describe(`${label} storage`, () => {
      it(`${variable} is set (required when CI=true)`, () => {
        throw new Error(`CI=true but ${message}`);
      });
    });
  } else {
    console.warn(`skipped: ${message}`);
    describe.skip(`${label} storage (skipped: set ${variable})`, () => {
      it(message, () => {});
    });
  }
  return undefined;
}

