import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { makeFileSink } from '../../src/sinks/file.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';
import { sleep, type ConvergenceOptions } from './fixtures/convergence.js';

const driftWarnings = (sync: PipelineUnderTest) => sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('changed by another writer'));

/**
 * docs/design.md §8 drift repair, with a second automatic writer of the same file: the CLI `watch` left
 * running beside the plugin, or two gateways' plugins pointed at one shared agents.json.
 */
describe('two automatic writers of one file', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;
  const stops: (() => Promise<unknown> | void)[] = [];
  const start = (app: string, options: ConvergenceOptions): PipelineUnderTest => {
    const sync = startPipeline(db.url, { connection: { connectionString: db.url, application_name: app }, ...options });
    stops.push(() => sync.stop());
    return sync;
  };

  beforeAll(async () => {
    db = await createTestDatabase('faults_two_writers');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
    // A source that answers 300 ms late, so the other writer always lands first.
    await client.query(`
      CREATE FUNCTION late_agents() RETURNS SETOF agents LANGUAGE plpgsql STABLE AS $$
      BEGIN
        PERFORM pg_sleep(0.3);
        RETURN QUERY SELECT * FROM agents;
      END $$`);
  });
  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    fs.rmSync(dir, { recursive: true, force: true });
    await client.query(`UPDATE agents SET model = 'm/a' WHERE name = 'alpha'`);
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('can stay quiet when the other writer wrote exactly what the database renders', async () => {
    // The other writer is a one-shot sync (cron's `agent-config-sync sync --once`, an operator's copy)
    // that races the pipeline to write the database's render after each commit. Two *pipelines* with
    // the same settings can still overwrite each other for a moment when one reads just before a commit
    // and writes just after the other wrote the newer render: that write really replaced newer bytes,
    // is warned, and converges (README: run one sync per file).
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-two-same-'));
    const outputPath = path.join(dir, 'agents.json');
    const sync = start('acs_two_same', { outputPath, debounceMs: 10, maxWaitMs: 100, reconcileMs: 0 });
    const other = makeFileSink(outputPath);
    await waitFor('synced', async () => readText(outputPath) === (await expectedText(db.url)), 10_000);
    await sleep(300);
    const before = driftWarnings(sync).length;

    for (let i = 1; i <= 5; i++) {
      await client.query(`UPDATE agents SET model = $1 WHERE name = 'alpha'`, [`m/same-${i}`]);
      const want = await expectedText(db.url);
      await other.write(want); // whichever of the two lands first, both write these bytes
      await waitFor(`commit ${i} rendered`, () => sync.rendered.at(-1)?.text === want, 5_000);
      await sleep(200);
    }
    const warnings = driftWarnings(sync).slice(before);
    console.log(`same render, a second writer: ${warnings.length} "changed by another writer" warnings over 5 commits; drift repairs ${sync.running.status().driftRepairs}`);
    // Nothing was undone (the file already held what the database renders): no warning, no repair counted.
    expect(warnings.map((l) => l.message)).toEqual([]);
    expect(sync.running.status().driftRepairs).toBe(0);
    expect(readText(outputPath)).toBe(await expectedText(db.url));
  }, 30_000);

  it('can stop fighting another writer that keeps undoing its repairs, instead of rewriting the file twice a second forever', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-two-fight-'));
    const outputPath = path.join(dir, 'agents.json');
    // Two renders of one database that differ (a misconfiguration: entries vs list), default timing.
    const entries = start('acs_fight_entries', { outputPath, debounceMs: 250, maxWaitMs: 2_000, reconcileMs: 0 });
    const list = start('acs_fight_list', { outputPath, debounceMs: 250, maxWaitMs: 2_000, reconcileMs: 0, render: { format: 'list', layout: 'root' } });
    await sleep(5_000);
    const mid = { entries: entries.written.length, list: list.written.length };
    await sleep(5_000);
    const late = { entries: entries.written.length - mid.entries, list: list.written.length - mid.list };
    const warnings = { entries: driftWarnings(entries).length, list: driftWarnings(list).length };
    console.log(
      `fight: writes in the first 5 s ${mid.entries} + ${mid.list}, in the next 5 s ${late.entries} + ${late.list}; drift warnings ${warnings.entries} + ${warnings.list} in 10 s`,
    );
    // Backing off: no more than two repairs each in the second five seconds, and the fight said once, not per repair.
    expect(late.entries + late.list).toBeLessThanOrEqual(4);
    expect(warnings.entries).toBeLessThanOrEqual(3);
    expect(warnings.list).toBeLessThanOrEqual(3);
  }, 30_000);
});
