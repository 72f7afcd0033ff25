import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_HOST_VERSIONS, ensureNode, ensureOpenclaw } from '../../scripts/e2e-setup.mjs';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { liveRoster, makeGatewayFolder, packPlugin, startGateway, type Gateway, type GatewayFolder } from './gateway.js';

/**
 * Issue 12 in the real gateways: heartbeat, thinking and an `openclaw_config` (identity.name and a
 * tools profile) reach the running gateway's config; a row whose `openclaw_config` holds invalid
 * values never makes the gateway log an invalid config, and the rest of the roster still syncs; on
 * 2026.8.2 and 2026.9.6 the database's default agent is the gateway's default (`agents.list` defaultId).
 */

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const PLUGIN = 'agent_config_sync';
/** The operator lets rows set identity and tools: what the host then rejects of them is this file's subject. */
const ROW_SETTINGS = ['identity', 'tools'];
/** What a gateway prints when its config (or an included file) does not pass its schema. */
const INVALID_CONFIG = /config (is )?invalid|invalid config|Unrecognized key|Invalid option|Invalid input|clobbered/i;

let pluginDir: string;
let packRoot: string;

beforeAll(async () => {
  packRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-e2e-settings-plugin-'));
  pluginDir = await packPlugin(packRoot);
});

afterAll(() => fs.rmSync(packRoot, { recursive: true, force: true }));

