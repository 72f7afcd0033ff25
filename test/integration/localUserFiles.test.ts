import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeFileSink } from '../../src/sinks/file.js';
import { checkOutputPath, OutputPathError } from '../../src/sinks/outputGuard.js';
import { assertBuilt, runCli } from '../cli/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

// A local user of the gateway host is trusted with nothing (the sync runs as root here; the other
// user is the real OS user `nobody`). Each attack below changed a root-only file or openclaw.json
// before the staging and ownership rules.

const NOBODY = { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) };
const SECRET = 'root only: the gateway token\n';
/** How many writes of this process the planted names cover (the old scheme counted them from 1). */
const COUNTERS = 40;

/**
 * Every name the old staging scheme would use in this process for `base`: its staging file
 * `.<base>.acs-staging-<pid>-<n>`, and write-file-atomic's temp of it, `<staging>.<first 32 bits of
 * sha1(its module path, pid, thread id, invocation count)>`, which anyone can compute from the pid.
 */
function oldSchemeNames(base: string): string[] {
  const modulePaths = new Set([path.resolve('node_modules/write-file-atomic/lib/index.js')]);
  try {
    modulePaths.add(path.join(fs.realpathSync('node_modules'), 'write-file-atomic/lib/index.js'));
  } catch {
    // No node_modules link: the path as given is the only candidate.
  }
  const names: string[] = [];
  for (let n = 1; n <= COUNTERS; n++) {
    const staging = `.${base}.acs-staging-${process.pid}-${n}`;
    names.push(staging);
    for (const modulePath of modulePaths) {
      for (let c = 1; c <= COUNTERS; c++) {
        const hash = createHash('sha1').update(modulePath).update(String(process.pid)).update(String(threadId)).update(String(c)).digest().readUInt32BE(0);
        names.push(`${staging}.${hash}`);
      }
    }
  }
  return names;
}

/** Plants a symlink to `target` at each name in `dir`, as `nobody` when `asNobody`, else as this (root) process. */
function plantLinks(dir: string, names: string[], target: string, asNobody: boolean): void {
  if (!asNobody) {
    for (const name of names) fs.symlinkSync(target, path.join(dir, name));
    return;
  }
  const script = `const fs = require('fs'), path = require('path'); const [dir, target] = process.argv.slice(1);
    for (const name of JSON.parse(fs.readFileSync(0, 'utf8'))) fs.symlinkSync(target, path.join(dir, name));`;
  const done = spawnSync(process.execPath, ['-e', script, dir, target], { ...NOBODY, cwd: '/', input: JSON.stringify(names), encoding: 'utf8' });
  expect(done.status, done.stderr).toBe(0);
  expect(fs.lstatSync(path.join(dir, names[0]!)).uid).toBe(NOBODY.uid);
}

/** The root-only file an attacker points the links at: its text, mode and inode must never change. */
function makeSecret(dir: string): { file: string; unchanged(): void } {
  const file = path.join(dir, 'secret.txt');
  fs.writeFileSync(file, SECRET, { mode: 0o600 });
  const before = fs.statSync(file);
  return {
    file,
    unchanged() {
      const now = fs.statSync(file);
      expect(fs.readFileSync(file, 'utf8')).toBe(SECRET);
      expect(now.mode & 0o7777).toBe(0o600);
      expect([now.ino, now.uid]).toEqual([before.ino, before.uid]);
    },
  };
}

const ROSTER = (model: string) => `${JSON.stringify({ agents: { entries: { alpha: { model } } } }, null, 2)}\n`;

