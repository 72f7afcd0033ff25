import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { liveRoster, makeGatewayFolder, packPlugin, startGateway, type Gateway, type GatewayFolder } from './gateway.js';

/**
 * Inside a real 2026.9.6 gateway (the host's validator loaded in process), the host check is on the
 * config the gateway loads: a row whose setting holds a nested `$include` of a missing file loses
 * that setting while its other change reaches the running gateway; deleting an agent that
 * openclaw.json binds (`bindings[].agentId`, `talk.agentId`) writes nothing, says which reference
 * stops it, and the gateway keeps its roster and still starts after a restart.
 */

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const VERSION = '2026.9.6';
const PLUGIN = 'agent_config_sync';
/** This machine's gateways take 20–120 s to be ready while other suites run beside them. */
const READY_MS = 300_000;

let pluginDir: string;
let packRoot: string;

beforeAll(async () => {
  packRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-e2e-hostcheck-plugin-'));
  pluginDir = await packPlugin(packRoot);
});

afterAll(() => fs.rmSync(packRoot, { recursive: true, force: true }));

async function within(what: string, timeoutMs: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const started = performance.now();
  for (;;) {
    if (await check()) return;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe(`openclaw ${VERSION} gateway: the host check on the config the gateway loads`, () => {
  let db: TestDatabase;
  let client: pg.Client;
  let folder: GatewayFolder;
  let gateway: Gateway | undefined;
  const agentsFile = () => path.join(folder.stateDir, 'agents.json');
  const fileEntries = () => (JSON.parse(fs.readFileSync(agentsFile(), 'utf8')) as { agents: { entries: Record<string, Record<string, unknown>> } }).agents.entries;

  beforeAll(async () => {
    db = await createTestDatabase('e2e_host_check_gateway');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default, openclaw_config) VALUES
      ('main', 'anthropic/claude-sonnet-4-5', true, NULL),
      ('ops', 'anthropic/claude-haiku-4-5', false, NULL),
      ('helper', 'anthropic/claude-haiku-4-5', false, '{"identity": {"name": "Helper"}}')`);
    folder = makeGatewayFolder(fs.mkdtempSync(path.join(os.tmpdir(), `acs-e2e-hostcheck-${VERSION}-`)));
    // The install path writes the first file before the gateway can start.
    await run(process.execPath, [CLI, 'sync', '--once', '--output', agentsFile(), '--host-version', VERSION, '--database-url', db.url], { env: { PATH: process.env.PATH, HOME: folder.home } });
    const config = {
      $include: './agents.json',
      gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'none' } },
      bindings: [{ agentId: 'ops', match: { channel: 'telegram' } }],
      talk: { agentId: 'ops' },
      plugins: { allow: [PLUGIN], load: { paths: [pluginDir] }, entries: { [PLUGIN]: { enabled: true, config: { connectionString: db.url, rowSettings: ['identity', 'params'] } } } },
    };
    fs.writeFileSync(folder.configPath, `${JSON.stringify(config, null, 2)}\n`);
    gateway = await startGateway(VERSION, folder, READY_MS);
    await within('the plugin listening', 60_000, () => gateway!.log().includes(`${PLUGIN}: listening on channel`));
  });

  afterAll(async () => {
    await gateway?.stop();
    await client?.end();
    await db?.drop();
    if (folder) fs.rmSync(folder.dir, { recursive: true, force: true });
  });

  it('can leave out a nested $include of a missing file and still bring the row\'s other change to the gateway', async () => {
    await client.query(`UPDATE agents SET model = 'anthropic/claude-opus-4-1', openclaw_config = '{"identity": {"name": "Helper"}, "params": {"$include": "./missing.json"}}' WHERE name = 'helper'`);
    await within('the helper model in the running roster', 60_000, async () => (await liveRoster(gateway!)).get('helper')?.primary === 'anthropic/claude-opus-4-1');
    expect(fileEntries().helper).toEqual({ model: 'anthropic/claude-opus-4-1', identity: { name: 'Helper' } });
    // Refused by the renderer before the host is asked: a row is data, not a loader instruction.
    expect(gateway!.log()).toMatch(/name "helper"\).*params\.\$include.*a key beginning with "\$" is an instruction to the host's config loader/);
  });

  it('can keep the roster when openclaw.json binds an agent the database deletes, and the gateway still starts', async () => {
    const before = fs.readFileSync(agentsFile(), 'utf8');
    await client.query(`DELETE FROM agents WHERE name = 'ops'`);
    await within('the refusal naming the binding', 60_000, () => gateway!.log().includes('openclaw.json bindings[0].agentId names "ops", which the database no longer exports; keeping the current agents.json'));
    expect(gateway!.log()).toContain('openclaw.json talk.agentId names "ops"');
    expect(fs.readFileSync(agentsFile(), 'utf8')).toBe(before);
    expect([...(await liveRoster(gateway!)).keys()].sort()).toEqual(['helper', 'main', 'ops']);

    expect(await gateway!.stop()).not.toBe(78);
    gateway = await startGateway(VERSION, folder, READY_MS);
    expect([...(await liveRoster(gateway)).keys()].sort()).toEqual(['helper', 'main', 'ops']);
  }, 600_000);
});
