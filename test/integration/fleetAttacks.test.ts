import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { assertBuilt, makeTempDir, runCli } from '../cli/cli.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { fleetJson, hasSynced, ledgerHighWater, startGateway, statesOf, urlAs, type GatewayUnderTest } from '../support/fleetHarness.js';
import { readText, waitFor } from '../support/pipelineHarness.js';
import { upsertBounded, type StatusRow } from '../../src/fleet/statusUpsert.js';

/**
 * Another gateway's role against the fleet as docs/fleet.md tells operators to build it: the worked example
 * is run as written (its SQL is read from the doc), then gateway A's role tries to read B's roster.
 */

/** The SQL of the worked example under "Scoped rosters" in docs/fleet.md. */
function workedExample(): string {
  const doc = fs.readFileSync('docs/fleet.md', 'utf8');
  const section = doc.slice(doc.indexOf('## Scoped rosters'));
  const match = /```sql\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('docs/fleet.md has no SQL block under "Scoped rosters"');
  return match[1]!;
}

describe('a fleet scoped by session_user, as documented, against another gateway\'s role', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let home: string;
  let roles: [string, string];
  const gateways: GatewayUnderTest[] = [];

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    home = makeTempDir('fleet-attacks');
    db = await createTestDatabase('fleet_attacks');
    const suffix = db.name.slice(-8);
    roles = [`gw_a_${suffix}`, `gw_b_${suffix}`];
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha'), ('beta', 'm/beta-secret'), ('helper', 'm/helper')`);
    // The doc's SQL for gw_a, and its role lines again for gw_b ("one login role per gateway").
    const sql = workedExample().replaceAll('…', 'pw').replace(/\bgw_a\b/g, roles[0]).replace(/\bgw_b\b/g, roles[1]);
    await client.query(sql);
    const roleLines = sql.slice(sql.indexOf('CREATE ROLE'));
    await client.query(roleLines.replaceAll(roles[0], roles[1]));
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await client.end();
    await db.drop();
    await withAdmin(async (admin) => {
      for (const role of roles) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    });
  });

  it("can keep gateway A's role from reading B's roster, while both sync their own and are current", async () => {
    const [roleA, roleB] = roles;
    const asA = new pg.Client({ connectionString: urlAs(db.url, roleA) });
    await asA.connect();
    try {
      await expect(asA.query(`SELECT name, model FROM agents`)).rejects.toMatchObject({ code: '42501' });
      await expect(asA.query(`SELECT * FROM gateway_roles`)).rejects.toMatchObject({ code: '42501' });
      // Nor through the ledger, which records every roster's values: gateways learn ids and authors only.
      await expect(asA.query(`SELECT old, new FROM agent_config_changes`)).rejects.toMatchObject({ code: '42501' });
      const own = await asA.query(`SELECT name FROM get_agent_export_rows() ORDER BY name`);
      expect(own.rows.map((r) => r.name)).toEqual(['alpha', 'helper']);
    } finally {
      await asA.end();
    }

    const start = (id: string, role: string) => {
      const g = startGateway(id, { url: urlAs(db.url, role), pipeline: { agentsSource: parseAgentsSource('get_agent_export_rows()') } });
      gateways.push(g);
      return g;
    };
    const a = start('gw-a', roleA);
    const b = start('gw-b', roleB);
    await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
    const through = await ledgerHighWater(client);
    await waitFor('both synced the change', async () => (await hasSynced(client, 'gw-a', through)) && (await hasSynced(client, 'gw-b', through)), 10_000);
    const ids = (text: string | undefined) => Object.keys(JSON.parse(text ?? '{"agents":{}}').agents.entries ?? {}).sort();
    expect(ids(readText(a.sync.outputPath))).toEqual(['alpha', 'helper']);
    expect(ids(readText(b.sync.outputPath))).toEqual(['beta']);
    // The operator reads the fleet: it judges from the ledger, which the gateways' roles may not read.
    const fleet = await fleetJson(db.url, home);
    expect(statesOf(fleet)).toEqual({ 'gw-a': 'current', 'gw-b': 'current' });
  });
});

