import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/domain/doctorChecks.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli } from './cli.js';

/** The gateway's openclaw.json in HOME/.openclaw, as an operator has it: the plugin config holds the connection. */
function writeHomeGateway(home: string, pluginConfig: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = path.join(home, '.openclaw');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'openclaw.json');
  const config = {
    $include: './agents.json',
    meta: { lastTouchedVersion: '2026.9.6' },
    // What OpenClaw's own migration of a default agent writes outside the include (doctor's default-agent check).
    talk: { agentId: 'alpha' },
    bindings: [],
    plugins: { entries: { agent_config_sync: { enabled: true, config: pluginConfig } } },
    ...extra,
  };
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** The parts of a postgres:// URL, for configs that spell the connection out. */
function partsOf(url: string): { host: string; port: number; user: string; password: string; database: string } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: u.pathname.slice(1) };
}

interface DoctorJson {
  output: string | null;
  openclawConfig: { path: string | null; from: string | null; found: boolean; error?: string };
  connection: string;
  ok: boolean;
  checks: CheckResult[];
}

describe('CLI finding the gateway by itself (HOME/.openclaw/openclaw.json, real PostgreSQL)', () => {
  let db: TestDatabase;
  let home: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_home');
    home = makeTempDir('home');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('can sync, show status and run doctor with no flags from the plugin config in ~/.openclaw/openclaw.json', async () => {
    const config = writeHomeGateway(home, { connectionString: db.url });
    const agentsFile = path.join(home, '.openclaw', 'agents.json');

    const synced = await runCli(['sync', '--once'], home);
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stderr).toContain(`using ${config} (found through ~/.openclaw)`);
    expect(synced.stderr).toContain('connection from plugin config');
    expect(synced.stderr).not.toContain('test-only-password');
    expect(Object.keys(JSON.parse(fs.readFileSync(agentsFile, 'utf8')).agents.entries)).toEqual(['alpha', 'beta']);

    const status = await runCli(['status', '--json'], home);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { path: string; agree: boolean; host: { openclawConfig?: string; openclawConfigFrom?: string } };
    expect(report).toMatchObject({ path: agentsFile, agree: true, host: { openclawConfig: config, openclawConfigFrom: '~/.openclaw' } });
    const human = await runCli(['status'], home);
    expect(human.stdout).toContain(`gateway:   ${config} (from ~/.openclaw)`);

    const doctor = await runCli(['doctor', '--json', '--timeout-ms', '1500'], home);
    const found = JSON.parse(doctor.stdout) as DoctorJson;
    // Connected as the server's superuser: the privileges check warns (a warning, not a failure).
    expect(found.checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}: ${c.status}`), doctor.stdout).toEqual(['privileges: warn']);
    expect(found).toMatchObject({ ok: true, output: agentsFile, openclawConfig: { path: config, from: '~/.openclaw', found: true } });
    expect(doctor.code).toBe(0);
    const humanDoctor = await runCli(['doctor', '--timeout-ms', '1500'], home);
    expect(humanDoctor.stdout).toContain(`using ${config} (found through ~/.openclaw)`);
  });

  it('can prefer OPENCLAW_CONFIG_PATH, then $OPENCLAW_STATE_DIR/openclaw.json, over ~/.openclaw', async () => {
    writeHomeGateway(home, { connectionString: db.url, outputPath: 'home-agents.json' });
    const stateDir = path.join(home, 'state');
    fs.mkdirSync(stateDir);
    fs.writeFileSync(path.join(stateDir, 'openclaw.json'), JSON.stringify({ plugins: { entries: { agent_config_sync: { config: { connectionString: db.url, outputPath: 'state-agents.json' } } } } }));
    const explicit = path.join(home, 'elsewhere', 'gw.json');
    fs.mkdirSync(path.dirname(explicit));
    fs.writeFileSync(explicit, JSON.stringify({ plugins: { entries: { agent_config_sync: { config: { connectionString: db.url, outputPath: 'explicit-agents.json' } } } } }));

    const viaState = await runCli(['sync', '--once'], home, { OPENCLAW_STATE_DIR: stateDir });
    expect(viaState.code, viaState.stderr).toBe(0);
    expect(viaState.stderr).toContain('found through OPENCLAW_STATE_DIR');
    expect(fs.existsSync(path.join(stateDir, 'state-agents.json'))).toBe(true);

    const viaPath = await runCli(['sync', '--once'], home, { OPENCLAW_STATE_DIR: stateDir, OPENCLAW_CONFIG_PATH: explicit });
    expect(viaPath.code, viaPath.stderr).toBe(0);
    expect(viaPath.stderr).toContain('found through OPENCLAW_CONFIG_PATH');
    expect(fs.existsSync(path.join(home, 'elsewhere', 'explicit-agents.json'))).toBe(true);
    expect(fs.existsSync(path.join(home, '.openclaw', 'home-agents.json'))).toBe(false);
  });

  it('can take the password from an env SecretRef and the host from ${VAR}, and name the key when the variable is missing', async () => {
    const p = partsOf(db.url);
    writeHomeGateway(home, {
      host: '${ACS_TEST_PGHOST}',
      port: p.port,
      user: p.user,
      database: p.database,
      password: { source: 'env', provider: 'default', id: 'ACS_TEST_PGPASSWORD' },
    });
    const ok = await runCli(['status', '--json'], home, { ACS_TEST_PGHOST: p.host, ACS_TEST_PGPASSWORD: p.password });
    expect(ok.stderr).not.toContain(p.password);
    expect(ok.code, ok.stderr).toBe(2); // no file yet: the database is read, the file disagrees
    expect((JSON.parse(ok.stdout) as { database: { agentIds: string[] } }).database.agentIds).toEqual(['alpha', 'beta']);

    const missing = await runCli(['status'], home, { ACS_TEST_PGHOST: p.host });
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain('plugins.entries.agent_config_sync.config.password is a SecretRef env:default:ACS_TEST_PGPASSWORD');
    expect(missing.stderr).toContain('ACS_TEST_PGPASSWORD is not set');
  });

  it('can take the connection from channels.agent_chat when the plugin config has none', async () => {
    const p = partsOf(db.url);
    writeHomeGateway(home, {}, { channels: { agent_chat: { host: p.host, port: p.port, user: p.user, password: p.password, database: p.database } } });
    const status = await runCli(['status'], home);
    expect(status.code, status.stderr).toBe(2);
    expect(status.stderr).toContain('connection from channels.agent_chat');
  });

  it('can let flags win over the plugin config', async () => {
    writeHomeGateway(home, { connectionString: 'postgres://nobody@127.0.0.1:1/nothing', outputPath: 'from-config.json' });
    const out = path.join(home, 'flag.json');
    const synced = await runCli(['sync', '--once', '--database-url', db.url, '--output', out], home);
    expect(synced.code, synced.stderr).toBe(0);
    expect(fs.existsSync(out)).toBe(true);
    expect(fs.existsSync(path.join(home, '.openclaw', 'from-config.json'))).toBe(false);
  });
});

describe('CLI doctor with no openclaw.json at all (real PostgreSQL)', () => {
  let db: TestDatabase;
  let home: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createTestDatabase('cli_nohome');
    home = makeTempDir('nohome');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('can fail without the triggers, list what it could not check, and pass after migrate', async () => {
    const env = { DATABASE_URL: db.url };
    const before = await runCli(['doctor', '--json', '--timeout-ms', '1000'], home, env);
    expect(before.code, before.stderr).toBe(1);
    const report = JSON.parse(before.stdout) as DoctorJson;
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    expect(byId.get('database')?.status).toBe('ok');
    expect(byId.get('schema')?.status).toBe('fail');
    expect(report.output).toBeNull();
    expect(report.openclawConfig).toMatchObject({ found: false, from: '~/.openclaw', path: path.join(home, '.openclaw', 'openclaw.json') });
    for (const id of ['output-writable', 'output-exists', 'included', 'in-sync']) {
      expect(byId.get(id), id).toMatchObject({ status: 'warn' });
      expect(byId.get(id)?.detail).toContain('not checked: no --output and no openclaw.json');
    }

    const migrated = await runCli(['migrate'], home, env);
    expect(migrated.code, migrated.stderr).toBe(0);
    const after = await runCli(['doctor', '--timeout-ms', '1500'], home, env);
    expect(after.code, after.stdout).toBe(0);
    // Eleven warnings: the output checks that need an output file (output-owner among them) and the
    // superuser this test connects as (privileges).
    expect(after.stdout).toMatch(/0 fail, 11 warn, 5 ok/);
    expect(after.stdout).toContain(`no openclaw.json: ${path.join(home, '.openclaw', 'openclaw.json')} does not exist`);
  });
});
