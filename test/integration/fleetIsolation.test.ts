import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { assertBuilt, makeTempDir } from '../cli/cli.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { fleetJson, hasSynced, ledgerHighWater, startGateway, statesOf, statusRow, urlAs, type GatewayUnderTest } from '../support/fleetHarness.js';
import { readText, waitFor } from '../support/pipelineHarness.js';

/**
 * One role per gateway: row-level security on the status table lets a role write only the rows it
 * owns, and rosters are scoped by session_user (the gateway setting is a selector a client picks, not a
 * boundary).
 */
describe('fleet isolation on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let home: string;
  let roles: [string, string];
  const gateways: GatewayUnderTest[] = [];

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    home = makeTempDir('fleet-isolation');
    db = await createTestDatabase('fleet_isolation');
    const suffix = db.name.slice(-8);
    roles = [`gw_a_${suffix}`, `gw_b_${suffix}`];
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`
      INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha'), ('beta', 'm/beta'), ('helper', 'm/helper');
      CREATE TABLE gateway_roles (role_name text NOT NULL, agent_name text NOT NULL);
      INSERT INTO gateway_roles VALUES ('${roles[0]}', 'alpha'), ('${roles[0]}', 'helper'), ('${roles[1]}', 'beta');
      CREATE FUNCTION public.get_agent_export_rows() RETURNS SETOF public.agents
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        SELECT a.* FROM public.agents a JOIN public.gateway_roles r ON r.agent_name = a.name WHERE r.role_name = session_user
      $$;
      REVOKE ALL ON FUNCTION public.get_agent_export_rows() FROM PUBLIC;
    `);
    for (const role of roles) {
      await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
      // The documented grants of a gateway's role (README, docs/fleet.md): no SELECT on agents or the ledger.
      await client.query(`GRANT EXECUTE ON FUNCTION get_agent_export_rows() TO ${role}`);
      await client.query(`GRANT SELECT ON agent_system_config TO ${role}`);
      await client.query(`GRANT EXECUTE ON FUNCTION agent_config_sync_changes_since(bigint), agent_config_sync_prune_changes(integer, integer) TO ${role}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE ON agent_config_sync_gateways TO ${role}`);
    }
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await client.end();
    await db.drop();
    await withAdmin(async (admin) => {
      for (const role of roles) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });

  const start = (id: string, role: string, options: Omit<Parameters<typeof startGateway>[1], 'url'> = {}) => {
    const g = startGateway(id, { url: urlAs(db.url, role), pipeline: { agentsSource: parseAgentsSource('get_agent_export_rows()') }, ...options });
    gateways.push(g);
    return g;
  };
  const ids = (text: string | undefined) => Object.keys(JSON.parse(text ?? '{"agents":{}}').agents.entries ?? {}).sort();

  it("can keep gateway A's role from writing B's status row, so a stopped B stays stopped", async () => {
    const [roleA, roleB] = roles;
    const b = start('gw-b', roleB);
    await waitFor('gw-b recorded by its role', async () => (await statusRow(client, 'gw-b'))?.owner === roleB);
    await b.stop();
    gateways.splice(0);
    const before = await statusRow(client, 'gw-b');
    expect(before?.stopped_at).toBeInstanceOf(Date);

    // A's own status writer, misconfigured (or malicious) with B's id: refused, one warning, its sync goes on.
    const a = start('gw-b', roleA);
    await waitFor('two refused upserts', () => a.upserts.filter((ok) => !ok).length >= 2);
    const warnings = a.sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('agent_config_sync_gateways'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('a row another role owns cannot be written');
    expect(ids(readText(a.sync.outputPath))).toEqual(['alpha', 'helper']);

    // A's role by hand: an update of B's row touches nothing, an insert in B's name is refused.
    const asA = new pg.Client({ connectionString: urlAs(db.url, roleA) });
    await asA.connect();
    try {
      const updated = await asA.query(`UPDATE agent_config_sync_gateways SET stopped_at = NULL, last_seen_at = now(), synced_through = 999999 WHERE gateway_id = 'gw-b'`);
      expect(updated.rowCount).toBe(0);
      await expect(asA.query(`INSERT INTO agent_config_sync_gateways (gateway_id, last_seen_at, owner) VALUES ('gw-c', now(), $1)`, [roleB])).rejects.toThrow(/row-level security/);
      await expect(asA.query(`DELETE FROM agent_config_sync_gateways WHERE gateway_id = 'gw-b'`)).rejects.toThrow(/permission denied/);
    } finally {
      await asA.end();
    }
    const after = await statusRow(client, 'gw-b');
    expect([after?.owner, after?.stopped_at, after?.last_seen_at, after?.through]).toEqual([roleB, before?.stopped_at, before?.last_seen_at, before?.through]);
    const fleet = await fleetJson(db.url, home);
    expect(statesOf(fleet)).toEqual({ 'gw-b': 'stopped' });
    expect(fleet.report?.gateways[0]?.owner).toBe(roleB);
  });

  it('can call two roles scoped by session_user through one function both current, each row owned by its role', async () => {
    const [roleA, roleB] = roles;
    const a = start('gw-a', roleA);
    const b = start('gw-b', roleB);
    await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
    const through = await ledgerHighWater(client);
    await waitFor('both synced the change', async () => (await hasSynced(client, 'gw-a', through)) && (await hasSynced(client, 'gw-b', through)), 10_000);
    expect(ids(readText(a.sync.outputPath))).toEqual(['alpha', 'helper']);
    expect(ids(readText(b.sync.outputPath))).toEqual(['beta']);
    // Read by the operator: the gateways' roles have no SELECT on the ledger that fleet judges from.
    const fleet = await fleetJson(db.url, home);
    expect(statesOf(fleet)).toEqual({ 'gw-a': 'current', 'gw-b': 'current' });
    expect(fleet.report?.gateways.map((g) => g.owner)).toEqual([roleA, roleB]);
    expect(fleet.code).toBe(0);
  });

  it('can upgrade a status table of the previous release in place: rows kept, unowned until their gateway claims them', async () => {
    const [roleA, roleB] = roles;
    await client.query(`DROP TABLE agent_config_sync_gateways`);
    await migrate(client, path.resolve('test/fixtures/sql-before-ledger'));
    await client.query(`INSERT INTO agent_config_sync_gateways (gateway_id, agents, last_seen_at) VALUES ('gw-a', 2, now() - interval '1 hour')`);
    await migrate(client);
    await client.query(`GRANT SELECT, INSERT, UPDATE ON agent_config_sync_gateways TO ${roleA}, ${roleB}`);
    const kept = await statusRow(client, 'gw-a');
    expect([kept?.agents, kept?.owner, kept?.through]).toEqual([2, null, null]);
    // Its gateway, running as its own role, claims it; after that no other role can write it.
    start('gw-a', roleA);
    await waitFor('gw-a claimed by its role', async () => (await statusRow(client, 'gw-a'))?.owner === roleA);
    const b = start('gw-a', roleB);
    await waitFor('the other role refused', () => b.upserts.filter((ok) => !ok).length >= 1);
    expect((await statusRow(client, 'gw-a'))?.owner).toBe(roleA);
  });
});
