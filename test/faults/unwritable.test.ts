import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

/**
 * How this machine can make a directory refuse writes, best first: a full tmpfs (ENOSPC, the real
 * "disk full"), an immutable directory (chattr +i: EPERM even for root), or a read-only mode
 * (EACCES, only when not root). Chosen at run time and printed; one of them is always available
 * to root on Linux or to a normal user.
 */
interface Blocker {
  name: string;
  block(): void;
  unblock(): void;
  dispose(): void;
}

function chooseBlocker(dir: string): Blocker {
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'ignore' });
  try {
    run('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0755', 'tmpfs', dir]);
    const filler = path.join(dir, 'filler');
    return {
      name: 'a full 256 KiB tmpfs (ENOSPC)',
      block() {
        try {
          fs.writeFileSync(filler, Buffer.alloc(512 * 1024));
        } catch {
          // ENOSPC: the file system is full now, which is the point.
        }
      },
      unblock: () => fs.rmSync(filler, { force: true }),
      dispose: () => run('umount', [dir]),
    };
  } catch {
    // No mount permission: try the next way.
  }
  try {
    run('chattr', ['+i', dir]);
    run('chattr', ['-i', dir]);
    return {
      name: 'an immutable directory (chattr +i, EPERM)',
      block: () => run('chattr', ['+i', dir]),
      unblock: () => run('chattr', ['-i', dir]),
      dispose: () => run('chattr', ['-i', dir]),
    };
  } catch {
    // No chattr or not supported here.
  }
  if (process.getuid?.() === 0) throw new Error('cannot make a directory unwritable here: no tmpfs mount, no chattr, and root ignores modes');
  return {
    name: 'a read-only directory (chmod 0555, EACCES)',
    block: () => fs.chmodSync(dir, 0o555),
    unblock: () => fs.chmodSync(dir, 0o755),
    dispose: () => fs.chmodSync(dir, 0o755),
  };
}

describe('an output directory that refuses writes', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-unwritable-'));
  const dir = path.join(base, 'out');
  fs.mkdirSync(dir);
  let blocker: Blocker;
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    blocker = chooseBlocker(dir);
    db = await createTestDatabase('faults_unwritable');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
  });

  afterAll(async () => {
    blocker?.unblock();
    blocker?.dispose();
    fs.rmSync(base, { recursive: true, force: true });
    await client?.end();
    await db?.drop();
  });

  it('can keep the old file, log once per episode, and write again once the cause is gone', async () => {
    console.log(`unwritable by: ${blocker.name}`);
    const sync = startPipeline(db.url, { outputPath: path.join(dir, 'agents.json'), debounceMs: 10, maxWaitMs: 100 });
    const failures = () => sync.log.lines.filter((l) => l.level === 'warn' && /writing .* failed; the old file stays/.test(l.message));
    const recoveries = () => sync.log.lines.filter((l) => l.message.includes('works again'));
    try {
      for (const episode of [1, 2]) {
        await waitFor(`file equal to the database before episode ${episode}`, async () => readText(sync.outputPath) === (await expectedText(db.url)), 10_000);
        const before = readText(sync.outputPath);
        blocker.block();
        for (const n of [1, 2, 3]) {
          await client.query(`UPDATE agents SET model = $1 WHERE name = 'alpha'`, [`m/episode-${episode}-${n}`]);
          await new Promise((r) => setTimeout(r, 300)); // several 100 ms write retries fail meanwhile
        }
        expect(failures()).toHaveLength(episode);
        expect(readText(sync.outputPath)).toBe(before);
        expect(() => JSON.parse(before!)).not.toThrow();

        blocker.unblock();
        await waitFor(`recovery from episode ${episode}`, async () => readText(sync.outputPath) === (await expectedText(db.url)), 10_000);
        expect(JSON.parse(readText(sync.outputPath)!).agents.entries.alpha.model).toBe(`m/episode-${episode}-3`);
        await waitFor('the recovery line', () => recoveries().length === episode, 2_000);
      }
      console.log(`2 episodes: ${failures().length} failure warnings, ${recoveries().length} recoveries`);
      expect(sync.log.lines.filter((l) => l.level === 'error')).toEqual([]);
    } finally {
      await sync.stop();
    }
  });
});
