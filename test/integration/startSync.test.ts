import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { makeLogger } from '../../src/logger.js';
import { startSync } from '../../src/startSync.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { captureLog, waitFor } from '../support/pipelineHarness.js';

/** The one start of a long-running sync (plugin service and `watch`): the pipeline, its fleet row and the ledger's pruning. */
describe('startSync on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;
  const log = captureLog();

  beforeEach(async () => {
    db = await createTestDatabase('start_sync');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-startsync-'));
  });
  afterEach(async () => {
    await client.end();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can prune the change ledger to historyDays while the sync runs, keeping the newest change', async () => {
    for (let i = 0; i < 5; i += 1) await client.query(`UPDATE agents SET model = $1 WHERE name = 'alpha'`, [`m/${i}`]);
    const old = (await client.query(`UPDATE agent_config_changes SET at = now() - interval '40 days'`)).rowCount;
    expect(old).toBeGreaterThanOrEqual(6);
    const newest = (await client.query<{ id: string }>('SELECT max(id)::text AS id FROM agent_config_changes')).rows[0]!.id;
    const outputPath = path.join(dir, 'agents.json');
    const running = startSync({
      connection: { connectionString: db.url, application_name: 'agent_config_sync' },
      settings: { channel: 'agent_config_changed', debounceMs: 0, maxWaitMs: 100, allowEmpty: false, reconcileMs: 0, historyDays: 30 },
      source: parseAgentsSource('agents'),
      plan: { outputPath, render: { format: 'entries', layout: 'root' } },
      gatewayId: 'gw-prune',
      reload: async () => undefined,
      logger: makeLogger(log),
      pruneFirstDelayMs: 0,
    });
    try {
      const left = async () => (await client.query<{ id: string }>('SELECT id::text FROM agent_config_changes ORDER BY id')).rows.map((r) => r.id);
      await waitFor('the old changes pruned', async () => (await left()).length === 1, 10_000);
      expect(await left()).toEqual([newest]);
      expect(log.text()).toContain(`ledger: removed ${old! - 1} changes older than 30 days`);
      // Every change was old; the newest stays all the same (it is every gateway's "through change N").
    // The sync goes on: a change after the prune reaches the file.
      await client.query(`UPDATE agents SET model = 'm/after-prune' WHERE name = 'alpha'`);
      await waitFor('the change after the prune', () => fs.existsSync(outputPath) && fs.readFileSync(outputPath, 'utf8').includes('m/after-prune'), 10_000);
    } finally {
      await running.dispose();
    }
  });
});
