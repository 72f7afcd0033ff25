import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';

/**
 * A gateway of an isolated fleet learns the ledger's mark and who made the changes through the
 * SECURITY DEFINER agent_config_sync_changes_since, without SELECT on the ledger: that table holds every
 * roster's recorded columns, which another gateway's role must not read.
 */
describe('the ledger mark without SELECT on the ledger (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let gateway: pg.Client;
  const role = `acs_mark_${process.pid}`;

  beforeEach(async () => {
    db = await createTestDatabase('ledger_mark');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await withAdmin(async (admin) => {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'mark'`);
    }, db.url);
    await client.query(`GRANT SELECT ON agents, agent_system_config TO ${role}`);
    await client.query(`GRANT EXECUTE ON FUNCTION agent_config_sync_changes_since(bigint) TO ${role}`);
    await client.query(`INSERT INTO agents (name, model, openclaw_config) VALUES ('alpha', 'm/a', '{"description": "secret plan"}')`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'mark';
    gateway = new pg.Client({ connectionString: url.toString() });
    await gateway.connect();
  });

  afterEach(async () => {
    await gateway.end();
    await client.end();
    await db.drop();
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${role}`));
  });

  it('can give a gateway the mark and the authors since its file, never the recorded values', async () => {
    const first = await readSnapshot(gateway, parseAgentsSource('agents'));
    const mark = (await client.query<{ id: string }>('SELECT max(id)::text AS id FROM agent_config_changes')).rows[0]!.id;
    expect(first.through).toBe(mark);
    expect(first.changes).toBeUndefined();

    await client.query(`BEGIN; SET LOCAL agent_config_sync.actor = 'ops-ticket-9'; UPDATE agents SET model = 'm/b' WHERE name = 'alpha'; COMMIT`);
    const next = await readSnapshot(gateway, parseAgentsSource('agents'), { changesAfter: mark });
    expect(Number(next.through)).toBe(Number(mark) + 1);
    expect(next.changes).toEqual([{ id: next.through, actor: 'ops-ticket-9', role: expect.any(String), application: expect.anything() }]);
    // The values stay out of reach: the ledger itself is closed to this role.
    await expect(gateway.query('SELECT old, new FROM agent_config_changes')).rejects.toThrow(/permission denied/);
  });
});
