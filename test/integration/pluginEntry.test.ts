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
 * The plugin entry as OpenClaw drives it: register() may run many times (hot reloads, several times
 * at start), the host stops registrations in any order, and the connection may come from
 * channels.agent_chat — whose password an operator rotates.
 */
describe('plugin entry on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;
  let outputPath: string;
  const started: PluginService[] = [];
  const role = `acs_rot_${process.pid}`;
  const log = captureLog();

  beforeEach(async () => {
    db = await createTestDatabase('plugin_entry');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
    await withAdmin(async (admin) => {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'first-secret'`);
      await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
    }, db.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-plugin-'));
    outputPath = path.join(dir, 'agents.json');
  });

  afterEach(async () => {
    for (const service of started.splice(0)) await service.stop?.();
    await client.end();
    await db.drop();
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${role}`));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One registration, the way the gateway makes it, with the connection in channels.agent_chat. */
  function register(password: string): PluginService {
    const url = new URL(db.url);
    let service: PluginService | undefined;
    const api: PluginApi = {
      id: plugin.id,
      config: {
        channels: { agent_chat: { host: url.hostname, port: Number(url.port), database: db.name, user: role, password } },
      },
      pluginConfig: { outputPath, debounceMs: 0, maxWaitMs: 100, reload: 'none', format: 'entries', layout: 'root' },
      runtime: { version: '2026.9.6' },
      logger: log,
      registerService: (s) => (service = s),
    };
    plugin.register(api);
    if (!service) throw new Error('register() did not register a service');
    return service;
  }
  async function start(service: PluginService) {
    started.push(service);
    await service.start({});
  }
  async function stop(service: PluginService) {
    started.splice(started.indexOf(service), 1);
    await service.stop?.();
  }
  const caughtUp = async (what: string) => {
    const want = await expectedText(db.url);
    await waitFor(what, () => readText(outputPath) === want, 10_000);
  };
  const connectionsToDb = () =>
    withAdmin(async (admin) => {
      const r = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND usename = $2`, [db.name, role]);
      return Number(r.rows[0]?.n ?? 0);
    });

  it('restarts with a rotated password from channels.agent_chat after a hot reload, and keeps following', async () => {
    await start(register('first-secret'));
    await caughtUp('first sync');

    // The operator rotates the password: sessions already open stay logged in, new ones need the new one.
    await withAdmin((admin) => admin.query(`ALTER ROLE ${role} PASSWORD 'second-secret'`));
    // The gateway hot-reloads with the new openclaw.json: register() and start() again.
    await start(register('second-secret'));
    // The old sessions are gone (a restarted server, an idle timeout): only the new password works.
    await withAdmin((admin) => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]));

    await client.query(`INSERT INTO agents (name, model) VALUES ('beta', 'm/b')`);
    await caughtUp('the change after the rotation');
    expect(log.text()).toContain('settings changed; restarting the pipeline');
    expect(log.text()).not.toContain('second-secret');
    expect(log.text()).not.toContain('first-secret');
  });

  it.each([
    ['the newer registration is stopped first', 1],
    ['the older registration is stopped first', 0],
  ])('keeps syncing while one started registration remains (%s), and ends with the last', async (_name, firstStopped) => {
    const both = [register('first-secret'), register('first-secret')];
    await start(both[0]!);
    await start(both[1]!);
    await caughtUp('first sync');

    await stop(both[firstStopped]!);
    await client.query(`UPDATE agents SET model = 'm/after-one-stop' WHERE name = 'alpha'`);
    await caughtUp('the change after one registration stopped');

    await stop(both[1 - firstStopped]!);
    await waitFor('no connection left after the last stop', async () => (await connectionsToDb()) === 0, 5_000);
    await client.query(`UPDATE agents SET model = 'm/after-both' WHERE name = 'alpha'`);
    await new Promise((r) => setTimeout(r, 500));
    expect(readText(outputPath)).not.toContain('m/after-both');
  });
});
