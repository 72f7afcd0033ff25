import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { isTempNameOf, listStaleTemps, makeFileSink, removeStaleTemps } from '../../src/sinks/file.js';
import { checkOutputPath, OutputPathError } from '../../src/sinks/outputGuard.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

/** What an operator keeps beside agents.json: none of it is ours to delete. */
const BACKUPS = ['agents.json.20261124', 'agents.json.bak', 'agents.json.1', 'agents.json.4294967295', 'agents.json.orig.json'];
const STALE = '.agents.json.acs-staging-4242-7.1234567';
const FRESH = '.agents.json.acs-staging-4343-1';
const TWO_MINUTES_AGO = new Date(Date.now() - 120_000);

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-output-path-'));
  file = path.join(dir, 'agents.json');
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Backups (old, so only the name keeps them), one stale temp of ours and one fresh one. */
function plantNeighbours(): void {
  for (const name of BACKUPS) {
    fs.writeFileSync(path.join(dir, name), `backup ${name}\n`);
    fs.utimesSync(path.join(dir, name), TWO_MINUTES_AGO, TWO_MINUTES_AGO);
  }
  fs.writeFileSync(path.join(dir, STALE), '{"agents": {"entr');
  fs.utimesSync(path.join(dir, STALE), TWO_MINUTES_AGO, TWO_MINUTES_AGO);
  fs.writeFileSync(path.join(dir, FRESH), '{"agents": {"entr');
}

describe('the output file sink', () => {
  it('can write through temp names of its own only: 0644 for a new file, the mode and owner of an existing one', async () => {
    const umask = process.umask(0o077);
    try {
      expect(await makeFileSink(file).write('{"agents":{}}\n')).toBe('written');
    } finally {
      process.umask(umask);
    }
    expect(fs.statSync(file).mode & 0o7777).toBe(0o644);
    fs.chmodSync(file, 0o640);
    const owned = process.getuid?.() === 0;
    if (owned) fs.chownSync(file, 4321, 4322);
    const seen = new Set<string>();
    const watcher = fs.watch(dir, (_event, name) => name && seen.add(name.toString()));
    try {
      const sink = makeFileSink(file);
      for (const n of [1, 2, 3]) expect(await sink.write(`{"agents":{"entries":{"a${n}":{"model":"m"}}}}\n`)).toBe('written');
      await waitFor('the last rename to be seen', () => seen.has('agents.json') && seen.size > 1, 2_000);
    } finally {
      watcher.close();
    }
    const others = [...seen].filter((name) => name !== 'agents.json');
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((name) => !isTempNameOf(file, name))).toEqual([]);
    expect(others.filter((name) => /^agents\.json\.\d+$/.test(name))).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(['agents.json']);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ agents: { entries: { a3: { model: 'm' } } } });
    const stat = fs.statSync(file);
    expect(stat.mode & 0o7777).toBe(0o640);
    if (owned) expect([stat.uid, stat.gid]).toEqual([4321, 4322]);
  });

  it('can tell its own temp names from an operator\'s backups', () => {
    for (const name of BACKUPS) expect(isTempNameOf(file, name), name).toBe(false);
    const random = `.agents.json.acs-staging-${'0123456789abcdef'.repeat(2)}`;
    for (const name of [STALE, FRESH, '.agents.json.acs-staging-1-1.4294967295', random]) expect(isTempNameOf(file, name), name).toBe(true);
    for (const name of ['.agents.json.acs-staging-', '.agents.json.acs-staging-1-x', '.other.json.acs-staging-1-1', 'agents.json.acs-staging-1-1',
      random.slice(0, -1), random.toUpperCase(), `${random}0`, `${random}.1234`]) {
      expect(isTempNameOf(file, name), name).toBe(false);
    }
  });

  it('can remove a stale temp of its own, older than a minute, and keep backups and a fresh temp', () => {
    plantNeighbours();
    expect(listStaleTemps(file)).toEqual({ dir, names: [STALE], fresh: [FRESH] });
    expect(makeFileSink(file).removeStaleTemps()).toEqual([STALE]);
    expect(fs.readdirSync(dir).sort()).toEqual([...BACKUPS, FRESH].sort());

    // With the clock two minutes on, the other writer's temp is stale too; the backups still stay.
    expect(removeStaleTemps(file, { now: () => Date.now() + 120_000 })).toEqual([FRESH]);
    expect(fs.readdirSync(dir).sort()).toEqual([...BACKUPS].sort());
  });

  it('can refuse, at a later write, another tool\'s file moved over its own, and still repair a torn edit of its own file', async () => {
    const sink = makeFileSink(file, { configPath: path.join(dir, 'openclaw.json') });
    expect(await sink.write('{"agents":{}}\n')).toBe('written');
    const models = '{"models": {"providers": {"p": {"apiKey": "k"}}}}\n';
    fs.writeFileSync(path.join(dir, 'models.json'), models);
    fs.renameSync(path.join(dir, 'models.json'), file);
    await expect(sink.write('{"agents":{"entries":{}}}\n')).rejects.toThrow(`outputPath ${file}: the existing file is not an agents file: it has keys an agents file never has ("models")`);
    expect(fs.readFileSync(file, 'utf8')).toBe(models);

    fs.writeFileSync(file, '{"agents":{}}\n');
    expect(await sink.write('{"agents":{"entries":{}}}\n')).toBe('written');
    fs.writeFileSync(file, '{"agents": {"entr'); // an editor's half-written save, in place
    expect(await sink.write('{"agents":{}}\n')).toBe('written');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"agents":{}}\n');
  });

  it('can remove a stale staging file of the random form and leave a link planted at such a name alone', () => {
    const stale = `.agents.json.acs-staging-${'a1'.repeat(16)}`;
    const planted = `.agents.json.acs-staging-${'b2'.repeat(16)}`;
    const victim = path.join(dir, 'victim.txt');
    fs.writeFileSync(victim, 'keep\n');
    fs.writeFileSync(path.join(dir, stale), '{"agents": {"entr');
    fs.utimesSync(path.join(dir, stale), TWO_MINUTES_AGO, TWO_MINUTES_AGO);
    fs.symlinkSync(victim, path.join(dir, planted));
    fs.utimesSync(victim, TWO_MINUTES_AGO, TWO_MINUTES_AGO);
    expect(removeStaleTemps(file)).toEqual([stale]);
    expect(fs.readlinkSync(path.join(dir, planted))).toBe(victim);
    expect(fs.readFileSync(victim, 'utf8')).toBe('keep\n');
  });

  it('can refuse to write through a dangling symlink, which stays a symlink', async () => {
    const missing = path.join(dir, 'managed', 'agents.json');
    fs.symlinkSync(missing, file);
    await expect(makeFileSink(file).write('{"agents":{}}\n')).rejects.toThrow(
      `${file} is a symlink to ${missing}, which does not exist: refusing to replace the link with a regular file`,
    );
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(file)).toBe(missing);
    expect(fs.readdirSync(dir)).toEqual(['agents.json']);
  });
});

