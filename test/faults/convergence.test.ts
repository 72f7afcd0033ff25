import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { makeFileSink, type FileSink } from '../../src/sinks/file.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';
import { blockerFor, sleep, type ConvergenceOptions, type DirBlocker } from './fixtures/convergence.js';

/**
 * docs/design.md §8, "one serialized, latest-wins writer" and "snapshots never queue": whatever the
 * order in which writes fail, slow down or get superseded, the file ends equal to what the
 * database renders now, and a slow source does not build a backlog of reads.
 */
describe('convergence of the writer and the reader', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const stops: (() => Promise<void> | void)[] = [];

  const start = (app: string, options: ConvergenceOptions): PipelineUnderTest => {
    const sync = startPipeline(db.url, { connection: { connectionString: db.url, application_name: app }, ...options });
    stops.push(() => sync.stop());
    return sync;
  };
  const setAlpha = (model: string) => client.query(`UPDATE agents SET model = $1 WHERE name = 'alpha'`, [model]);

  beforeAll(async () => {
    db = await createTestDatabase('faults_convergence');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
    // A slow agents source: every read takes a second on the server.
    await client.query(`
      CREATE FUNCTION slow_agents() RETURNS SETOF agents LANGUAGE plpgsql STABLE AS $$
      BEGIN
        PERFORM pg_sleep(1);
        RETURN QUERY SELECT * FROM agents;
      END $$`);
  });

  afterEach(async () => {
    // Newest first: a blocker is undone before the pipeline it blocked is stopped.
    for (const stop of stops.splice(0).reverse()) await stop();
    await setAlpha('m/a');
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('can drop a failed write that a newer render superseded, so the stale retry never lands', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-lost-update-'));
    const dir = path.join(base, 'out');
    fs.mkdirSync(dir);
    const blocker: DirBlocker = blockerFor(dir);
    stops.push(() => fs.rmSync(base, { recursive: true, force: true }));
    const sync = start('acs_conv_retry', { outputPath: path.join(dir, 'agents.json'), debounceMs: 10, maxWaitMs: 100, writeRetryDelay: () => 100 });
    stops.push(() => blocker.unblock());

    const a = await expectedText(db.url);
    await waitFor('A on disk', () => readText(sync.outputPath) === a, 10_000);

    blocker.block();
    await setAlpha('m/b');
    const b = await expectedText(db.url);
    await waitFor('B rendered (its write now fails and is retried)', () => sync.rendered.some((r) => r.text === b), 5_000);
    await sleep(350); // three or four failed attempts of B
    expect(readText(sync.outputPath)).toBe(a);

    await setAlpha('m/a');
    expect(await expectedText(db.url)).toBe(a);
    await waitFor('A rendered again while B is being retried', () => sync.rendered.at(-1)?.text === a, 5_000);
    await sleep(350);

    blocker.unblock();
    await sleep(1_000); // ten retry periods: a B still queued or retrying lands now
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 20; i++) {
      seen.add(readText(sync.outputPath));
      await sleep(50);
    }
    console.log(`lost update (unwritable by ${blocker.name}): file held ${seen.size} distinct text(s) after the directory came back; B landed: ${seen.has(b)}`);
    expect(readText(sync.outputPath)).toBe(a);
    expect([...seen]).toEqual([a]);
    expect(sync.log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('can keep the newest render when a slow write of an older one is still in flight', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-slow-write-'));
    stops.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const outputPath = path.join(dir, 'agents.json');
    const real = makeFileSink(outputPath);
    const calls: { text: string; settled: boolean }[] = [];
    // The real sink, but every write takes a second longer than the debounce window.
    const slow: FileSink = {
      path: real.path,
      readCurrent: () => real.readCurrent(),
      removeStaleTemps: () => real.removeStaleTemps(),
      async write(text) {
        const call = { text, settled: false };
        calls.push(call);
        await sleep(1_000);
        try {
          return await real.write(text);
        } finally {
          call.settled = true;
        }
      },
    };
    const sync = start('acs_conv_slowwrite', { outputPath, file: slow, debounceMs: 50, maxWaitMs: 200 });

    const a = await expectedText(db.url);
    await waitFor('A on disk', () => readText(outputPath) === a, 10_000);

    await setAlpha('m/b');
    const b = await expectedText(db.url);
    await waitFor('the slow sink asked to write B', () => calls.some((c) => c.text === b), 5_000);
    await setAlpha('m/a'); // while B's write is still sleeping
    await waitFor("B's slow write settled", () => calls.some((c) => c.text === b && c.settled), 5_000);
    const lag = await waitFor('A back on disk', () => readText(outputPath) === a, 5_000);

    const seen = new Set<string | undefined>();
    for (let i = 0; i < 30; i++) {
      seen.add(readText(outputPath));
      await sleep(50);
    }
    console.log(`slow write: ${calls.length} sink calls, A back ${lag} ms after B's write settled`);
    expect([...seen]).toEqual([a]);
    expect(readText(sync.outputPath)).toBe(a);
  });

  it('can follow steady commits on a one-second source with at most one read at a time and no backlog', async () => {
    const app = 'acs_conv_slowsrc';
    const source = 'slow_agents()';
    const sync = start(app, { agentsSource: parseAgentsSource(source), debounceMs: 250, maxWaitMs: 2_000, reconnectDelay: () => 200 });
    await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(db.url, undefined, source)), 15_000);

    // Sample pg_stat_activity every ~100 ms for the pipeline's reads of the source.
    const reads = new Set<string>();
    let most = 0;
    let sampling = true;
    const sampler = withAdmin(async (admin) => {
      while (sampling) {
        const result = await admin.query<{ pid: number; started: string }>(
          `SELECT pid, query_start::text AS started FROM pg_stat_activity
            WHERE datname = $1 AND application_name = $2 AND state = 'active' AND query ILIKE '%slow_agents%'`,
          [db.name, app],
        );
        most = Math.max(most, result.rows.length);
        for (const row of result.rows) reads.add(`${row.pid}@${row.started}`);
        await sleep(100);
      }
    });
    stops.push(async () => {
      sampling = false;
      await sampler;
    });

    const firstCommit = Date.now();
    for (let i = 1; i <= 20; i++) {
      await setAlpha(`m/steady-${i}`);
      await sleep(300);
    }
    const lastCommit = Date.now() - 300;
    const want = await expectedText(db.url, undefined, source);
    const deadline = 2_000 + 2 * 1_000 + 4_000; // maxWaitMs + two reads, plus slack for a loaded machine
    let converged = true;
    await waitFor('the file equal to the database after the last commit', () => readText(sync.outputPath) === want, Math.max(0, lastCommit + deadline - Date.now())).catch(
      () => (converged = false),
    );
    const lag = Date.now() - lastCommit;
    await sleep(1_500); // a queued read would still show up now
    sampling = false;
    await sampler;
    const windowMs = Date.now() - firstCommit;
    console.log(
      `slow source: 20 commits over ${lastCommit - firstCommit} ms; converged ${converged ? `${lag} ms after the last commit` : `not within ${deadline} ms`}; ` +
        `${reads.size} reads seen in ${windowMs} ms, at most ${most} at once`,
    );
    expect(converged).toBe(true);
    expect(most).toBeLessThanOrEqual(1);
    // Reads run back to back at best (one second each), plus the one that catches the last commit.
    expect(reads.size).toBeLessThanOrEqual(Math.ceil(windowMs / 1_000) + 2);
  }, 60_000);
});
