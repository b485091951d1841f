/**
 * A worker of the crash test: `node --import tsx _crash-worker.ts <backend> <url> <json>`, where
 * json is `{ agents: [{ id, secret }], t0 }`. It opens its own connection and, until it is
 * killed, logs in every agent with the code of each next step, as fast as it can, printing one
 * line `ok <agentId> <step>` per accepted code (written synchronously, so a line is out before
 * the next call starts). Killed with SIGKILL by the parent, mid-burst.
 */
import { writeSync } from 'node:fs';
import { createTwoFactor, totp } from '../../src/index.js';
import { manualClock } from '../../src/memory.js';
import { connect, type Backend } from './_servers.js';

const [backend, url, json] = process.argv.slice(2) as [Backend, string, string];
const { agents, t0 } = JSON.parse(json) as { agents: Array<{ id: string; secret: string }>; t0: number };
const connection = await connect(backend, url, 'twofold-crash');
const clock = manualClock(t0);
const tf = createTwoFactor({ storage: connection.storage, issuer: 'Crash', settings: { totp: true, email: false, requireAll: false }, clock, storageAttempts: 100 });
writeSync(1, 'ready\n');
for (let step = 1; ; step++) {
  clock.set(t0 + step * 30_000);
  await Promise.all(
    agents.map(async ({ id, secret }) => {
      const result = await tf.verifyTotp(id, totp(secret, { at: clock.now() }));
      if (result.ok) writeSync(1, `ok ${id} ${step}\n`);
    }),
  );
}
