import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNode, ensureOpenclaw } from '../../scripts/e2e-setup.mjs';
import { migrate } from '../../src/db/migrate.js';
import type { SyncStatusReport } from '../../src/plugin/statusReport.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { envFor, makeGatewayFolder, startGateway, type Gateway, type GatewayFolder } from './gateway.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const ID = 'agent_config_sync';
/** The hosts the issue asks for; older ones run the same file when listed here. */
const HOSTS = (process.env.ACS_E2E_HOME_HOSTS ?? '2026.8.2,2026.9.6').split(',');
const PASSWORD_VAR = 'ACS_E2E_PGPASSWORD';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command with stdin closed (an open stdin makes "plugins install" wait for a prompt answer)
 * and resolves with its exit code and output; never rejects on a non-zero exit. Killed after `timeout`.
 */
function exec(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeout = 120_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr: signal ? `${stderr}\n(killed: ${signal})` : stderr });
    });
  });
}

/** `npm pack` of this project: the tgz an operator installs. */
async function packTarball(root: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: process.cwd() });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new Error('npm pack wrote nothing');
  return path.join(root, packed.filename);
}

/** Polls until check() holds. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

let packRoot: string;
let tarball: string;

beforeAll(async () => {
  packRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-e2e-home-pack-'));
  tarball = await packTarball(packRoot);
});

afterAll(() => {
  fs.rmSync(packRoot, { recursive: true, force: true });
});

describe.each(HOSTS)('openclaw %s: the plugin at home (plugins install, status method, CLI, SecretRef)', (version) => {
  let db: TestDatabase;
  let client: pg.Client;
  let folder: GatewayFolder;
  let gateway: Gateway | undefined;
  let node: string;
  let entry: string;
  let password: string;
  /**
   * The environment of every command: the gateway's folders, the SecretRef's variable, and this
   * machine's TLS trust (npm, run by "plugins install", needs it to reach the registry). Without a
   * gateway, no OPENCLAW_GATEWAY_PORT: "plugins install" would wait for a gateway on it.
   */
  const envOf = (port?: number): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...envFor(folder, port ?? 0, node), [PASSWORD_VAR]: password };
    for (const key of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) if (process.env[key]) env[key] = process.env[key];
    if (port === undefined) delete env.OPENCLAW_GATEWAY_PORT;
    return env;
  };
  const openclaw = (args: string[], timeout?: number) => exec(node, [entry, ...args], envOf(gateway?.port), folder.dir, timeout);
  const agentsFile = () => path.join(folder.stateDir, 'agents.json');
  let installOutput = '';

  beforeAll(async () => {
    node = ensureNode();
    entry = ensureOpenclaw(version);
    db = await createTestDatabase(`e2e_home_${version.replace(/\./g, '_')}`);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, allowed_subagents, is_default) VALUES
      ('main', 'anthropic/claude-sonnet-4-5', '{helper}', true),
      ('helper', 'anthropic/claude-haiku-4-5', NULL, false)`);
    const url = new URL(db.url);
    password = decodeURIComponent(url.password);
    folder = makeGatewayFolder(fs.mkdtempSync(path.join(os.tmpdir(), `acs-e2e-home-${version}-`)));
    // The password is not in openclaw.json: a SecretRef names the environment variable that holds it.
    // The section layout: 2026.9.6 refuses "plugins install" while openclaw.json has a root-level $include
    // ("Config plugins are stored through an unsupported $include shape at the root").
    const config = {
      agents: { $include: './agents.json' },
      meta: { lastTouchedVersion: version },
      gateway: { mode: 'local', bind: 'loopback', auth: { mode: 'none' } },
      plugins: {
        allow: [ID],
        entries: {
          [ID]: {
            enabled: true,
            config: {
              host: url.hostname,
              port: Number(url.port),
              user: decodeURIComponent(url.username),
              database: url.pathname.slice(1),
              password: { source: 'env', provider: 'default', id: PASSWORD_VAR },
            },
          },
        },
      },
    };
    fs.writeFileSync(folder.configPath, `${JSON.stringify(config, null, 2)}\n`);

    // The install path: the standalone CLI finds openclaw.json by itself (OPENCLAW_CONFIG_PATH) and writes the first file.
    const first = await exec(process.execPath, [CLI, 'sync', '--once'], envOf(), folder.dir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`using ${folder.configPath} (found through OPENCLAW_CONFIG_PATH)`);
    expect(fs.existsSync(agentsFile())).toBe(true);

    // The packed tgz, installed as an operator would; non-interactive, so the local source is confirmed with --force.
    const help = await openclaw(['plugins', 'install', '--help']);
    const flags = ['--force', ...(help.stdout.includes('--accept-capabilities') ? ['--accept-capabilities'] : [])];
    const installed = await openclaw(['plugins', 'install', tarball, ...flags], 180_000);
    installOutput = `${installed.stdout}\n${installed.stderr}`;
    expect(installed.code, installOutput).toBe(0);

    gateway = await startGateway(version, folder, 90_000, { [PASSWORD_VAR]: password });
    await within('the plugin listening', 30_000, async () => gateway!.log().includes(`${ID}: listening on channel "agent_config_changed"`));
  });

  afterAll(async () => {
    await gateway?.stop();
    await client?.end();
    await db?.drop();
    if (folder) fs.rmSync(folder.dir, { recursive: true, force: true });
  });

  it('can be installed from the packed tgz with "openclaw plugins install", loaded and enabled', async () => {
    const listed = await openclaw(['plugins', 'list', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const text = listed.stdout.slice(listed.stdout.indexOf('{'));
    const plugins = (JSON.parse(text) as { plugins?: { id: string; enabled?: boolean; status?: string; origin?: string; source?: string }[] }).plugins ?? [];
    const ours = plugins.find((p) => p.id === ID);
    expect(ours, listed.stdout.slice(0, 2000)).toBeDefined();
    expect(ours!.enabled).toBe(true);
    expect(ours!.status).toBe('loaded');
    // Installed into the state dir's extensions, not loaded from a path of this checkout.
    expect(JSON.stringify(ours)).toContain(folder.stateDir);
  });

  it('can take the password from an env SecretRef, never logging it', async () => {
    const report = (await gateway!.call('agent_config_sync.status')) as SyncStatusReport;
    expect(report.connected).toBe(true);
    expect(report.connectionSource).toBe('plugin config');
    expect(fs.readFileSync(folder.configPath, 'utf8')).not.toContain(password);
    expect(gateway!.log()).not.toContain(password);
    // The host resolved it (manifest configContracts.secretInputs), not the plugin's own env fallback.
    expect(gateway!.log()).not.toContain('SecretRef resolved by the plugin');
  });

  it('can answer "gateway call agent_config_sync.status" and reflect a database change', async () => {
    const before = (await gateway!.call('agent_config_sync.status')) as SyncStatusReport;
    expect(before).toMatchObject({
      plugin: ID,
      running: true,
      channel: 'agent_config_changed',
      source: 'agents',
      outputPath: agentsFile(),
      host: { version, format: version >= '2026.8' ? 'entries' : 'list', reload: version >= '2026.8' ? 'none' : 'touch' },
    });
    expect(before.connection).toMatch(/@127\.0\.0\.1:\d+\//);
    expect(JSON.stringify(before)).not.toContain(password);
    const writes = before.writes;

    await client.query(`UPDATE agents SET model = 'anthropic/claude-opus-4-1' WHERE name = 'helper'`);
    let after = before;
    await within('a write in the status', 15_000, async () => {
      after = (await gateway!.call('agent_config_sync.status')) as SyncStatusReport;
      return after.writes > writes;
    });
    expect(after.lastWrite).toMatchObject({ agents: 2, trigger: 'notification' });
    expect(after.lastWrite!.changes).toBeGreaterThanOrEqual(1);
    expect(after.lastWrite!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(after.lastError).toBeNull();
    expect(after.reconnects).toBe(0);
  });

  it('can run "openclaw agent-config-sync status", "diff" and "doctor" against the gateway\'s config, with the CLI\'s exit codes', async () => {
    const status = await openclaw(['agent-config-sync', 'status', '--json']);
    expect(status.code, `${status.stdout}\n${status.stderr}`).toBe(0);
    const report = JSON.parse(status.stdout.slice(status.stdout.indexOf('{'))) as { path: string; agree: boolean; host: { openclawConfig?: string; openclawConfigFrom?: string } };
    expect(report).toMatchObject({ path: agentsFile(), agree: true, host: { openclawConfig: folder.configPath, openclawConfigFrom: 'the gateway' } });

    const diff = await openclaw(['agent-config-sync', 'diff']);
    expect(diff.code, `${diff.stdout}\n${diff.stderr}`).toBe(0);
    expect(diff.stdout).toContain('up to date');

    const doctor = await openclaw(['agent-config-sync', 'doctor', '--timeout-ms', '3000']);
    expect(doctor.stdout).toContain('agent-config-sync doctor:');
    expect(doctor.stdout).toContain(`using ${folder.configPath} (from the gateway)`);
    expect(doctor.stdout).toMatch(/0 fail, \d+ warn, \d+ ok/);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(`${status.stdout}${status.stderr}${doctor.stdout}${doctor.stderr}`).not.toContain(password);

    // A difference is exit 2, as in the standalone CLI: the gateway is stopped so nothing repairs it first.
    const stopped = await gateway!.stop();
    expect(stopped === 0 || stopped === null).toBe(true);
    const good = fs.readFileSync(agentsFile(), 'utf8');
    fs.writeFileSync(agentsFile(), good.replace('anthropic/claude-sonnet-4-5', 'tampered/by-hand'));
    const differs = await openclaw(['agent-config-sync', 'diff']);
    expect(differs.code, `${differs.stdout}\n${differs.stderr}`).toBe(2);
    expect(differs.stdout).toContain('tampered/by-hand');
    const synced = await openclaw(['agent-config-sync', 'sync']);
    expect(synced.code, synced.stderr).toBe(0);
    expect(fs.readFileSync(agentsFile(), 'utf8')).toBe(good);
  });
});
