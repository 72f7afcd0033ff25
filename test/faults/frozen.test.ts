import fs from 'node:fs';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { connectionsOf, createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startFreezeProxy, type FreezeProxy } from '../support/freezeProxy.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';
import { activeQueries, disposeWithin, sleep, type ConvergenceOptions, type Disposal } from './fixtures/convergence.js';

/** dispose() must resolve within this, whatever the database or the network does (docs/design.md §8). */
const DISPOSE_BOUND_MS = 5_000;

/**
 * docs/design.md §8, "timeouts everywhere": a path to the server that stops answering without closing
 * (the freeze proxy), and a lock that blocks the snapshot. The file still follows the database,
 * and stop() returns within 5 s.
 */
describe('a frozen network path and a blocked snapshot', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let target: { host: string; port: number };
  /** Undone newest first after each test, even when it failed half-way. */
  const cleanups: (() => Promise<unknown> | void)[] = [];

  const start = (app: string, url: string, options: ConvergenceOptions): PipelineUnderTest => {
    const sync = startPipeline(db.url, { connection: { connectionString: url, application_name: app }, ...options });
    // Bounded, so a dispose that hangs on a frozen path cannot hang the suite: the proxy is
    // closed after this (cleanups run newest first, the proxy was added before), which frees it.
    cleanups.push(async () => {
      if (!disposed.has(sync)) await stopWithin(sync);
      fs.rmSync(sync.dir, { recursive: true, force: true });
    });
    return sync;
  };
  const disposed = new Set<PipelineUnderTest>();
  const pendingDisposals: Disposal[] = [];
  /** dispose(), waited for at most DISPOSE_BOUND_MS; one still pending is awaited after the proxy closes. */
  const stopWithin = async (sync: PipelineUnderTest): Promise<Disposal> => {
    disposed.add(sync);
    const disposal = await disposeWithin(sync.running, DISPOSE_BOUND_MS);
    if (!disposal.resolved) pendingDisposals.push(disposal);
    return disposal;
  };
  const proxy = async (): Promise<FreezeProxy> => {
    const p = await startFreezeProxy(target);
    cleanups.push(async () => {
      await p.close();
      // Whatever hung on the frozen connections is free now.
      await Promise.all(pendingDisposals.splice(0).map((d) => d.settled));
    });
    return p;
  };

  beforeAll(async () => {
    db = await createTestDatabase('faults_frozen');
    const url = new URL(db.url);
    target = { host: url.hostname, port: Number(url.port || 5432) };
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
    // A source whose read takes long enough to freeze the path in the middle of it.
    await client.query(`
      CREATE FUNCTION half_slow_agents() RETURNS SETOF agents LANGUAGE plpgsql STABLE AS $$
      BEGIN
        PERFORM pg_sleep(0.5);
        RETURN QUERY SELECT * FROM agents;
      END $$`);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await client.query(`UPDATE agents SET model = 'm/a' WHERE name = 'alpha'`);
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('can replace a listening connection whose path froze, follow the next commit, and stop within 5 s', async () => {
    const p = await proxy();
    const sync = start('acs_frozen_listen', p.urlFor(db.url), {
      debounceMs: 10,
      maxWaitMs: 100,
      keepAliveMs: 500,
      keepAliveTimeoutMs: 500,
      reconnectDelay: () => 100,
      connectTimeoutMs: 1_000,
      snapshotTimeoutMs: 1_000,
    });
    await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(db.url)), 10_000);
    expect(p.connections()).toBeGreaterThan(0);

    p.freeze();
    await client.query(`UPDATE agents SET model = 'm/after-freeze' WHERE name = 'alpha'`);
    const want = await expectedText(db.url);
    let followed: number | undefined;
    try {
      followed = await waitFor('the file to follow a commit made while the listening path was frozen', () => readText(sync.outputPath) === want, 10_000);
    } finally {
      const disposal = await stopWithin(sync);
      console.log(
        `frozen listener: ${p.frozen()} connection(s) frozen; file followed ${followed === undefined ? 'never' : `after ${followed} ms`}; ` +
          `dispose ${disposal.resolved ? `resolved in ${disposal.ms} ms` : `still pending after ${disposal.ms} ms`}`,
      );
      expect(disposal.resolved).toBe(true);
    }
  }, 30_000);

  it('can give up a snapshot whose path froze mid-read, read again on a fresh connection, and stop within 5 s', async () => {
    const app = 'acs_frozen_snapshot';
    const source = 'half_slow_agents()';
    const p = await proxy();
    const sync = start(app, p.urlFor(db.url), {
      agentsSource: parseAgentsSource(source),
      debounceMs: 10,
      maxWaitMs: 100,
      reconnectDelay: () => 100,
      connectTimeoutMs: 1_000,
      snapshotTimeoutMs: 1_000,
    });
    await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(db.url, undefined, source)), 10_000);

    // A commit starts a read; the path freezes while the server is still in it.
    await client.query(`UPDATE agents SET model = 'm/x1' WHERE name = 'alpha'`);
    await waitFor('a read of the source in flight', async () => (await activeQueries(db.name, app, 'half_slow_agents')).length > 0, 5_000);
    p.freeze();
    await client.query(`UPDATE agents SET model = 'm/x2' WHERE name = 'alpha'`);
    const want = await expectedText(db.url, undefined, source);
    let followed: number | undefined;
    try {
      followed = await waitFor('the file to follow the database after a snapshot froze mid-read', () => readText(sync.outputPath) === want, 10_000);
    } finally {
      const disposal = await stopWithin(sync);
      console.log(
        `frozen snapshot: ${p.frozen()} connection(s) frozen; file followed ${followed === undefined ? 'never' : `after ${followed} ms`}; ` +
          `dispose ${disposal.resolved ? `resolved in ${disposal.ms} ms` : `still pending after ${disposal.ms} ms`}`,
      );
      expect(disposal.resolved).toBe(true);
    }
  }, 30_000);

  for (const when of ['at startup', 'after a commit'] as const) {
    it(`can stop within 5 s while a lock blocks the snapshot ${when}, and leave no connection once the lock is gone`, async () => {
      const app = when === 'at startup' ? 'acs_lock_startup' : 'acs_lock_commit';
      const locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      cleanups.push(async () => {
        await locker.query('ROLLBACK').catch(() => undefined);
        await locker.end();
      });

      let sync: PipelineUnderTest;
      if (when === 'at startup') {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
        sync = start(app, db.url, { debounceMs: 10, maxWaitMs: 100 });
      } else {
        sync = start(app, db.url, { debounceMs: 10, maxWaitMs: 100 });
        await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(db.url)), 10_000);
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE agents IN ACCESS EXCLUSIVE MODE');
        await client.query(`UPDATE agent_system_config SET value = '4' WHERE key = 'max_spawn_depth'`);
      }
      await waitFor(
        'the snapshot waiting for the lock',
        async () => (await activeQueries(db.name, app, 'agents')).some((q) => q.waiting === 'Lock'),
        5_000,
      );

      const disposal = await stopWithin(sync);
      await locker.query('ROLLBACK');
      await Promise.race([disposal.settled, sleep(DISPOSE_BOUND_MS)]);
      let left = await connectionsOf(app, db.name);
      await waitFor(`no connection of ${app} left`, async () => (left = await connectionsOf(app, db.name)) === 0, 5_000).catch(() => undefined);
      console.log(`lock ${when}: dispose ${disposal.resolved ? `resolved in ${disposal.ms} ms` : `still pending after ${disposal.ms} ms`}; ${left} connection(s) left after the lock went`);
      expect(disposal.resolved).toBe(true);
      expect(left).toBe(0);
      if (when === 'after a commit') await client.query(`UPDATE agent_system_config SET value = '5' WHERE key = 'max_spawn_depth'`);
    }, 30_000);
  }
});
