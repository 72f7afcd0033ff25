import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import plugin from '../../src/index.js';
import type { CommandLike, GatewayMethodHandler, PluginApi, PluginService } from '../../src/openclaw.js';
import { STATUS_METHOD } from '../../src/plugin/statusMethod.js';
import type { SyncStatusReport } from '../../src/plugin/statusReport.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { captureLog, waitFor } from '../support/pipelineHarness.js';

/**
 * The OpenClaw-facing side as a host drives it: register() adds the service, the read-scoped
 * status method and the CLI command; the method answers from the running pipeline; a SecretRef
 * on password is resolved (env) when the host hands it over unresolved.
 */
describe('status method and secret inputs of the plugin entry (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;
  const services: PluginService[] = [];
  const log = captureLog();
  const VAR = 'ACS_TEST_STATUS_PASSWORD';

  beforeEach(async () => {
    db = await createTestDatabase('status_method');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-status-'));
  });

  afterEach(async () => {
    for (const s of services.splice(0)) await s.stop?.();
    delete process.env[VAR];
    await client.end();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Registers the plugin with a fake host that records what it registers. */
  function register(pluginConfig: Record<string, unknown>) {
    const methods = new Map<string, { handler: GatewayMethodHandler; scope?: string }>();
    const registrars: ((ctx: { program: CommandLike }) => void | Promise<void>)[] = [];
    const api: PluginApi = {
      id: plugin.id,
      config: {},
      pluginConfig,
      runtime: { version: '2026.9.6' },
      logger: log,
      registerService: (s) => services.push(s),
      registerGatewayMethod: (name, handler, options) => methods.set(name, { handler, scope: options?.scope }),
      registerCli: (registrar) => registrars.push(registrar),
    };
    plugin.register(api);
    const call = async (): Promise<SyncStatusReport> => {
      let answer: unknown;
      await methods.get(STATUS_METHOD)!.handler({ respond: (ok, payload) => (answer = ok ? payload : undefined) });
      return answer as SyncStatusReport;
    };
    return { methods, registrars, call, service: services[services.length - 1]! };
  }

  function partsOf(url: string) {
    const u = new URL(url);
    return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
  }

  it('can register a read-scoped status method that reflects the running pipeline and a database change', async () => {
    const outputPath = path.join(dir, 'agents.json');
    const { methods, registrars, call, service } = register({ connectionString: db.url, outputPath, debounceMs: 0, maxWaitMs: 100, reload: 'none', layout: 'root' });
    expect(methods.get(STATUS_METHOD)?.scope).toBe('operator.read');
    expect(registrars).toHaveLength(1);
    expect((await call()).running).toBe(false);

    await service.start({});
    await waitFor('the first write', async () => (await call()).writes === 1, 10_000);
    const first = await call();
    expect(first).toMatchObject({
      running: true,
      connected: true,
      connectionSource: 'plugin config',
      channel: 'agent_config_changed',
      source: 'agents',
      outputPath,
      host: { version: '2026.9.6', format: 'entries', layout: 'root', reload: 'none' },
      // Listen, then read: the start's one read is the listening connection's first `connected`.
      lastWrite: { agents: 1, trigger: 'connected' },
      lastError: null,
    });
    expect(first.connection).toBe(`postgres@127.0.0.1:${new URL(db.url).port}/${db.name}`);
    expect(JSON.stringify(first)).not.toContain('test-only-password');

    await client.query(`UPDATE agents SET model = 'm/b' WHERE name = 'alpha'`);
    await waitFor('the second write', async () => (await call()).writes === 2, 10_000);
    expect((await call()).lastWrite).toMatchObject({ agents: 1, changes: 1, trigger: 'notification' });
  });

  it('can say which ledger change the file holds, and name who made the changes a write brought', async () => {
    const outputPath = path.join(dir, 'agents.json');
    const { call, service } = register({ connectionString: db.url, outputPath, debounceMs: 0, maxWaitMs: 100, reload: 'none', layout: 'root' });
    const from = log.lines.length;
    const lines = () => log.lines.slice(from).map((l) => l.message).join('\n');
    await service.start({});
    await waitFor('the first write', async () => (await call()).writes === 1, 10_000);
    const mark = async () => (await client.query<{ id: string }>('SELECT max(id)::text AS id FROM agent_config_changes')).rows[0]!.id;
    const first = await mark();
    expect((await call()).syncedThrough).toBe(first);
    expect(lines()).toMatch(new RegExp(`wrote .*\\(1 agents\\): new file \\(through change ${first}\\)`));

    await client.query(`BEGIN; SET LOCAL agent_config_sync.actor = 'ops-ticket-7'; SET LOCAL application_name = 'ops-console';
      UPDATE agents SET model = 'm/b' WHERE name = 'alpha'; INSERT INTO agents (name, model) VALUES ('beta', 'm/beta'); COMMIT`);
    const second = await mark();
    await waitFor('the write of both changes', async () => (await call()).syncedThrough === second, 10_000);
    expect(lines()).toMatch(new RegExp(`wrote .*\\(2 agents\\): .*\\(changes ${Number(first) + 1}–${second} by ops-ticket-7 \\(role [a-z_0-9]+\\) via ops-console\\)`));
  });

  it('can take the password from an env SecretRef the host left unresolved, and say why it did not start without it', async () => {
    const p = partsOf(db.url);
    const config = { host: p.host, port: p.port, user: p.user, database: p.database, password: { source: 'env', provider: 'default', id: VAR }, outputPath: path.join(dir, 'agents.json'), reload: 'none', layout: 'root' };

    const without = register(config);
    await without.service.start({});
    const stopped = await without.call();
    expect(stopped.running).toBe(false);
    expect(stopped.lastError?.message).toContain(`password is a SecretRef env:default:${VAR}, but the environment variable ${VAR} is not set`);

    process.env[VAR] = p.password;
    const withVar = register(config);
    await withVar.service.start({});
    await waitFor('the first write', async () => (await withVar.call()).writes === 1, 10_000);
    expect((await withVar.call()).connected).toBe(true);
    expect(log.text()).toContain('password: SecretRef resolved by the plugin');
    expect(log.text()).not.toContain(p.password);
  });
});
