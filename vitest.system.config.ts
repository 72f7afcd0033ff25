import { defineConfig } from 'vitest/config';

// Tests that need a component from the operating system's packages, not from npm: PgBouncer (Debian's
// `pgbouncer`). `.ci/run` installs it; `npm test` never needs it. Same shared PostgreSQL as `npm test`.
export default defineConfig({
  test: {
    include: ['test/system/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
