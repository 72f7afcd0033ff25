import { defineConfig } from 'vitest/config';

// End-to-end tests in real OpenClaw gateways (see test/e2e/README.md).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 180_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
