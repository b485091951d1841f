// The browser test runs on its own (`npm run test:e2e`), never as part of `npm test`.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 120_000, // scenarios 2 and 9 wait up to 30 s for the next TOTP step; each demo starts PGlite; the rest is room for a slow machine
    hookTimeout: 60_000,
  },
});
