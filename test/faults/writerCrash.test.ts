import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { isTempNameOf } from '../../src/sinks/file.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

const FIXTURES = path.resolve('test/faults/fixtures');
const KILLS = 60;

function start(script: string, args: string[]): { child: ChildProcess; ready: Promise<void>; output: () => string } {
  const child = spawn(process.execPath, [path.join(FIXTURES, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  const ready = new Promise<void>((resolve) =>
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve();
    }),
  );
  return { child, ready, output: () => output };
}

const exit = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

describe('a writer killed with SIGKILL mid-write', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-killed-writer-'));
  const file = path.join(dir, 'agents.json');
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('faults_writer');
    await withAdmin(async (client) => {
      await migrate(client);
      await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
    }, db.url);
  });

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it(`can be killed ${KILLS} times while a reader never sees a partial file, and the next start removes the leftovers (not the backups)`, async () => {
    fs.writeFileSync(file, '{"agents":{}}\n');
    const reader = start('reader.mjs', [file]);
    await reader.ready;
    for (let i = 0; i < KILLS; i++) {
      const writer = start('writer.mjs', [file, String(i)]);
      await writer.ready;
      await new Promise((r) => setTimeout(r, 30 + ((i * 37) % 150)));
      writer.child.kill('SIGKILL');
      await exit(writer.child);
    }
    reader.child.kill('SIGTERM');
    await exit(reader.child);
    const counts = JSON.parse(reader.output().split('\n').filter(Boolean).pop() ?? '{}') as { reads: number; bad: number; missing: number; firstBad: string };
    const leftovers = fs.readdirSync(dir).filter((name) => isTempNameOf(file, name));
    console.log(`${KILLS} SIGKILLs: ${counts.reads} reads, ${counts.bad} partial or invalid, ${counts.missing} missing; ${leftovers.length} temp files left`);

    expect(counts.bad).toBe(0);
    expect(counts.firstBad).toBe('');
    expect(counts.missing).toBe(0);
    expect(counts.reads).toBeGreaterThan(KILLS);
    // The kills did land mid-write: temp files were left behind for the next start to clean.
    expect(leftovers.length).toBeGreaterThan(0);

    // Only temp names of ours were left: an operator's backups cannot be told from them by anything else.
    expect(fs.readdirSync(dir).filter((name) => name !== 'agents.json' && !isTempNameOf(file, name))).toEqual([]);
    // The crash was "a while ago": the leftovers are older than a minute, so the next start may remove them.
    const old = new Date(Date.now() - 120_000);
    for (const name of leftovers) fs.utimesSync(path.join(dir, name), old, old);
    const backups = ['agents.json.20261124', 'agents.json.bak', 'agents.json.1'];
    for (const name of backups) {
      fs.writeFileSync(path.join(dir, name), '{"agents":{}}\n');
      fs.utimesSync(path.join(dir, name), old, old);
    }

    const sync = startPipeline(db.url, { outputPath: file });
    try {
      await waitFor('the first sync', async () => readText(file) === (await expectedText(db.url)), 10_000);
      expect(fs.readdirSync(dir).filter((name) => isTempNameOf(file, name))).toEqual([]);
      expect(fs.readdirSync(dir).sort()).toEqual(['agents.json', ...backups].sort());
      expect(sync.log.lines.some((l) => l.message.includes(`removed ${leftovers.length} stale temp file(s)`))).toBe(true);
    } finally {
      await sync.stop();
    }
  });
});
