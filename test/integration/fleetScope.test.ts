import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { assertBuilt, makeTempDir, runCli } from '../cli/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';

/** docs/design.md §9 scoped rosters: one view (or function), many gateways, each its own roster. */
describe('scoped rosters on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const syncs: PipelineUnderTest[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('fleet_scope');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`
      INSERT INTO agents (name, model, instance_type) VALUES
        ('alpha', 'm/alpha', 'primary'), ('beta', 'm/beta', 'primary'), ('helper', 'm/helper', 'subagent');
      -- Which gateway runs which agent; 'helper' is shared by both.
      CREATE TABLE gateway_agents (gateway_id text NOT NULL, agent_name text NOT NULL);
      INSERT INTO gateway_agents VALUES ('gw-a', 'alpha'), ('gw-a', 'helper'), ('gw-b', 'beta'), ('gw-b', 'helper');
      -- The README's worked example: the view reads the gateway id the snapshot sets.
      CREATE VIEW gateway_roster AS
        SELECT a.* FROM agents a
         WHERE EXISTS (SELECT 1 FROM gateway_agents g
                        WHERE g.agent_name = a.name
                          AND g.gateway_id = current_setting('agent_config_sync.gateway', true));
    `);
  });

  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((s) => s.stop()));
    await client.end();
    await db.drop();
  });

  const ids = (text: string | undefined) => Object.keys(JSON.parse(text ?? '{"agents":{}}').agents.entries ?? {}).sort();

  it('can give two gateway ids over one view two rosters', async () => {
    const a = startPipeline(db.url, { agentsSource: parseAgentsSource('gateway_roster'), gatewayId: 'gw-a' });
    const b = startPipeline(db.url, { agentsSource: parseAgentsSource('gateway_roster'), gatewayId: 'gw-b' });
    syncs.push(a, b);
    await waitFor('both first writes', () => a.written.length > 0 && b.written.length > 0);
    expect(ids(readText(a.outputPath))).toEqual(['alpha', 'helper']);
    expect(ids(readText(b.outputPath))).toEqual(['beta', 'helper']);
  });

  it('can bring a change to a shared subagent to both files', async () => {
    const a = startPipeline(db.url, { agentsSource: parseAgentsSource('gateway_roster'), gatewayId: 'gw-a' });
    const b = startPipeline(db.url, { agentsSource: parseAgentsSource('gateway_roster'), gatewayId: 'gw-b' });
    syncs.push(a, b);
    await waitFor('both first writes', () => a.written.length > 0 && b.written.length > 0);
    await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
    const helperModel = (file: string) => (JSON.parse(readText(file) ?? '{}') as any).agents?.entries?.helper?.model;
    await waitFor('helper changed in both files', () => helperModel(a.outputPath) === 'm/helper-2' && helperModel(b.outputPath) === 'm/helper-2');
    // A change to an agent only gw-a runs reaches gw-a, and gw-b's roster stays as it was.
    await client.query(`UPDATE agents SET model = 'm/alpha-2' WHERE name = 'alpha'`);
    await waitFor('alpha changed in gw-a', () => (JSON.parse(readText(a.outputPath)!) as any).agents.entries.alpha.model === 'm/alpha-2');
    expect(ids(readText(b.outputPath))).toEqual(['beta', 'helper']);
  });

  it('can sync --once as one gateway with --gateway-id, and say it in status', async () => {
    assertBuilt();
    const home = makeTempDir('fleet-scope');
    const out = `${home}/agents.json`;
    const args = ['--agents-source', 'gateway_roster', '--gateway-id', 'gw-b', '-o', out, '--format', 'entries', '--layout', 'root', '--database-url', db.url];
    const sync = await runCli(['sync', '--once', ...args], home);
    expect(sync.code).toBe(0);
    expect(ids(readText(out))).toEqual(['beta', 'helper']);
    const status = await runCli(['status', ...args], home);
    expect(status.code).toBe(0);
    const other = await runCli(['status', ...args.map((a) => (a === 'gw-b' ? 'gw-a' : a))], home);
    expect(other.code).toBe(2);
  });

  it('can keep the gateway setting local to the snapshot transaction, as a bound parameter', async () => {
    const source = parseAgentsSource('gateway_roster');
    const tricky = `gw-a'; DROP TABLE agents; --`;
    await client.query(`INSERT INTO gateway_agents VALUES ($1, 'beta')`, [tricky]);
    const snapshot = await readSnapshot(client, source, { gatewayId: tricky });
    expect(snapshot.agents.map((r) => r.name)).toEqual(['beta']);
    // Transaction-local: after the snapshot the session has no gateway setting left.
    const after = await client.query<{ v: string | null }>(`SELECT current_setting('agent_config_sync.gateway', true) AS v`);
    expect(after.rows[0]?.v ?? '').toBe('');
    // Without a gateway id the view returns nobody.
    expect((await readSnapshot(client, source)).agents).toEqual([]);
  });

  it('can scope by session_user with one role per gateway, as the upstream get_agent_export_rows() does', async () => {
    const suffix = db.name.slice(-8);
    const roles = [`gw_a_${suffix}`, `gw_b_${suffix}`];
    await client.query(`
      CREATE TABLE gateway_roles (role_name text NOT NULL, agent_name text NOT NULL);
      INSERT INTO gateway_roles VALUES ('${roles[0]}', 'alpha'), ('${roles[0]}', 'helper'), ('${roles[1]}', 'beta');
      CREATE FUNCTION get_agent_export_rows() RETURNS SETOF agents LANGUAGE sql STABLE AS $$
        SELECT a.* FROM agents a JOIN gateway_roles r ON r.agent_name = a.name WHERE r.role_name = session_user
      $$;
    `);
    for (const role of roles) {
      await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
      await client.query(`GRANT SELECT ON agents, agent_system_config, gateway_roles TO ${role}`);
    }
    try {
      const urlOf = (role: string) => {
        const url = new URL(db.url);
        url.username = role;
        url.password = 'pw';
        return url.toString();
      };
      const a = startPipeline(urlOf(roles[0]!), { agentsSource: parseAgentsSource('get_agent_export_rows()') });
      const b = startPipeline(urlOf(roles[1]!), { agentsSource: parseAgentsSource('get_agent_export_rows()') });
      syncs.push(a, b);
      await waitFor('both first writes', () => a.written.length > 0 && b.written.length > 0);
      expect(ids(readText(a.outputPath))).toEqual(['alpha', 'helper']);
      expect(ids(readText(b.outputPath))).toEqual(['beta']);
    } finally {
      await Promise.all(syncs.splice(0).map((s) => s.stop()));
      for (const role of roles) {
        await client.query(`REVOKE ALL ON agents, agent_system_config, gateway_roles FROM ${role}`);
        await client.query(`DROP ROLE ${role}`);
      }
    }
  });
});
