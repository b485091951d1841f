// The browser test runs on its own (`npm run test:e2e`), never as part of `npm test`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 150_000, // scenario 4 waits out the one-minute email resend cooldown
    hookTimeout: 60_000,
  },
});
