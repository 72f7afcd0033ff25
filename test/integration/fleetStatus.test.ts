import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { gatewayStatusWriter, type StatusWriter, type Synced } from '../../src/fleet/statusWriter.js';
import { makeLogger } from '../../src/logger.js';
import { assertBuilt, makeTempDir, runCli } from '../cli/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';

interface Gateway {
  sync: PipelineUnderTest;
  writer: StatusWriter;
  upserts: boolean[];
  stop(): Promise<void>;
}

/** Fleet status: each sync records itself in agent_config_sync_gateways; `fleet` reads it with the change ledger. */
describe('fleet status on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let home: string;
  const gateways: Gateway[] = [];

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    home = makeTempDir('fleet');
    db = await createTestDatabase('fleet_status');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`
      INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha'), ('beta', 'm/beta'), ('helper', 'm/helper');
      CREATE TABLE gateway_agents (gateway_id text NOT NULL, agent_name text NOT NULL);
      INSERT INTO gateway_agents VALUES ('gw-a', 'alpha'), ('gw-a', 'helper'), ('gw-b', 'beta'), ('gw-b', 'helper'),
                                        ('gw-c', 'alpha');
      CREATE VIEW gateway_roster AS SELECT a.* FROM agents a
        WHERE EXISTS (SELECT 1 FROM gateway_agents g WHERE g.agent_name = a.name
                        AND g.gateway_id = current_setting('agent_config_sync.gateway', true));
    `);
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await client.end();
    await db.drop();
  });

  /** A pipeline with its status writer, wired the way the plugin and `watch` wire them. */
  function startGateway(gatewayId: string, options: { url?: string; outputPath?: string } = {}): Gateway {
    const upserts: boolean[] = [];
    let writer: StatusWriter | undefined;
    const hooks = {
      onError: (m: string) => writer?.failed(m),
      onSynced: (s: Synced) => writer?.synced(s),
    };
    const sync = startPipeline(options.url ?? db.url, { agentsSource: parseAgentsSource('gateway_roster'), gatewayId, ...(options.outputPath ? { outputPath: options.outputPath } : {}), ...hooks });
    writer = gatewayStatusWriter({
      connection: { connectionString: options.url ?? db.url },
      gatewayId,
      hostVersion: '2026.8.2',
      outputPath: sync.outputPath,
      render: { format: 'entries', layout: 'root' },
      logger: makeLogger(sync.log),
      onUpserted: (ok) => upserts.push(ok),
    });
    const w = writer;
    const gateway: Gateway = {
      sync,
      writer: w,
      upserts,
      async stop() {
        await w.stop();
        await sync.stop();
      },
    };
    gateways.push(gateway);
    return gateway;
  }

  const row = async (id: string) =>
    (await client.query(`SELECT * FROM agent_config_sync_gateways WHERE gateway_id = $1`, [id])).rows[0] as Record<string, any> | undefined;
  const fleet = async () => {
    const result = await runCli(['fleet', '--json', '--database-url', db.url], home);
    return { code: result.code, report: result.stdout ? (JSON.parse(result.stdout) as { gateways: { gatewayId: string; state: string; reason: string }[] } & Record<string, number>) : undefined, stderr: result.stderr };
  };
  const stateOf = (report: { gateways: { gatewayId: string; state: string }[] } | undefined, id: string) => report?.gateways.find((g) => g.gatewayId === id)?.state;
  /** The row's roster hash is the hash of the file on disk. */
  const recorded = async (g: Gateway, id: string) => {
    const text = readText(g.sync.outputPath);
    const r = await row(id);
    return text !== undefined && r?.roster_sha256 !== undefined && r.roster_sha256 === (await import('node:crypto')).createHash('sha256').update(text).digest('hex');
  };

  it('can record each gateway on start and after each write, and call the fleet current (exit 0)', async () => {
    const a = startGateway('gw-a');
    const b = startGateway('gw-b');
    await waitFor('both rows carry the hash of their files', async () => (await recorded(a, 'gw-a')) && (await recorded(b, 'gw-b')));
    const ra = await row('gw-a');
    expect(ra).toMatchObject({ host_version: '2026.8.2', format: 'entries', layout: 'root', output_path: a.sync.outputPath, agents: 2, last_error: null });
    expect(ra!.last_write_at).toBeInstanceOf(Date);
    const { code, report } = await fleet();
    expect(report?.gateways.map((g) => [g.gatewayId, g.state])).toEqual([['gw-a', 'current'], ['gw-b', 'current']]);
    expect(report?.current).toBe(2);
    expect(code).toBe(0);
    // After a write the row follows at once (no 60 s wait).
    await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
    await waitFor('gw-a row follows the write', async () => (readText(a.sync.outputPath) ?? '').includes('m/helper-2') && (await recorded(a, 'gw-a')));
  });

  it('can call a gateway that missed a change behind (exit 2)', async () => {
    const a = startGateway('gw-a');
    const b = startGateway('gw-b');
    await waitFor('both recorded', async () => (await recorded(a, 'gw-a')) && (await recorded(b, 'gw-b')));
    await b.stop();
    gateways.splice(gateways.indexOf(b), 1);
    // As if it had died (no clean stop: a crash leaves no stopped_at).
    await client.query(`UPDATE agent_config_sync_gateways SET stopped_at = NULL WHERE gateway_id = 'gw-b'`);
    await client.query(`UPDATE agents SET model = 'm/beta-2' WHERE name = 'beta'`);
    // Made a minute ago: past every gateway's max wait + 5 s, so owed by any gateway that has not synced it.
    await client.query(`UPDATE agent_config_changes SET at = at - interval '60 seconds' WHERE id = (SELECT max(id) FROM agent_config_changes)`);
    const through = (await client.query(`SELECT max(id)::text AS id FROM agent_config_changes`)).rows[0].id as string;
    await waitFor('gw-a synced the change', async () => BigInt((await client.query(`SELECT coalesce(synced_through, 0)::text AS t FROM agent_config_sync_gateways WHERE gateway_id = 'gw-a'`)).rows[0].t) >= BigInt(through));
    const { code, report } = await fleet();
    expect(stateOf(report, 'gw-a')).toBe('current');
    expect(stateOf(report, 'gw-b')).toBe('behind');
    expect(code).toBe(2);
  });

  it('can call a gateway not seen for 3 intervals stale (exit 2)', async () => {
    const a = startGateway('gw-a');
    await waitFor('recorded', () => recorded(a, 'gw-a'));
    await a.stop();
    gateways.splice(0);
    // As if it had died four minutes ago (no clean stop): the row is old news.
    await client.query(`UPDATE agent_config_sync_gateways SET last_seen_at = now() - interval '4 minutes', stopped_at = NULL WHERE gateway_id = 'gw-a'`);
    const { code, report } = await fleet();
    expect(stateOf(report, 'gw-a')).toBe('stale');
    expect(code).toBe(2);
  });

  it('can call a cleanly stopped gateway stopped (exit 0), neither behind nor stale, and current again after a restart', async () => {
    const a = startGateway('gw-a');
    const b = startGateway('gw-b');
    await waitFor('both recorded', async () => (await recorded(a, 'gw-a')) && (await recorded(b, 'gw-b')));
    await b.stop();
    gateways.splice(gateways.indexOf(b), 1);
    expect((await row('gw-b'))?.stopped_at).toBeInstanceOf(Date);
    await client.query(`UPDATE agents SET model = 'm/beta-2' WHERE name = 'beta'`);
    let { code, report } = await fleet();
    expect(stateOf(report, 'gw-b')).toBe('stopped');
    expect(report?.stopped).toBe(1);
    expect(code).toBe(0);
    // Days later it is still stopped, not stale.
    await client.query(`UPDATE agent_config_sync_gateways SET last_seen_at = now() - interval '3 days', stopped_at = now() - interval '3 days' WHERE gateway_id = 'gw-b'`);
    ({ code, report } = await fleet());
    expect([stateOf(report, 'gw-b'), code]).toEqual(['stopped', 0]);
    // Started again: it syncs in full and its row is no longer marked stopped.
    const b2 = startGateway('gw-b');
    await waitFor('restarted gateway recorded with the new model', async () => (readText(b2.sync.outputPath) ?? '').includes('m/beta-2') && (await recorded(b2, 'gw-b')) && (await row('gw-b'))?.stopped_at === null);
    ({ code, report } = await fleet());
    expect([stateOf(report, 'gw-b'), code]).toEqual(['current', 0]);
  });

  it('can forget a retired gateway with fleet --forget, and say when there is none (exit 1)', async () => {
    const a = startGateway('gw-a');
    await waitFor('recorded', () => recorded(a, 'gw-a'));
    await a.stop();
    gateways.splice(0);
    const forgot = await runCli(['fleet', '--forget', 'gw-a', '--database-url', db.url], home);
    expect([forgot.code, forgot.stdout]).toEqual([0, 'forgot gateway "gw-a": its row is removed (a gateway still running records itself again within a minute)\n']);
    expect(await row('gw-a')).toBeUndefined();
    const again = await runCli(['fleet', '--forget', 'gw-a', '--database-url', db.url], home);
    expect([again.code, again.stdout]).toEqual([1, 'no gateway "gw-a" in agent_config_sync_gateways\n']);
  });

  it('can call a gateway whose writes fail failing (exit 1), and current again once it recovers', async () => {
    const dir = makeTempDir('fleet-out');
    const missing = path.join(dir, 'not-yet', 'agents.json');
    const c = startGateway('gw-c', { outputPath: missing });
    await waitFor('the write error reaches the row', async () => ((await row('gw-c'))?.last_error ?? '').includes('write'));
    const { code, report } = await fleet();
    expect(stateOf(report, 'gw-c')).toBe('failing');
    expect(report?.gateways[0]?.reason).toContain('write');
    expect(code).toBe(1);
    // The directory appears: the write retry lands, the error is over.
    (await import('node:fs')).mkdirSync(path.dirname(missing));
    await waitFor('recovered', async () => (await row('gw-c'))?.last_error === null && (await recorded(c, 'gw-c')));
    expect((await fleet()).code).toBe(0);
  });

  it('can keep syncing when the status table is missing, with one warning', async () => {
    await client.query('DROP TABLE agent_config_sync_gateways');
    const a = startGateway('gw-a');
    await waitFor('first write', () => a.sync.written.length > 0);
    await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
    await waitFor('second write', () => (readText(a.sync.outputPath) ?? '').includes('m/helper-2'));
    await waitFor('two refused upserts (on start, after the writes)', () => a.upserts.filter((ok) => !ok).length >= 2);
    const warnings = a.sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('agent_config_sync_gateways'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('run "agent-config-sync migrate"');
    const { code, stderr } = await fleet();
    expect(code).toBe(1);
    expect(stderr).toContain('no agent_config_sync_gateways table');
  });

  it('can keep syncing when the status table is read-only for its role, with one warning', async () => {
    const role = `ro_${db.name.slice(-8)}`;
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
    await client.query(`GRANT SELECT ON agents, agent_system_config, gateway_agents, gateway_roster, agent_config_sync_gateways TO ${role}`);
    try {
      const url = new URL(db.url);
      url.username = role;
      url.password = 'pw';
      const a = startGateway('gw-a', { url: url.toString() });
      await waitFor('first write', () => a.sync.written.length > 0);
      await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
      await waitFor('second write', () => (readText(a.sync.outputPath) ?? '').includes('m/helper-2'));
      await waitFor('two refused upserts', () => a.upserts.filter((ok) => !ok).length >= 2);
      const warnings = a.sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('agent_config_sync_gateways'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain('GRANT SELECT, INSERT, UPDATE');
      expect(await row('gw-a')).toBeUndefined();
      await Promise.all(gateways.splice(0).map((g) => g.stop()));
    } finally {
      await client.query(`REVOKE ALL ON agents, agent_system_config, gateway_agents, gateway_roster, agent_config_sync_gateways FROM ${role}`);
      await client.query(`DROP ROLE ${role}`);
    }
  });

  it('can print an empty fleet and exit 0 when no gateway has reported', async () => {
    const result = await runCli(['fleet', '--database-url', db.url], home);
    expect(result.stdout).toContain('no gateway has reported yet');
    expect(result.code).toBe(0);
  });

});
