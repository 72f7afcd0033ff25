import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import plugin from '../../src/index.js';
import type { PluginApi, PluginService } from '../../src/openclaw.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { captureLog, expectedText, readText, waitFor } from '../support/pipelineHarness.js';

/**
 * Sessions terminated by the server while the plugin is restarting its pipeline (a hot reload with new
 * settings at the moment the server restarts or an admin runs pg_terminate_backend): every pg client
 * of the old and the new pipeline must have someone listening for its 'error', or the gateway dies of
 * an unhandled error event. Repeated with the termination at many offsets, since the window is small.
 */
describe('terminating sessions while the plugin restarts its pipeline', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;
  let outputPath: string;
  const started: PluginService[] = [];
  const role = `acs_dt_${process.pid}`;
  const log = captureLog();
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);

  beforeEach(async () => {
    db = await createTestDatabase('dispose_terminate');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
    await withAdmin(async (admin) => {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'secret'`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
      await admin.query(`GRANT SELECT, INSERT, UPDATE ON agent_config_sync_gateways TO ${role}`);
    }, db.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-dispose-'));
    outputPath = path.join(dir, 'agents.json');
    process.on('uncaughtException', onUncaught);
  });

  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    for (const service of started.splice(0)) await service.stop?.();
    await client.end();
    await db.drop();
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${role}`));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function register(maxWaitMs: number, password = 'secret'): PluginService {
    const url = new URL(db.url);
    let service: PluginService | undefined;
    const api: PluginApi = {
      id: plugin.id,
      config: { channels: { agent_chat: { host: url.hostname, port: Number(url.port), database: db.name, user: role, password } } },
      pluginConfig: { outputPath, debounceMs: 0, maxWaitMs, reload: 'none', format: 'entries', layout: 'root' },
      runtime: { version: '2026.9.6' },
      logger: log,
      registerService: (s) => (service = s),
    };
    plugin.register(api);
    if (!service) throw new Error('register() did not register a service');
    return service;
  }
  const terminate = () => withAdmin((admin) => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]));

  it('survives terminations at every moment of a restart, and keeps following', async () => {
    const first = register(100);
    started.push(first);
    await first.start({});
    let want = await expectedText(db.url);
    await waitFor('first sync', () => readText(outputPath) === want, 10_000);

    for (let round = 0; round < 30; round += 1) {
      // New settings each round: the running pipeline is disposed and a new one built.
      const password = `secret-${round}`;
      await withAdmin((admin) => admin.query(`ALTER ROLE ${role} PASSWORD '${password}'`));
      const next = register(100 + (round % 2), password);
      started.push(next);
      const restart = next.start({});
      if (round % 2 === 0) await restart;
      else await new Promise((resolve) => setTimeout(resolve, (round * 37) % 400));
      await terminate();
      await restart;
      await new Promise((resolve) => setTimeout(resolve, 50));
      await terminate();
    }
    await client.query(`INSERT INTO agents (name, model) VALUES ('beta', 'm/b')`);
    want = await expectedText(db.url);
    await waitFor('the change after the terminations', () => readText(outputPath) === want, 60_000);
    expect(log.text().split('settings changed; restarting the pipeline').length - 1).toBeGreaterThanOrEqual(30);
    expect(uncaught.map((e) => (e instanceof Error ? `${e.stack} ${JSON.stringify(e)}` : String(e)))).toEqual([]);
  });
});
