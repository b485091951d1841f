import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    qr: 'src/qr.ts',
    memory: 'src/memory.ts',
    testing: 'src/testing/conformance.ts',
    postgres: 'src/postgres.ts',
    redis: 'src/redis.ts',
  },
  format: ['esm', 'cjs'],
  // tsup's declaration build sets `baseUrl`, which TypeScript 6 reports as deprecated (TS5101)
  // and turns into an error; the option only silences that notice.
  dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
});
