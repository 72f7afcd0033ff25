import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNode, ensureOpenclaw } from '../../scripts/e2e-setup.mjs';
import { migrate } from '../../src/db/migrate.js';
import { freePort } from '../globalSetup.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { envFor, makeGatewayFolder, type GatewayFolder } from './gateway.js';

/**
 * The README's install section, run as a new operator pastes it: the commands are taken from
 * README.md (fenced blocks whose info string is `bash <step> hosts=<versions>`), not retyped here, so
 * the README cannot drift from what works. Only what a person does by hand outside those blocks is
 * done by the test: getting OpenClaw (a PATH shim to the cached host), the packed tgz in the current
 * folder, a database with a roster, the private file holding its URL, and the gateway token and
 * port in the environment of the `start` block.
 */

const run = promisify(execFile);
const ID = 'agent_config_sync';
/** 2026.9.6 by default; older hosts run the same file when listed (ACS_E2E_INSTALL_HOSTS=2026.9.6,2026.8.2). */
const HOSTS = (process.env.ACS_E2E_INSTALL_HOSTS ?? '2026.9.6').split(',');
/** Where the README's commands read the database URL from (its "private file" step). */
const URL_FILE = '.config/agent-config-sync/database-url';
/** Gateway start and plugin start are slow on a loaded 2-core machine: these are failure deadlines, not speed checks. */
const READY_MS = 300_000;
const FOLLOW_MS = 120_000;

export interface ReadmeBlock {
  step: string;
  hosts: string[];
  code: string;
}

/** The runnable blocks of README's "Install into OpenClaw" section, in the order they appear. */
export function installBlocks(readme: string): ReadmeBlock[] {
  const start = readme.indexOf('\n## Install into OpenClaw\n');
  if (start < 0) return [];
  const next = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, next < 0 ? undefined : next);
  const blocks: ReadmeBlock[] = [];
  for (const match of section.matchAll(/^```bash ([a-z-]+) hosts=([0-9.,]+)\n([\s\S]*?)^```$/gm)) {
    blocks.push({ step: match[1]!, hosts: match[2]!.split(','), code: match[3]! });
  }
  return blocks;
}

/** One shell script of the blocks of a step for a host, stopping at the first failing command. */
function script(step: string, version: string): string {
  const blocks = installBlocks(fs.readFileSync('README.md', 'utf8')).filter((b) => b.step === step && b.hosts.includes(version));
  if (blocks.length === 0) throw new Error(`README.md's install section has no "${step}" commands for OpenClaw ${version}`);
  return ['set -euo pipefail', ...blocks.map((b) => b.code)].join('\n');
}

interface Result {
  code: number;
  output: string;
}

/** Runs a command with stdin closed (as a script would: no prompt can be answered) and never rejects on a non-zero exit. */
function exec(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeout: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128, output: signal ? `${output}\n(killed: ${signal})` : output });
    });
  });
}