async function within(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await check()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The agents part of the running gateway's config (`gateway call config.get`), by agent id. */
async function runningAgents(gateway: Gateway): Promise<{ byId: Map<string, Record<string, unknown>>; defaults: Record<string, unknown> | undefined }> {
  const answer = (await gateway.call('config.get')) as Record<string, unknown>;
  const config = (answer.config ?? answer.resolved ?? answer.parsed ?? answer) as { agents?: { list?: Record<string, unknown>[]; entries?: Record<string, Record<string, unknown>>; defaults?: Record<string, unknown> } };
  const agents = config.agents ?? {};
  const byId = new Map<string, Record<string, unknown>>(
    agents.entries ? Object.entries(agents.entries) : (agents.list ?? []).map((a) => [a.id as string, a]),
  );
  return { byId, defaults: agents.defaults };
}

describe.each(E2E_HOST_VERSIONS)('openclaw %s: agent settings from the database', (version) => {
  let db: TestDatabase;
  let client: pg.Client;
  let folder: GatewayFolder;
  let gateway: Gateway | undefined;
  const modern = version >= '2026.8';
  const agentsFile = () => path.join(folder.stateDir, 'agents.json');

  beforeAll(async () => {
    db = await createTestDatabase(`e2e_settings_${version.replace(/\./g, '_')}`);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    // 'ops' is the default but not first by id: on ≥ 2026.8 it must still come out as the gateway's default.
    await client.query(`INSERT INTO agents (name, model, is_default, thinking, heartbeat_enabled, heartbeat_every, heartbeat_target, openclaw_config) VALUES
      ('ops', 'anthropic/claude-sonnet-4-5', true, 'high', true, '45m', 'none', NULL),
      ('helper', 'anthropic/claude-haiku-4-5', false, 'low', false, NULL, NULL, '{"identity": {"name": "Helper Bot"}, "tools": {"profile": "coding"}}'),
      ('broken', 'anthropic/claude-haiku-4-5', false, NULL, true, 'soon', NULL, '{"thinkingDefault": "banana", "banana": 1, "tools": {"profile": "banana"}, "identity": {"name": "Broken"}}')`);
    folder = makeGatewayFolder(fs.mkdtempSync(path.join(os.tmpdir(), `acs-e2e-settings-${version}-`)));
    // The install path, checked by this host's own schema through its CLI (--openclaw-bin).
    const node = ensureNode();
    const install = await run(process.execPath, [CLI, 'sync', '--once', '--output', agentsFile(), '--host-version', version, '--database-url', db.url, '--openclaw-bin', ensureOpenclaw(version), '--row-settings', ROW_SETTINGS.join(',')], {
      // Not the test runner's environment: OpenClaw's CLI prints nothing at all when VITEST=true.
      env: { PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`, HOME: folder.home },
    });
    expect(install.stderr).toMatch(/name "broken"\): openclaw_config\.tools\.profile: openclaw \(.*\) rejects it/);
    const config = {
      $include: './agents.json',
      gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'none' } },
      plugins: { allow: [PLUGIN], load: { paths: [pluginDir] }, entries: { [PLUGIN]: { enabled: true, config: { connectionString: db.url, rowSettings: ROW_SETTINGS } } } },
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

  it('can bring heartbeat, thinking, identity and a tools profile to the running gateway', async () => {
    await within('the plugin listening', 30_000, async () => gateway!.log().includes(`${PLUGIN}: listening on channel`));
    const { byId } = await runningAgents(gateway!);
    expect(byId.get('ops')).toMatchObject({ thinkingDefault: 'high', heartbeat: { every: '45m', target: 'none' } });
    expect(byId.get('helper')).toMatchObject({ thinkingDefault: 'low', identity: { name: 'Helper Bot' }, tools: { profile: 'coding' } });
    expect(byId.get('helper')).not.toHaveProperty('heartbeat');
    // The bad row: only its bad settings are gone; its good ones and the row itself stay.
    const broken = byId.get('broken')!;
    // An openai/ model would make 2026.7.35 and 2026.8.2 try to install the codex plugin from npm at startup.
    expect(broken).toMatchObject({ model: 'anthropic/claude-haiku-4-5', identity: { name: 'Broken' } });
    for (const key of ['thinkingDefault', 'banana', 'heartbeat', 'tools']) expect(broken).not.toHaveProperty(key);
    expect(gateway!.log()).toMatch(/name "broken"\): heartbeat is enabled but heartbeat_every "soon" is not a duration/);
  });

  it('can check every file with the running host\'s own validator, loaded in process', async () => {
    const line = `files are checked by OpenClaw ${version}'s own validator, in process (dist/config/config.js validateConfigObject), every render`;
    await within('the checker named in the log', 30_000, async () => gateway!.log().includes(`${PLUGIN}: ${line}`));
    // 2026.7.35's CLI asks for a scope upgrade ("pending approval") before it calls a read-scoped plugin
    // method on this auth-less test gateway, so there the log line alone names the checker.
    if (version !== '2026.7.35') {
      const report = (await gateway!.call('agent_config_sync.status')) as { hostCheck?: string };
      expect(report.hostCheck).toBe(line.replace(/^files are /, ''));
    }
    expect(gateway!.log()).not.toMatch(/could not check the file|config validate --json/);
  });

  it('can keep an invalid openclaw_config from ever reaching the gateway while the rest still syncs', async () => {
    // Checked inside the gateway by the running host's own validator: a tools profile only its schema
    // knows is bad, and an avatar outside the workspace (a rule of its validator, not of any schema).
    await client.query(`UPDATE agents SET openclaw_config = '{"tools": {"profile": "bananas"}, "identity": {"name": "Broken 2", "avatar": "../../outside.png"}}' WHERE name = 'broken'`);
    await client.query(`UPDATE agents SET model = 'anthropic/claude-opus-4-1' WHERE name = 'helper'`);
    await within('the helper model in the running roster', 30_000, async () => (await liveRoster(gateway!)).get('helper')?.primary === 'anthropic/claude-opus-4-1');
    await within('the broken row synced without its bad setting', 30_000, async () => (await runningAgents(gateway!)).byId.get('broken')?.identity !== undefined && ((await runningAgents(gateway!)).byId.get('broken')!.identity as { name?: string }).name === 'Broken 2');
    expect((await runningAgents(gateway!)).byId.get('broken')).not.toHaveProperty('tools');
    expect((await runningAgents(gateway!)).byId.get('broken')!.identity).toEqual({ name: 'Broken 2' });
    expect(gateway!.log()).toMatch(new RegExp(`name "broken"\\): openclaw_config\\.identity\\.avatar: OpenClaw ${version.replace(/\./g, '\\.')} rejects it`));
    const file = JSON.parse(fs.readFileSync(agentsFile(), 'utf8')) as { agents: Record<string, unknown> };
    expect(JSON.stringify(file)).not.toContain('bananas');
    expect(gateway!.log()).toMatch(new RegExp(`name "broken"\\): openclaw_config\\.tools\\.profile: OpenClaw ${version.replace(/\./g, '\\.')} rejects it`));
    const lines = gateway!.log().split('\n').filter((l) => INVALID_CONFIG.test(l) && !l.includes(`${PLUGIN}:`));
    expect(lines, lines.join('\n')).toEqual([]);
    expect(fs.readdirSync(folder.stateDir).filter((f) => f.includes('clobbered'))).toEqual([]);
  });

  it(modern ? 'can make the database default agent the gateway default (defaultId)' : 'can keep default: true on the list roster', async () => {
    const answer = (await gateway!.call('agents.list')) as { defaultId?: string; agents?: { id: string }[] };
    expect(answer.defaultId).toBe('ops');
    const file = JSON.parse(fs.readFileSync(agentsFile(), 'utf8')) as { agents: { defaults?: Record<string, unknown>; entries?: Record<string, unknown>; list?: { id: string; default?: boolean }[] } };
    if (modern) {
      expect(file.agents.defaults?.systemAgent).toEqual({ agentId: 'ops' });
      expect(Object.keys(file.agents.entries!)[0]).toBe('ops');
    } else {
      expect(file.agents.list!.find((a) => a.id === 'ops')?.default).toBe(true);
    }
  });
});
