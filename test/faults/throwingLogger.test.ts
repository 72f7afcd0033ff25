import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeLogger, type Logger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';
import { sleep } from './fixtures/convergence.js';

/**
 * STYLE §13 / docs/design.md §8 containment: nothing is thrown into the gateway from background work. The
 * host's logger is part of the world too (a closed log transport, a full disk under a file logger):
 * when it throws, the pipeline goes on and no exception reaches the host's event loop.
 */
describe('a host logger that throws', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('faults_throwing_logger');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('can keep following the database, and throw nothing into the host, while every log call throws', async () => {
    let calls = 0;
    const broken = (): never => {
      calls += 1;
      throw new Error('log transport closed');
    };
    const host: Logger = { debug: broken, info: broken, warn: broken, error: broken };
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    const sync = startPipeline(db.url, {
      connection: { connectionString: db.url, application_name: 'acs_throwing_logger' },
      logger: makeLogger(host),
      debounceMs: 10,
      maxWaitMs: 100,
      reconcileMs: 0,
      restartDelay: () => 100,
    });
    try {
      await waitFor('first sync', async () => readText(sync.outputPath) === (await expectedText(db.url)), 10_000);
      await client.query(`UPDATE agents SET model = 'm/after' WHERE name = 'alpha'`);
      await waitFor('the next commit followed', async () => readText(sync.outputPath) === (await expectedText(db.url)), 10_000);
      await sleep(300);
      console.log(`throwing logger: ${calls} log calls threw; ${uncaught.length} uncaught exception(s); restarts ${sync.running.status().restarts}`);
      expect(calls).toBeGreaterThan(0);
      expect(uncaught.map(String)).toEqual([]);
      expect(sync.running.status().restarts).toBe(0);
    } finally {
      process.off('uncaughtException', onUncaught);
      await sync.stop();
    }
  }, 30_000);
});