/** Polls until check() holds; throws after timeoutMs with what was last seen. */
async function within(what: string, timeoutMs: number, check: () => Promise<boolean>, seen: () => string = () => ''): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check()) return;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not seen within ${timeoutMs} ms\n${seen().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

let packRoot: string;
let tarball: string;

beforeAll(async () => {
  packRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-e2e-install-pack-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', packRoot], { cwd: process.cwd() });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new Error('npm pack wrote nothing');
  tarball = path.join(packRoot, packed.filename);
});

afterAll(() => {
  if (packRoot) fs.rmSync(packRoot, { recursive: true, force: true });
});

describe('the README install section', () => {
  it('marks runnable blocks for 2026.9.6 that install with the consent flags, use the section layout and keep the password off the command line', () => {
    const blocks = installBlocks(fs.readFileSync('README.md', 'utf8')).filter((b) => b.hosts.includes('2026.9.6'));
    const text = blocks.map((b) => b.code).join('\n');
    expect(text).toContain('openclaw plugins install ./agent-config-sync-');
    expect(text).toContain('--force --accept-capabilities');
    expect(text).toContain('$include: "./agents.json"');
    expect(text).toContain('--database-url-file');
    expect(text).not.toMatch(/npx agent-config-sync|--database-url |postgres:\/\/[^@\s]*:[^@\s]*@/);
    expect(blocks.some((b) => b.step === 'prompt-off' && b.code.includes('hooks.allowPromptInjection false'))).toBe(true);
    expect(blocks.some((b) => b.step === 'start' && b.code.includes('openclaw gateway') && b.code.includes('--auth token'))).toBe(true);
  });
});

describe.each(HOSTS)('openclaw %s: the README install commands, pasted into a fresh state dir', (version) => {
  let db: TestDatabase;
  let client: pg.Client;
  let folder: GatewayFolder;
  let node: string;
  let entry: string;
  let gateway: { process: ChildProcess; port: number; log: () => string; exited: Promise<unknown> } | undefined;
  const token = `acs-e2e-${Math.random().toString(36).slice(2)}`;

  /**
   * What an operator's shell has: HOME and OpenClaw's folders (all under one temp dir), `openclaw`
   * and Node 24 on PATH, the machine's TLS trust (the installer runs npm for the plugin's
   * dependencies). No PG* or DATABASE_URL: the database is reached only through the README's URL file.
   */
  const shellEnv = (): NodeJS.ProcessEnv => {
    const env = envFor(folder, 0, node);
    delete env.OPENCLAW_GATEWAY_PORT;
    env.PATH = `${path.join(folder.dir, 'bin')}:${env.PATH ?? ''}`;
    for (const key of ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR']) if (process.env[key]) env[key] = process.env[key];
    return env;
  };
  const gatewayEnv = (port: number): NodeJS.ProcessEnv => ({ ...shellEnv(), OPENCLAW_GATEWAY_PORT: String(port), OPENCLAW_GATEWAY_TOKEN: token });
  const config = () => JSON.parse(fs.readFileSync(folder.configPath, 'utf8')) as Record<string, any>;

  /**
   * The README's `start` block (one command, run with `exec` so that stopping it stops the gateway),
   * with the token and a free port in the environment. Ready once the plugin listens.
   */
  async function startGateway(): Promise<void> {
    const port = await freePort();
    let output = '';
    const lines = script('start', version).split('\n').slice(1).filter((line) => line.trim() !== '');
    if (lines.length !== 1) throw new Error(`README.md's "start" block for OpenClaw ${version} should be one command, got:\n${lines.join('\n')}`);
    const child = spawn('bash', ['-c', `exec ${lines[0]}`], {
      cwd: folder.dir,
      env: gatewayEnv(port),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    gateway = { process: child, port, log: () => output, exited };
    await within(`openclaw ${version}: the plugin listening`, READY_MS, async () => {
      if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output.slice(-4000)}`);
      return output.includes(`${ID}: listening on channel "agent_config_changed"`);
    }, () => output);
  }

  async function stopGateway(): Promise<void> {
    const child = gateway?.process;
    if (!child || !gateway) return;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await gateway.exited;
    clearTimeout(timer);
    gateway = undefined;
  }

  /** The helper agent's model as the running gateway reports it (`openclaw gateway call agents.list --json`). */
  async function liveModel(agent: string): Promise<string | undefined> {
    if (!gateway) return undefined;
    const answer = await exec(node, [entry, 'gateway', 'call', 'agents.list', '--json', '--timeout', '60000'], gatewayEnv(gateway.port), folder.dir, 90_000);
    if (answer.code !== 0) return undefined;
    const parsed = JSON.parse(answer.output.slice(answer.output.indexOf('{'))) as { agents?: { id: string; model?: string | { primary?: string } }[] };
    const model = parsed.agents?.find((a) => a.id === agent)?.model;
    return typeof model === 'string' ? model : model?.primary;
  }

  async function follows(model: string): Promise<void> {
    await client.query(`UPDATE agents SET model = $1 WHERE name = 'helper'`, [model]);
    let seen: string | undefined;
    await within(`openclaw ${version}: agents.list showing helper on ${model}`, FOLLOW_MS, async () => (seen = await liveModel('helper')) === model, () => `last seen: ${seen}\n${gateway?.log() ?? ''}`);
  }

  beforeAll(async () => {
    node = ensureNode();
    entry = ensureOpenclaw(version);
    db = await createTestDatabase(`e2e_install_${version.replace(/\./g, '_')}`);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // The operator's database already has its roster (models OpenClaw resolves without installing anything).
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, allowed_subagents, is_default) VALUES
      ('main', 'anthropic/claude-sonnet-4-5', '{helper}', true),
      ('helper', 'anthropic/claude-haiku-4-5', NULL, false)`);

    folder = makeGatewayFolder(fs.mkdtempSync(path.join(os.tmpdir(), `acs-e2e-install-${version}-`)));
    // Only gateway.mode preset; everything else comes from the README's commands.
    fs.writeFileSync(folder.configPath, `${JSON.stringify({ gateway: { mode: 'local' } }, null, 2)}\n`);
    // "npm install -g openclaw@<version>", as a shim to the cached host.
    fs.mkdirSync(path.join(folder.dir, 'bin'));
    fs.writeFileSync(path.join(folder.dir, 'bin', 'openclaw'), `#!/bin/sh\nexec ${JSON.stringify(node)} ${JSON.stringify(entry)} "$@"\n`, { mode: 0o755 });
    // The tgz copied to the gateway host, in the folder the commands run in.
    fs.copyFileSync(tarball, path.join(folder.dir, path.basename(tarball)));
    // The private file with the database URL.
    const urlFile = path.join(folder.home, URL_FILE);
    fs.mkdirSync(path.dirname(urlFile), { recursive: true });
    fs.writeFileSync(urlFile, `${db.url}\n`, { mode: 0o600 });

    const installed = await exec('bash', ['-c', script('install', version)], shellEnv(), folder.dir, 900_000);
    expect(installed.code, installed.output).toBe(0);
  });

  afterAll(async () => {
    await stopGateway();
    await client?.end();
    await db?.drop();
    if (folder) fs.rmSync(folder.dir, { recursive: true, force: true });
  });

  it('installs the plugin into the state dir, includes agents.json as a section and keeps the password out of openclaw.json', () => {
    expect(fs.existsSync(path.join(folder.stateDir, 'extensions', ID, 'dist', 'index.js'))).toBe(true);
    const written = config();
    expect(written.gateway?.mode).toBe('local');
    expect(written.agents).toEqual({ $include: './agents.json' });
    expect(written.plugins?.entries?.[ID]?.enabled).toBe(true);
    expect(fs.readFileSync(folder.configPath, 'utf8')).not.toContain(decodeURIComponent(new URL(db.url).password));
    const agents = JSON.parse(fs.readFileSync(path.join(folder.stateDir, 'agents.json'), 'utf8')) as Record<string, unknown>;
    expect(JSON.stringify(agents)).toContain('anthropic/claude-haiku-4-5');
  });

  it('starts the gateway, which follows a database change', async () => {
    await startGateway();
    await follows('anthropic/claude-opus-4-1');
  });

  it('still syncs with prompt access off (the README command, then a restart)', async () => {
    await stopGateway();
    const off = await exec('bash', ['-c', script('prompt-off', version)], shellEnv(), folder.dir, 300_000);
    expect(off.code, off.output).toBe(0);
    expect(config().plugins?.entries?.[ID]?.hooks?.allowPromptInjection).toBe(false);
    await startGateway();
    await follows('anthropic/claude-sonnet-4-5');
  });
});