describe('fleet text against the words of another gateway\'s role and of a writer', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let home: string;
  let role: string;

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    home = makeTempDir('fleet-text');
    db = await createTestDatabase('fleet_text');
    role = `gw_m_${db.name.slice(-8)}`;
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    await client.query(`GRANT SELECT, INSERT, UPDATE ON agents, agent_config_sync_gateways TO ${role}; GRANT USAGE ON SEQUENCE agents_id_seq TO ${role}`);
  });

  afterEach(async () => {
    await client.end();
    await db.drop();
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${role}`));
  });

  it("can keep a gateway's own row from posing as another gateway's line in fleet's text", async () => {
    const forged = `gw-b  current  owner gw_b  2 agents  through 9  seen 2026-12-07T00:00:00.000Z  it has every change`;
    const asM = new pg.Client({ connectionString: urlAs(db.url, role) });
    await asM.connect();
    try {
      await asM.query(`INSERT INTO agent_config_sync_gateways (gateway_id, last_seen_at, interval_ms) VALUES ($1, now(), 60000)`, [forged]);
    } finally {
      await asM.end();
    }
    const result = await runCli(['fleet', '--database-url', db.url], home);
    const line = result.stdout.split('\n')[0]!;
    // The id is one quoted cell: what follows it is fleet's own judgement, not the row's words.
    expect(line.startsWith(`${JSON.stringify(forged)}  current  owner ${role}`)).toBe(true);
  });

  it('names the login role beside an actor the writer chose, in fleet --change', async () => {
    const asM = new pg.Client({ connectionString: urlAs(db.url, role) });
    await asM.connect();
    try {
      await asM.query(`BEGIN; SET LOCAL agent_config_sync.actor = 'alice'; INSERT INTO agents (name, model) VALUES ('alpha', 'm/one'); COMMIT`);
    } finally {
      await asM.end();
    }
    const id = String((await client.query(`SELECT pg_catalog.max(id) AS id FROM agent_config_changes`)).rows[0].id);
    const result = await runCli(['fleet', '--change', id, '--database-url', db.url], home);
    expect(result.stdout.split('\n')[0]).toContain(`by alice (role ${role}) at `);
  });

  it('never calls an operator planted in public when an operator (a superuser) runs fleet', async () => {
    await client.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    const asM = new pg.Client({ connectionString: urlAs(db.url, role) });
    await asM.connect();
    try {
      await asM.query(`INSERT INTO agent_config_sync_gateways (gateway_id, last_seen_at, interval_ms, max_wait_ms) VALUES ('gw-m', now(), 60000, 2000)`);
      await asM.query(`CREATE TABLE public.proof (ran_as name)`);
      await asM.query(`GRANT INSERT ON public.proof TO PUBLIC`);
      // A division that matches fleet's "max wait in seconds" more exactly than pg_catalog's numeric one.
      await asM.query(`CREATE FUNCTION public.div_in(integer, numeric) RETURNS numeric LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.proof VALUES (current_user); RETURN $1::numeric / $2; END $$`);
      await asM.query(`CREATE OPERATOR public./ (LEFTARG = integer, RIGHTARG = numeric, FUNCTION = public.div_in)`);
    } finally {
      await asM.end();
    }
    const result = await runCli(['fleet', '--database-url', db.url], home);
    expect(result.stdout).toContain('gw-m  current');
    expect((await client.query(`SELECT ran_as FROM public.proof`)).rows).toEqual([]);
  });

  it("never calls an operator planted in public from a gateway's status write", async () => {
    const planter = `planter_${db.name.slice(-8)}`;
    await client.query(`CREATE ROLE ${planter} LOGIN PASSWORD 'pw'; GRANT CREATE ON SCHEMA public TO ${planter}`);
    try {
      const asP = new pg.Client({ connectionString: urlAs(db.url, planter) });
      await asP.connect();
      try {
        await asP.query(`CREATE TABLE public.proof (ran_as name)`);
        await asP.query(`GRANT INSERT ON public.proof TO PUBLIC`);
        // Matches the status row's "ms ago → seconds" more exactly than pg_catalog's float8 / float8.
        await asP.query(`CREATE FUNCTION public.div_fi(double precision, integer) RETURNS double precision LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO public.proof VALUES (current_user); RETURN $1 / $2::double precision; END $$`);
        await asP.query(`CREATE OPERATOR public./ (LEFTARG = double precision, RIGHTARG = integer, FUNCTION = public.div_fi)`);
      } finally {
        await asP.end();
      }
      const row: StatusRow = {
        gatewayId: 'gw-m', hostVersion: null, format: 'entries', layout: 'root', outputPath: '/tmp/agents.json', agents: 1,
        rosterSha256: null, lastWriteAgeMs: 10, lastError: null, lastErrorAgeMs: null, pluginVersion: '0', stopping: false,
        syncedThrough: '1', syncedAgeMs: 10, lastSyncAgeMs: 10, instanceId: 'i-1', instanceAgeMs: 100, intervalMs: 60000, maxWaitMs: 2000,
      };
      const asM = new pg.Client({ connectionString: urlAs(db.url, role) });
      await asM.connect();
      try {
        await upsertBounded(asM, row, { lockTimeoutMs: 2000, statementTimeoutMs: 5000 });
      } finally {
        await asM.end();
      }
      expect((await client.query(`SELECT ran_as FROM public.proof`)).rows).toEqual([]);
      expect((await client.query(`SELECT owner FROM agent_config_sync_gateways WHERE gateway_id = 'gw-m'`)).rows).toEqual([{ owner: role }]);
    } finally {
      await client.query(`DROP OWNED BY ${planter} CASCADE; DROP ROLE ${planter}`);
    }
  });
});

