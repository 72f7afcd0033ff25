import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startGateway, statusRow, type GatewayUnderTest } from '../support/fleetHarness.js';
import { readText, waitFor } from '../support/pipelineHarness.js';

/**
 * Status writes never hurt the sync: a status table locked by someone else (a forgotten open psql
 * transaction, a non-concurrent CREATE INDEX) costs one status backend at most, and the file still
 * follows the database.
 */
describe('bounded status writes on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const gateways: GatewayUnderTest[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('fleet_bounded');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha'), ('beta', 'm/beta')`);
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await client.end();
    await db.drop();
  });

  const statusBackends = async () =>
    Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'agent_config_sync_status'`)).rows[0]!.n);

  it('can hold at most one status backend while the status table is locked for 3 intervals, and still bring a change to the file', async () => {
    // Long enough that a client-side timeout (5 s before) would have fired within the 3 intervals.
    const intervalMs = 3_000;
    const g = startGateway('gw-locked', { url: db.url, intervalMs, timeoutMs: 400 });
    gateways.push(g);
    await waitFor('the row recorded', async () => (await statusRow(client, 'gw-locked')) !== undefined && g.sync.written.length > 0);

    const locker = new pg.Client({ connectionString: db.url, application_name: 'forgotten psql' });
    await locker.connect();
    const seen: number[] = [];
    try {
      await locker.query('BEGIN; LOCK TABLE agent_config_sync_gateways IN ACCESS EXCLUSIVE MODE');
      const lockedAt = Date.now();
      const failedBefore = g.upserts.filter((ok) => !ok).length;
      await client.query(`UPDATE agents SET model = 'm/alpha-2' WHERE name = 'alpha'`);
      // Sampled through 3 intervals (and until the change is in the file), with the table locked all along.
      await waitFor('3 intervals passed and the change reached the file', async () => {
        seen.push(await statusBackends());
        return Date.now() - lockedAt > 3 * intervalMs + 100 && (readText(g.sync.outputPath) ?? '').includes('m/alpha-2');
      }, 20_000);
      // The status writer did try, and was bounded by the server each time.
      expect(g.upserts.filter((ok) => !ok).length).toBeGreaterThan(failedBefore);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    expect(Math.max(...seen)).toBeLessThanOrEqual(1);
    // Released: the row follows again.
    await waitFor('the row follows again', async () => (await statusRow(client, 'gw-locked'))?.agents === 2 && g.upserts.at(-1) === true, 10_000);
  });

  it('can survive its status backend being terminated in the middle of an upsert, and record the row again', async () => {
    const g = startGateway('gw-cut', { url: db.url, intervalMs: 300 });
    gateways.push(g);
    await waitFor('the row recorded', async () => (await statusRow(client, 'gw-cut')) !== undefined && g.upserts.at(-1) === true);
    const locker = new pg.Client({ connectionString: db.url, application_name: 'forgotten psql' });
    await locker.connect();
    try {
      await locker.query('BEGIN; LOCK TABLE agent_config_sync_gateways IN ACCESS EXCLUSIVE MODE');
      // The status upsert waits on the lock (up to its lock timeout); cut its backend then.
      await waitFor('a status upsert waiting on the lock', async () =>
        (await client.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'agent_config_sync_status' AND wait_event_type = 'Lock'`)).rowCount === 1);
      await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'agent_config_sync_status'`);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
    const before = (await statusRow(client, 'gw-cut'))?.last_seen_at as Date;
    await waitFor('the row recorded again over a new connection', async () => ((await statusRow(client, 'gw-cut'))?.last_seen_at as Date) > before, 10_000);
  });
});