describe('checkOutputPath', () => {
  const config = () => path.join(dir, 'openclaw.json');
  const OPENCLAW = '{\n  // the gateway\n  gateway: { mode: "local" },\n  $include: "./agents.json",\n}\n';

  it('can refuse openclaw.json as the output and leave it intact', () => {
    fs.writeFileSync(config(), OPENCLAW);
    expect(() => checkOutputPath(config(), { configPath: config() })).toThrow(OutputPathError);
    expect(() => checkOutputPath(config(), { configPath: config() })).toThrow(`outputPath ${config()}: it is the gateway's own config; refusing to write it`);
    expect(fs.readFileSync(config(), 'utf8')).toBe(OPENCLAW);
  });

  it('can refuse a symlink to openclaw.json, and any file named openclaw.json', () => {
    fs.writeFileSync(config(), OPENCLAW);
    fs.symlinkSync(config(), file);
    expect(() => checkOutputPath(file, { configPath: config() })).toThrow(`outputPath ${file}: it is the gateway's own config (through a symlink: ${config()})`);
    const elsewhere = path.join(dir, 'other', 'openclaw.json');
    expect(() => checkOutputPath(elsewhere)).toThrow(`outputPath ${elsewhere}: it is named openclaw.json, the name of a gateway config`);
  });

  it('can refuse an existing file that is not an agents file', () => {
    fs.writeFileSync(file, '{"models": {"providers": {}}}\n');
    expect(() => checkOutputPath(file, { label: '--output' })).toThrow(`--output ${file}: the existing file is not an agents file: it has keys an agents file never has ("models")`);
    fs.writeFileSync(file, 'half an edit {');
    expect(() => checkOutputPath(file)).toThrow('it is not JSON');
  });

  it('can refuse a dangling symlink and a directory', () => {
    fs.symlinkSync(path.join(dir, 'nowhere.json'), file);
    expect(() => checkOutputPath(file)).toThrow(`outputPath ${file} is a symlink to ${path.join(dir, 'nowhere.json')}, which does not exist`);
    fs.mkdirSync(path.join(dir, 'adir'));
    expect(() => checkOutputPath(path.join(dir, 'adir'))).toThrow('it is a directory');
  });

  it('can accept a missing file, an empty file and agents files of either layout', () => {
    fs.writeFileSync(config(), OPENCLAW);
    expect(() => checkOutputPath(file, { configPath: config() })).not.toThrow();
    for (const text of ['', '{"agents": {"entries": {}}}\n', '{"defaults": {}, "list": []}\n']) {
      fs.writeFileSync(file, text);
      expect(() => checkOutputPath(file, { configPath: config() }), text).not.toThrow();
    }
  });
});

describe('the plugin pipeline beside other files (real PostgreSQL)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('output_path');
    await withAdmin(async (client) => {
      await migrate(client);
      await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
    }, db.url);
  });
  afterAll(async () => {
    await db.drop();
  });

  it('can start beside operator backups and leave them, removing and logging only a stale temp of its own', async () => {
    plantNeighbours();
    const sync = startPipeline(db.url, { outputPath: file });
    try {
      await waitFor('the first sync', async () => readText(file) === (await expectedText(db.url)), 10_000);
      expect(fs.readdirSync(dir).sort()).toEqual([...BACKUPS, FRESH, 'agents.json'].sort());
      for (const name of BACKUPS) expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe(`backup ${name}\n`);
      expect(sync.log.lines.filter((l) => l.message.includes('stale temp'))).toEqual([
        { level: 'info', message: `agent_config_sync: removed 1 stale temp file(s) beside ${file}: ${STALE}` },
      ]);
    } finally {
      await sync.stop();
    }
  });
});
