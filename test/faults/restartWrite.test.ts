import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeFileSink, type FileSink } from '../../src/sinks/file.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';
import { sleep } from './fixtures/convergence.js';

/**
 * docs/design.md §8: "a stale write never lands after a newer render" and "an unexpected error in any stage
 * ... restarts itself". A write in flight cannot be cut short, so when the pipeline restarts while
 * one is running, the restarted writer must wait for it instead of writing beside it.
 */
describe('a restart while a write is in flight', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const cleanups: (() => Promise<unknown> | void)[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('faults_restart_write');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('can keep a write started before a restart from landing after the restarted pipeline wrote a newer render', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-restart-write-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const outputPath = path.join(dir, 'agents.json');
    const real = makeFileSink(outputPath);
    const calls: { text: string; settled: boolean }[] = [];
    let slowNext = false;
    // The real sink; the write after `slowNext` is set takes 1.5 s (a slow disk, an NFS hiccup).
    const sink: FileSink = {
      path: real.path,
      readCurrent: () => real.readCurrent(),
      removeStaleTemps: () => real.removeStaleTemps(),
      async write(text) {
        const call = { text, settled: false };
        calls.push(call);
        try {
          if (slowNext) {
            slowNext = false;
            await sleep(1_500);
          }
          return await real.write(text);
        } finally {
          call.settled = true;
        }
      },
    };
    // An unexpected error in a stage (here the onRendered hook) for one render: the pipeline restarts.
    let throwOnModel: string | undefined;
    const sync = startPipeline(db.url, {
      connection: { connectionString: db.url, application_name: 'acs_restart_write' },
      outputPath,
      file: sink,
      debounceMs: 10,
      maxWaitMs: 100,
      reconcileMs: 0,
      restartDelay: () => 100,
      onRendered: (r) => {
        if (throwOnModel === undefined || !r.text.includes(throwOnModel)) return;
        throwOnModel = undefined;
        throw new Error('a stage failed');
      },
    });
    cleanups.push(() => sync.running.dispose());

    const a = await expectedText(db.url);
    await waitFor('A on disk', () => readText(outputPath) === a, 10_000);

    slowNext = true;
    await client.query(`UPDATE agents SET model = 'm/b2' WHERE name = 'alpha'`);
    const b = await expectedText(db.url);
    await waitFor("B's slow write started", () => calls.some((c) => c.text === b), 5_000);
    // The first render of C fails the pipeline (armed before the commit, so it cannot be missed);
    // the restarted one renders C again.
    throwOnModel = '"m/c"';
    await client.query(`UPDATE agents SET model = 'm/c' WHERE name = 'alpha'`);
    const c = await expectedText(db.url);

    await waitFor('the pipeline restarted', () => sync.running.status().restarts === 1, 5_000);
    await waitFor('C on disk', () => readText(outputPath) === c, 5_000);
    const seen: (string | undefined)[] = [];
    while (!calls.find((x) => x.text === b)?.settled) {
      seen.push(readText(outputPath));
      await sleep(10);
    }
    for (let i = 0; i < 50; i++) {
      seen.push(readText(outputPath));
      await sleep(10);
    }
    const stale = seen.filter((t) => t === b).length;
    console.log(`restart during a slow write: ${seen.length} samples after C landed, ${stale} of them the stale B`);
    expect(stale).toBe(0);
    expect(readText(outputPath)).toBe(c);
    // Its own stale write is not another writer.
    expect(sync.log.lines.filter((l) => l.message.includes('changed by another writer'))).toEqual([]);
  }, 30_000);
});
