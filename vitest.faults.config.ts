import { defineConfig } from 'vitest/config';

// Fault suite: connection kills, a stopped server, killed writers, an unwritable output,
// gateway-style restarts and the security checks. Same shared PostgreSQL as `npm test`;
// files run one at a time because several of them stop servers or kill processes.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
