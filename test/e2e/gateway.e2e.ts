import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_HOST_VERSIONS } from '../../scripts/e2e-setup.mjs';
import { migrate } from '../../src/db/migrate.js';
import { connectionsOf, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { isListening, liveRoster, makeGatewayFolder, packPlugin, startGateway, type Gateway, type GatewayFolder } from './gateway.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const APPLICATION_NAME = 'agent_config_sync';
const INSPECTOR_PORT = 9229;

/** One line per host for the table printed at the end. */
interface HostResult {
  host: string;
  format: string;
  reload: string;
  updateMs?: number;
  insertMs?: number;
  driftRepairMs?: number;
  leftoverConnections?: number;
}
const results: HostResult[] = [];
let pluginDir: string;
let packRoot: string;

beforeAll(async () => {
  packRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-e2e-plugin-'));
  pluginDir = await packPlugin(packRoot);
});

afterAll(() => {
  fs.rmSync(packRoot, { recursive: true, force: true });
  console.log('\nagent_config_sync in real OpenClaw gateways');
  console.table(results.map((r) => ({ ...r, updateMs: r.updateMs?.toFixed(0), insertMs: r.insertMs?.toFixed(0), driftRepairMs: r.driftRepairMs?.toFixed(0) })));
});

/** Polls until check() holds; returns how long it took. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.each(E2E_HOST_VERSIONS)('openclaw %s gateway with the plugin', (version) => {
  let db: TestDatabase;
  let client: pg.Client;
  let folder: GatewayFolder;
  let gateway: Gateway | undefined;
  const result: HostResult = { host: version, format: '?', reload: '?' };
  const agentsFile = () => path.join(folder.stateDir, 'agents.json');

  beforeAll(async () => {
    results.push(result);
    db = await createTestDatabase(`e2e_${version.replace(/\./g, '_')}`);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, allowed_subagents, is_default) VALUES
      ('main', 'anthropic/claude-sonnet-4-5', '{helper}', true),
      ('helper', 'anthropic/claude-haiku-4-5', NULL, false)`);
    folder = makeGatewayFolder(fs.mkdtempSync(path.join(os.tmpdir(), `acs-e2e-${version}-`)));
    // The install path: write the first file before the gateway starts (an $include of a missing file is an error).
    await run(process.execPath, [CLI, 'sync', '--once', '--output', agentsFile(), '--host-version', version, '--database-url', db.url]);
    const config = {
      $include: './agents.json',
      gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'none' } },
      plugins: {
        allow: [APPLICATION_NAME],
        load: { paths: [pluginDir] },
        entries: { [APPLICATION_NAME]: { enabled: true, config: { connectionString: db.url } } },
      },
    };
    fs.writeFileSync(folder.configPath, `${JSON.stringify(config, null, 2)}\n`);
    gateway = await startGateway(version, folder);
  });

  afterAll(async () => {
    await gateway?.stop();
    await client?.end();
    await db?.drop();
    if (folder) fs.rmSync(folder.dir, { recursive: true, force: true });
  });

  it('can start its service in the gateway and sync a file the host accepts', async () => {
    const log = () => gateway!.log();
    await within('the plugin listening', 20_000, async () => log().includes('agent_config_sync: listening on channel "agent_config_changed"'));
    const summary = /agent_config_sync: writing .*; OpenClaw (\S+) .*format (\w+), layout (\w+), reload ([^(]+)/.exec(log());
    expect(summary, log().slice(-3000)).not.toBeNull();
    result.format = summary![2]!;
    result.reload = summary![4]!.trim();
    expect(summary![1]).toBe(version);
    expect(result.format).toBe(version >= '2026.8' ? 'entries' : 'list');
    expect(result.reload).toBe(version >= '2026.8' ? 'none' : 'touch');
    const file = JSON.parse(fs.readFileSync(agentsFile(), 'utf8'));
    // The keyed roster puts the default agent first (docs/design.md §4); the list stays sorted by id.
    expect(result.format === 'entries' ? Object.keys(file.agents.entries) : file.agents.list.map((a: { id: string }) => a.id)).toEqual(result.format === 'entries' ? ['main', 'helper'] : ['helper', 'main']);
    const roster = await liveRoster(gateway!);
    expect(roster.get('main')?.primary).toBe('anthropic/claude-sonnet-4-5');
    expect(roster.get('helper')?.primary).toBe('anthropic/claude-haiku-4-5');
  });

  it('can bring a DB UPDATE of a model to the running gateway', async () => {
    await client.query(`UPDATE agents SET model = 'anthropic/claude-opus-4-1' WHERE name = 'helper'`);
    result.updateMs = await within('the new model in agents.list', 15_000, async () => (await liveRoster(gateway!)).get('helper')?.primary === 'anthropic/claude-opus-4-1');
    // Older hosts only see the change through the mtime touch of openclaw.json; newer ones watch the file itself.
    const touches = gateway!.log().match(/agent_config_sync: reload: touched/g)?.length ?? 0;
    if (result.reload === 'touch') expect(touches).toBeGreaterThanOrEqual(1);
    else expect(touches).toBe(0);
  });

  it('can bring a DB INSERT of a new agent to the running gateway', async () => {
    await client.query(`INSERT INTO agents (name, model) VALUES ('scout', 'anthropic/claude-haiku-4-5')`);
    result.insertMs = await within('the new agent in agents.list', 15_000, async () => (await liveRoster(gateway!)).has('scout'));
    expect((await liveRoster(gateway!)).get('main')?.primary).toBe('anthropic/claude-sonnet-4-5');
  });

  it('can undo another writer\'s edit of agents.json in the running gateway', async () => {
    // A hand edit (or OpenClaw's own `config set` writing through into the include): the helper's model changes.
    const synced = fs.readFileSync(agentsFile(), 'utf8');
    const file = JSON.parse(synced);
    if (result.format === 'entries') file.agents.entries.helper.model = 'tampered/by-hand';
    else file.agents.list.find((a: { id: string }) => a.id === 'helper').model = 'tampered/by-hand';
    fs.writeFileSync(agentsFile(), `${JSON.stringify(file, null, 2)}\n`);
    result.driftRepairMs = await within('the database\'s file restored', 10_000, async () => fs.readFileSync(agentsFile(), 'utf8') === synced);
    // The gateway's log reaches us through a pipe, possibly a moment after the file was restored.
    const named = /agent_config_sync: .*agents\.json was changed by another writer \(.*tampered\/by-hand/;
    await within('the log line naming the other writer\'s change', 5_000, async () => named.test(gateway!.log()));
    await within('the running roster back on the database\'s model', 15_000, async () => (await liveRoster(gateway!)).get('helper')?.primary === 'anthropic/claude-opus-4-1');
  });

  it('never opens a Node inspector', async () => {
    expect(await isListening(INSPECTOR_PORT)).toBe(false);
    expect(gateway!.log()).not.toMatch(/Debugger listening/);
  });

  it('can leave no connection behind once the gateway stops', async () => {
    expect(await connectionsOf(APPLICATION_NAME, db.name)).toBeGreaterThan(0);
    await gateway!.stop();
    await within('the plugin connections closed', 15_000, async () => (await connectionsOf(APPLICATION_NAME, db.name)) === 0);
    result.leftoverConnections = await connectionsOf(APPLICATION_NAME, db.name);
    expect(result.leftoverConnections).toBe(0);
  });
});
