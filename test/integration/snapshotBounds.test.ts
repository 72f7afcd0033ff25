import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';

/** A snapshot bounds itself on the server: a lock it waits behind costs a timeout and a retry, not a stuck pipeline. */
describe('snapshot bounds on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let locker: pg.Client;
  let sync: PipelineUnderTest | undefined;
  const app = `acs_bounds_${process.pid}`;

  beforeEach(async () => {
    db = await createTestDatabase('snapshot_bounds');
    client = new pg.Client({ connectionString: db.url });
    locker = new pg.Client({ connectionString: db.url });
    await client.connect();
    await locker.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
  });

  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
    await locker.end().catch(() => undefined);
    await client.end();
    await db.drop();
  });

  const waitingQueries = () =>
    withAdmin(async (admin) => {
      const r = await admin.query<{ n: string }>(
        `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND wait_event_type = 'Lock'`,
        [db.name, app],
      );
      return Number(r.rows[0]?.n ?? 0);
    });

  it('can give up a read that waits behind a lock (statement/lock timeout), warn once, retry, and catch up when the lock goes', async () => {
    sync = startPipeline(db.url, {
      connection: { connectionString: db.url, application_name: app },
      snapshotTimeoutMs: 300,
      reconnectDelay: () => 200,
    });
    await waitFor('first sync', async () => readText(sync!.outputPath) === (await expectedText(db.url)));

    // Another session holds the system-config table; a change to agents needs a snapshot that reads both.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE agent_system_config IN ACCESS EXCLUSIVE MODE');
    await client.query(`UPDATE agents SET model = 'm/while-locked' WHERE name = 'alpha'`);

    const timedOut = /reading the database failed \(retry 1\): canceling statement due to (statement|lock) timeout/;
    await waitFor('a timeout warning', () => timedOut.test(sync!.log.text()), 5_000);
    // The server ended the waiting read: nothing of the pipeline sits in the lock queue for long.
    await new Promise((r) => setTimeout(r, 1_500));
    const retries = sync.log.lines.filter((l) => l.message.includes('reading the database failed')).length;
    expect(retries).toBeGreaterThanOrEqual(2);
    // Warned once per episode, the retries go to debug.
    expect(sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('reading the database failed'))).toHaveLength(1);
    expect(readText(sync.outputPath)).not.toContain('m/while-locked');

    await locker.query('COMMIT');
    const want = await expectedText(db.url);
    await waitFor('the change after the lock is released', () => readText(sync!.outputPath) === want, 5_000);
    expect(want).toContain('m/while-locked');
    expect(await waitingQueries()).toBe(0);
  });
});
