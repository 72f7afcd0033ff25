import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureNode, ensureOpenclaw } from '../../scripts/e2e-setup.mjs';
import { migrate } from '../../src/db/migrate.js';
import { validateWithOpenclaw } from '../../src/hostCheck/openclawValidate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The CLI's host check with the real `openclaw` 2026.9.6 (`--openclaw-bin`, a child process): the
 * verdict is on the config the host loads — openclaw.json with the candidate in place of its
 * include — so a binding to an agent the database removes keeps the old file, a model alias
 * openclaw.json defines keeps the setting that uses it, a nested `$include` of a missing file costs
 * only its setting, and a verdict naming no agent (two rows sharing an agentDir) is narrowed to those
 * two rows while another row's change is still written. The child gets none of the sync's secrets.
 */

const run = promisify(execFile);
const CLI = path.resolve('dist/cli/main.js');
const VERSION = '2026.9.6';

let db: TestDatabase;
let client: pg.Client;
let dir: string;
const configPath = () => path.join(dir, 'openclaw.json');
const agentsPath = () => path.join(dir, 'agents.json');

/** `sync --once` against the temp config dir, with the real host's CLI as checker. Never throws. */
async function syncOnce(env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const node = ensureNode();
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      // The row policy opens the paths these cases need (the default keeps them out of the file altogether).
      [CLI, 'sync', '--once', '--openclaw-config', configPath(), '--output', agentsPath(), '--host-version', VERSION, '--database-url', db.url, '--openclaw-bin', ensureOpenclaw(VERSION),
        '--row-settings', 'identity,modelPolicy,params,agentDir', '--verbose'],
      // Not the test runner's environment: OpenClaw's CLI prints nothing at all when VITEST=true.
      { env: { PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`, HOME: dir, ...env }, timeout: 170_000 },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

function writeConfig(config: object): void {
  fs.writeFileSync(configPath(), `${JSON.stringify({ gateway: { mode: 'local' }, ...config }, null, 2)}\n`);
}

function entries(): Record<string, Record<string, unknown>> {
  return (JSON.parse(fs.readFileSync(agentsPath(), 'utf8')) as { agents: { entries: Record<string, Record<string, unknown>> } }).agents.entries;
}

beforeAll(async () => {
  db = await createTestDatabase('e2e_host_check_merged');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await migrate(client);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

beforeEach(async () => {
  await client.query('TRUNCATE agents');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-e2e-merged-'));
});

describe(`openclaw ${VERSION} CLI: the host check on the config the host loads`, () => {
  it('can keep the current file when openclaw.json binds an agent the database deletes, naming the binding', async () => {
    writeConfig({ $include: './agents.json', bindings: [{ agentId: 'ops', match: { channel: 'telegram' } }] });
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('main', 'anthropic/claude-sonnet-4-5', true), ('ops', 'anthropic/claude-haiku-4-5', false)`);
    const first = await syncOnce();
    expect(first.code, first.output).toBe(0);
    expect(Object.keys(entries())).toEqual(['main', 'ops']);
    const before = fs.readFileSync(agentsPath(), 'utf8');

    await client.query(`DELETE FROM agents WHERE name = 'ops'`);
    const second = await syncOnce();
    expect(second.code).not.toBe(0);
    expect(second.output).toContain('openclaw.json bindings[0].agentId names "ops", which the database no longer exports; keeping the current agents.json');
    expect(fs.readFileSync(agentsPath(), 'utf8')).toBe(before);
  });

  it('can keep a setting that is valid only with the model alias openclaw.json defines', async () => {
    writeConfig({ agents: { $include: './agents.json', defaults: { models: { 'anthropic/claude-haiku-4-5': { alias: 'quick' } } } } });
    await client.query(`INSERT INTO agents (name, model, is_default, openclaw_config) VALUES ('main', 'anthropic/claude-sonnet-4-5', true, '{"modelPolicy": {"allow": ["quick"]}}')`);
    const result = await syncOnce();
    expect(result.code, result.output).toBe(0);
    const file = JSON.parse(fs.readFileSync(agentsPath(), 'utf8')) as { entries: Record<string, Record<string, unknown>> };
    expect(file.entries.main).toEqual({ model: 'anthropic/claude-sonnet-4-5', modelPolicy: { allow: ['quick'] } });
    expect(result.output).not.toMatch(/modelPolicy.*rejects/);
  });

  it('can leave out a nested $include of a missing file and write the rest', async () => {
    writeConfig({ $include: './agents.json' });
    await client.query(`INSERT INTO agents (name, model, is_default, openclaw_config) VALUES
      ('main', 'anthropic/claude-sonnet-4-5', true, '{"identity": {"name": "Main"}}'),
      ('helper', 'anthropic/claude-haiku-4-5', false, '{"identity": {"name": "Helper"}, "params": {"$include": "./missing.json"}}')`);
    const result = await syncOnce();
    expect(result.code, result.output).toBe(0);
    expect(entries()).toEqual({
      main: { model: 'anthropic/claude-sonnet-4-5', identity: { name: 'Main' } },
      helper: { model: 'anthropic/claude-haiku-4-5', identity: { name: 'Helper' } },
    });
    // The renderer refuses the loader instruction before the host is asked (a row is data).
    expect(result.output).toMatch(/name "helper"\).*params\.\$include.*a key beginning with "\$" is an instruction to the host's config loader/);
  });

  it('can narrow a verdict naming no agent to the two rows that share an agentDir, and still apply another row being disabled', async () => {
    writeConfig({ $include: './agents.json' });
    await client.query(`INSERT INTO agents (name, model, is_default, status, openclaw_config) VALUES
      ('main', 'anthropic/claude-sonnet-4-5', true, 'active', NULL),
      ('a', 'anthropic/claude-haiku-4-5', false, 'active', '{"identity": {"name": "A"}}'),
      ('b', 'anthropic/claude-haiku-4-5', false, 'active', '{"identity": {"name": "B"}}'),
      ('c', 'anthropic/claude-haiku-4-5', false, 'active', NULL),
      ('d', 'anthropic/claude-haiku-4-5', false, 'active', NULL)`);
    const first = await syncOnce();
    expect(first.code, first.output).toBe(0);
    expect(Object.keys(entries())).toEqual(['main', 'a', 'b', 'c', 'd']);

    // One directory under two names (a symlink): the renderer compares text and lets both through; the
    // host compares real paths and rejects the roster as a whole, naming no agent — bisection's case.
    const shared = path.join(dir, 'shared-agent-dir');
    const alias = path.join(dir, 'shared-agent-dir-link');
    fs.mkdirSync(shared, { recursive: true });
    fs.symlinkSync(shared, alias);
    await client.query(`UPDATE agents SET openclaw_config = jsonb_build_object('agentDir', $1::text) WHERE name = 'a'`, [shared]);
    await client.query(`UPDATE agents SET openclaw_config = jsonb_build_object('agentDir', $1::text) WHERE name = 'd'`, [alias]);
    await client.query(`UPDATE agents SET status = 'disabled' WHERE name = 'c'`);
    const second = await syncOnce();
    expect(second.code, second.output).toBe(0);
    expect(entries()).toEqual({
      main: { model: 'anthropic/claude-sonnet-4-5' },
      a: { model: 'anthropic/claude-haiku-4-5' },
      b: { model: 'anthropic/claude-haiku-4-5', identity: { name: 'B' } },
      d: { model: 'anthropic/claude-haiku-4-5' },
    });
    expect(second.output).toMatch(/name "a"\): openclaw_config: openclaw .* rejects the roster \("Duplicate agentDir detected/);
    expect(second.output).toMatch(/name "d"\): openclaw_config: openclaw .* rejects the roster/);
    expect(second.output).not.toMatch(/name "b"\): openclaw_config/);
  });

  it('can keep the sync\'s secrets out of the host-check child', async () => {
    // A setting the host rejects and whose message echoes the value it got (an unknown model policy
    // ref). With the sync's environment the child would substitute the reference and print the secret.
    writeConfig({ $include: './agents.json' });
    await client.query(`INSERT INTO agents (name, model, is_default, openclaw_config) VALUES ('main', 'anthropic/claude-sonnet-4-5', true, '{"identity": {"name": "Main"}, "modelPolicy": {"allow": ["\${AWS_SECRET_ACCESS_KEY}"]}}')`);
    const result = await syncOnce({ AWS_SECRET_ACCESS_KEY: 's3cr3t-xyz' });
    expect(result.output).toMatch(/name "main"\): openclaw_config\.modelPolicy/);
    expect(result.output).not.toContain('s3cr3t-xyz');
    expect(fs.readFileSync(agentsPath(), 'utf8')).not.toContain('s3cr3t-xyz');
  });

  it('can give the host-check child no variable of the sync\'s environment (a reference in openclaw.json stays unresolved)', async () => {
    // The reference sits in openclaw.json itself, where no escaping of row text can reach it; the host
    // echoes the value it got ("Unknown agent id …") and leaves a reference to a variable it lacks as it is.
    writeConfig({ bindings: [{ agentId: '${AWS_SECRET_ACCESS_KEY}', match: { channel: 'telegram' } }] });
    const command = { command: ensureOpenclaw(VERSION), args: [], label: 'openclaw' };
    const config = JSON.parse(fs.readFileSync(configPath(), 'utf8')) as Record<string, unknown>;
    const node = ensureNode();
    const outcome = await validateWithOpenclaw(command, { ...config, agents: { entries: { main: { model: 'anthropic/claude-sonnet-4-5' } } } }, { env: { PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`, AWS_SECRET_ACCESS_KEY: 's3cr3t-xyz' } });
    expect(JSON.stringify(outcome)).not.toContain('s3cr3t-xyz');
    expect(outcome).toEqual({ ok: true, issues: [{ path: 'bindings.0.agentId', message: expect.stringContaining('"${AWS_SECRET_ACCESS_KEY}"') as string }] });
  });
});