let base: string;
beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-local-user-'));
  // nobody must be able to reach the shared directory inside; the secret itself stays 0600.
  fs.chmodSync(base, 0o755);
});
afterEach(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

describe('a local user and the output directory', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('local_user_files');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await migrate(client);
      await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
    } finally {
      await client.end();
    }
  });
  afterAll(async () => {
    await db.drop();
  });

  it('can refuse a sticky shared directory (1777) at start, naming it, while nobody has planted links at its staging names', async () => {
    const secret = makeSecret(base);
    const shared = path.join(base, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    const file = path.join(shared, 'agents.json');
    fs.writeFileSync(file, ROSTER('m/old'));
    plantLinks(shared, oldSchemeNames('agents.json'), secret.file, true);

    // The CLI's start: refused before anything is read or written.
    const cli = await runCli(['sync', '--once', '--database-url', db.url, '--output', file], base);
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(`the output directory ${shared} is writable by its group and other users (sticky, which still lets them create names)`);
    expect(cli.stderr).toContain('mode 1777');
    expect(cli.stderr).toContain(`chmod go-w ${shared}`);
    expect(() => checkOutputPath(file)).toThrow(OutputPathError);

    // A sink made anyway (as a running sync whose directory was opened up) refuses each write.
    await expect(makeFileSink(file).write(ROSTER('m/new'))).rejects.toThrow(`the output directory ${shared} is writable by its group and other users`);
    secret.unchanged();
    expect(readText(file)).toBe(ROSTER('m/old'));
  });

  it('can write in a directory it accepts without following a link at any name the old staging scheme would use', async () => {
    const secret = makeSecret(base);
    const dir = path.join(base, 'state');
    fs.mkdirSync(dir, { mode: 0o700 });
    const file = path.join(dir, 'agents.json');
    fs.writeFileSync(file, ROSTER('m/old'));
    const planted = oldSchemeNames('agents.json');
    plantLinks(dir, planted, secret.file, false);

    const sink = makeFileSink(file);
    for (const model of ['m/1', 'm/2', 'm/3']) expect(await sink.write(ROSTER(model))).toBe('written');

    secret.unchanged();
    expect(readText(file)).toBe(ROSTER('m/3'));
    expect(fs.lstatSync(file).isFile()).toBe(true);
    for (const name of planted) expect(fs.readlinkSync(path.join(dir, name))).toBe(secret.file);
    expect(fs.readdirSync(dir).sort()).toEqual(['agents.json', ...planted].sort());
  });

  it('can keep openclaw.json intact when agents.json is swapped for a symlink to it while running, and warn', async () => {
    const dir = path.join(base, 'state');
    fs.mkdirSync(dir, { mode: 0o700 });
    const config = path.join(dir, 'openclaw.json');
    const openclaw = '{\n  // the operator\'s config\n  gateway: { mode: "local", auth: { token: "t0ken" } },\n  $include: "./agents.json",\n}\n';
    fs.writeFileSync(config, openclaw, { mode: 0o600 });
    const file = path.join(dir, 'agents.json');
    const sync = startPipeline(db.url, { outputPath: file, configPath: config });
    try {
      await waitFor('the first sync', async () => readText(file) === (await expectedText(db.url)), 10_000);
      const link = path.join(dir, '.swap');
      fs.symlinkSync(config, link);
      fs.renameSync(link, file);
      // The swap is drift (the file's text changed); a database change asks for a write too.
      await query(db.url, `UPDATE agents SET model = 'm/after-swap' WHERE name = 'alpha'`);
      await waitFor('the refused write to be warned', () => sync.log.lines.some((l) => l.level === 'warn' && l.message.includes(`now leads to ${config}`)), 10_000);
      expect(fs.readFileSync(config, 'utf8')).toBe(openclaw);
      expect(fs.statSync(config).mode & 0o7777).toBe(0o600);
      expect(fs.readlinkSync(file)).toBe(config);
      expect(sync.running.status().driftRepairs).toBe(0);
    } finally {
      await sync.stop();
    }
    expect(fs.readFileSync(config, 'utf8')).toBe(openclaw);
  });

  it('can keep the old file and warn when its directory is opened to other users while running, and write again once it is closed', async () => {
    const dir = path.join(base, 'state');
    fs.mkdirSync(dir, { mode: 0o755 });
    const file = path.join(dir, 'agents.json');
    await query(db.url, `UPDATE agents SET model = 'm/a' WHERE name = 'alpha'`);
    const sync = startPipeline(db.url, { outputPath: file });
    try {
      await waitFor('the first sync', async () => readText(file) === (await expectedText(db.url)), 10_000);
      const old = readText(file);
      fs.chmodSync(dir, 0o1777);
      await query(db.url, `UPDATE agents SET model = 'm/while-shared' WHERE name = 'alpha'`);
      await waitFor('the refused write to be warned', () => sync.log.lines.some((l) => l.level === 'warn' && l.message.includes(`chmod go-w ${dir}`)), 10_000);
      expect(readText(file)).toBe(old);

      fs.chmodSync(dir, 0o755);
      await waitFor('the write to go through', async () => readText(file) === (await expectedText(db.url)), 10_000);
      expect(JSON.parse(readText(file)!).agents.entries.alpha.model).toBe('m/while-shared');
    } finally {
      await sync.stop();
    }
  });
});

async function query(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
