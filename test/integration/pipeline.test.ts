import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';

/** The whole pipeline against a real PostgreSQL: LISTEN, snapshot, render, atomic write. */
describe('pipeline on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let sync: PipelineUnderTest | undefined;

  beforeEach(async () => {
    db = await createTestDatabase('pipeline');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, fallback_models, allowed_subagents, is_default) VALUES
      ('alpha', 'anthropic/claude-sonnet-4', '{openai/gpt-5}', '{beta}', true),
      ('beta', 'openai/gpt-5-mini', NULL, NULL, false)`);
  });

  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
    await client.end();
    await db.drop();
  });

  /** Waits until the file equals what the database says it should be. */
  const caughtUp = async (what: string, timeoutMs = 2_000) => {
    const want = await expectedText(db.url);
    return waitFor(what, () => readText(sync!.outputPath) === want, timeoutMs);
  };

  it('can write the file on the first sync', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const file = JSON.parse(readText(sync.outputPath)!);
    expect(file.agents.entries.alpha.model).toEqual({ primary: 'anthropic/claude-sonnet-4', fallbacks: ['openai/gpt-5'] });
    expect(file.agents.entries.beta.model).toBe('openai/gpt-5-mini');
    expect(file.agents.defaults.subagents.maxSpawnDepth).toBe(5);
    expect(fs.statSync(sync.outputPath).mode & 0o777).toBe(0o644);
  });

  it('can start with one read of the database, after LISTEN, even with no coalescing', async () => {
    // Listen, then read (docs/design.md §3): the listening connection's first `connected` is the start's only
    // read. A start that also read at once (before LISTEN) read a 10 000-agent roster twice.
    sync = startPipeline(db.url, { debounceMs: 0, maxWaitMs: 0 });
    await caughtUp('initial sync');
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the startup tick's wait for LISTEN
    expect(sync.running.status().snapshots).toBe(1);
    expect(sync.written.map((w) => w.trigger)).toEqual(['connected']);
  });

  const changes: [string, string, (file: any) => unknown, unknown][] = [
    ['INSERT on agents', `INSERT INTO agents (name, model) VALUES ('gamma', 'm/g')`, (f) => f.agents.entries.gamma?.model, 'm/g'],
    ['UPDATE on agents', `UPDATE agents SET model = 'm/new' WHERE name = 'beta'`, (f) => f.agents.entries.beta.model, 'm/new'],
    ['DELETE on agents', `DELETE FROM agents WHERE name = 'beta'`, (f) => f.agents.entries.beta, undefined],
    ['TRUNCATE on agents', `TRUNCATE agents`, (f) => Object.keys(f.agents.entries ?? {}).length, 0],
    ['INSERT on agent_system_config', `INSERT INTO agent_system_config (key, value, value_type) VALUES ('max_children_per_agent', '7', 'integer')`, (f) => f.agents.defaults.subagents.maxChildrenPerAgent, 7],
    ['UPDATE on agent_system_config', `UPDATE agent_system_config SET value = '3' WHERE key = 'max_spawn_depth'`, (f) => f.agents.defaults.subagents.maxSpawnDepth, 3],
    ['DELETE on agent_system_config', `DELETE FROM agent_system_config WHERE key = 'max_spawn_depth'`, (f) => f.agents.defaults.subagents, undefined],
    ['TRUNCATE on agent_system_config', `TRUNCATE agent_system_config`, (f) => f.agents.defaults.subagents, undefined],
  ];

  it.each(changes)('can follow %s within 2 s', async (_name, sql, pick, want) => {
    sync = startPipeline(db.url, { allowEmpty: true });
    await caughtUp('initial sync');
    await client.query(sql);
    const took = await caughtUp('the change', 2_000);
    expect(pick(JSON.parse(readText(sync.outputPath)!))).toEqual(want);
    expect(took).toBeLessThan(2_000);
  });

  it('can ignore a notification that changes nothing (same inode, same mtime)', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const before = fs.statSync(sync.outputPath);
    const renders = sync.rendered.length;
    await client.query(`UPDATE agents SET model = model WHERE name = 'alpha'`);
    await client.query(`NOTIFY agent_config_changed, 'not json at all {'`);
    await waitFor('a resync after the no-op update', () => sync!.rendered.length > renders);
    await new Promise((r) => setTimeout(r, 300));
    const after = fs.statSync(sync.outputPath);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(sync.written).toHaveLength(1);
    expect(sync.reloads).toBe(1);
  });

  it('can absorb 1 000 single-row transactions in a burst with far fewer writes', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const writesBefore = sync.written.length;
    for (let i = 0; i < 1_000; i += 1) {
      await client.query(`INSERT INTO agents (name, model) VALUES ($1, $2)`, [`burst-${i}`, `m/${i}`]);
    }
    await caughtUp('the burst', 10_000);
    const writes = sync.written.length - writesBefore;
    console.log(`1000 transactions → ${writes} writes, ${sync.reloads} reloads in total`);
    expect(JSON.parse(readText(sync.outputPath)!).agents.entries['burst-999'].model).toBe('m/999');
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThan(100);
    expect(sync.reloads).toBe(sync.written.length);
  });

  it('can catch up after the listening connection is terminated', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const killed = await client.query(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND application_name = 'agent_config_sync' AND query ILIKE 'LISTEN%'`,
    );
    expect(killed.rowCount).toBe(1);
    await client.query(`UPDATE agents SET model = 'm/while-down' WHERE name = 'beta'`);
    await caughtUp('the change made while the listener was down', 5_000);
    expect(JSON.parse(readText(sync.outputPath)!).agents.entries.beta.model).toBe('m/while-down');
    await waitFor('the reconnect log line', () => sync!.log.text().includes('reconnected to PostgreSQL; resyncing'));
  });

  it('can stop and leave no connection behind', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    await sync.stop();
    sync = undefined;
    const left = await client.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'agent_config_sync'`,
    );
    expect(left.rows[0].n).toBe(0);
  });
});
