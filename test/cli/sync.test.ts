import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql, writeOpenclawJson } from './cli.js';

describe('CLI sync --once --dry-run / --diff (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_sync');
    dir = makeTempDir('sync');
    output = path.join(dir, 'agents.json');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sync = (...extra: string[]) => runCli(['sync', '--once', '--database-url', db.url, '--output', output, ...extra], dir);

  it('can print the file on --dry-run and write nothing', async () => {
    const dry = await sync('--dry-run');
    expect(dry.code).toBe(0);
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
    const printed = JSON.parse(dry.stdout) as { agents: { entries: Record<string, unknown> } };
    expect(Object.keys(printed.agents.entries)).toEqual(['alpha', 'beta']);

    // What it printed is exactly what a real sync writes.
    expect((await sync()).code).toBe(0);
    expect(fs.readFileSync(output, 'utf8')).toBe(dry.stdout);

    // With a file that would change, the dry run leaves it byte for byte as it was.
    fs.writeFileSync(output, '{"agents": {"entries": {}}}\n');
    const before = fs.readFileSync(output);
    const again = await sync('--dry-run');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(dry.stdout);
    expect(fs.readFileSync(output).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['agents.json']);
  });

  it('can say its write and up-to-date lines as the live pipeline does, and fail on a database it cannot read', async () => {
    const first = await sync();
    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`agent_config_sync: agents source agents: using columns name, model`);
    expect(first.stderr).toContain(`agent_config_sync: wrote ${output} (2 agents): new file`);

    await sql(db.url, "UPDATE agents SET model = 'openai/gpt-5-mini' WHERE name = 'beta'");
    const changed = await sync();
    expect(changed.stderr).toMatch(new RegExp(`wrote ${output.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(2 agents\\): agents\\.entries\\.beta\\.model: "[^"]+" → "openai/gpt-5-mini"`));

    const same = await sync();
    expect(same.stderr).toContain(`${output} is up to date (2 agents)`);
    expect(same.stderr).not.toContain('wrote ');

    await sql(db.url, 'DROP TABLE agents CASCADE');
    const broken = await sync();
    expect(broken.code).toBe(1);
    expect(broken.stderr).not.toContain('retry');
  });

  it('can tell with --diff whether the file would change: exit 2 when it would, 0 when not', async () => {
    const missing = await sync('--diff');
    expect(missing.code).toBe(2);
    expect(fs.existsSync(output)).toBe(false);

    expect((await sync()).code).toBe(0);
    const same = await sync('--diff');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('up to date');

    await sql(db.url, "UPDATE agents SET model = 'openai/gpt-5-mini' WHERE name = 'beta'");
    const written = fs.readFileSync(output, 'utf8');
    const changed = await sync('--diff');
    expect(changed.code).toBe(2);
    expect(changed.stdout).toContain('agents.entries.beta.model: "anthropic/claude-sonnet-4-5" → "openai/gpt-5-mini"');
    expect(fs.readFileSync(output, 'utf8')).toBe(written);

    const json = await sync('--diff', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      path: output,
      changed: true,
      changes: [{ path: 'agents.entries.beta.model', before: 'anthropic/claude-sonnet-4-5', after: 'openai/gpt-5-mini' }],
    });
  });
});

describe('CLI sync --once and the files around the output (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_sync_files');
    dir = makeTempDir('sync-files');
    output = path.join(dir, 'agents.json');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const syncTo = (target: string, ...extra: string[]) => runCli(['sync', '--once', '--database-url', db.url, '--output', target, ...extra], dir);

  it('can leave operator backups beside the file and remove only a stale temp of its own', async () => {
    const old = new Date(Date.now() - 120_000);
    const backups = ['agents.json.20261124', 'agents.json.bak', 'agents.json.1'];
    for (const name of backups) {
      fs.writeFileSync(path.join(dir, name), `{"agents": {"list": []}} // ${name}\n`);
      fs.utimesSync(path.join(dir, name), old, old);
    }
    fs.writeFileSync(path.join(dir, '.agents.json.acs-staging-99999-3.12345'), '{"agen');
    fs.utimesSync(path.join(dir, '.agents.json.acs-staging-99999-3.12345'), old, old);

    const first = await syncTo(output);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`removed 1 stale temp file(s) beside ${output}: .agents.json.acs-staging-99999-3.12345`);
    expect(fs.readdirSync(dir).sort()).toEqual(['agents.json', ...backups].sort());
    for (const name of backups) expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe(`{"agents": {"list": []}} // ${name}\n`);

    await sql(db.url, "UPDATE agents SET model = 'openai/gpt-5-mini' WHERE name = 'beta'");
    expect((await syncTo(output)).code).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['agents.json', ...backups].sort());
  });

  it('can refuse openclaw.json as --output and leave it byte for byte as it was', async () => {
    const config = writeOpenclawJson(dir, { gateway: { mode: 'local' }, $include: './agents.json', meta: { lastTouchedVersion: '2026.9.6' } });
    const before = fs.readFileSync(config);
    const result = await syncTo(config, '--openclaw-config', config);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`--output ${config}: it is the gateway's own config; refusing to write it`);
    expect(fs.readFileSync(config).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['openclaw.json']);

    // A relative one-word typo resolves to the same file.
    const typo = await syncTo('openclaw.json', '--openclaw-config', config);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain("it is the gateway's own config");
    expect(fs.readFileSync(config).equals(before)).toBe(true);
  });

  it('can refuse an existing file that is not an agents file', async () => {
    const other = path.join(dir, 'models.json');
    fs.writeFileSync(other, '{"models": {"providers": {"openai": {}}}}\n');
    const before = fs.readFileSync(other);
    const result = await syncTo(other);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`--output ${other}: the existing file is not an agents file`);
    expect(fs.readFileSync(other).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['models.json']);
  });

  it('can refuse a dangling symlink as --output, which stays a symlink', async () => {
    const missing = path.join(dir, 'managed', 'agents.json');
    fs.symlinkSync(missing, output);
    const result = await syncTo(output);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`--output ${output} is a symlink to ${missing}, which does not exist`);
    expect(fs.lstatSync(output).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(output)).toBe(missing);
    expect(fs.readdirSync(dir)).toEqual(['agents.json']);
  });
});
