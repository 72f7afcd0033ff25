import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { assertBuilt, makeTempDir } from '../cli/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { fleetJson, hasSynced, leavesThinkingOut, ledgerHighWater, startGateway, statesOf, statusRow, type GatewayUnderTest } from '../support/fleetHarness.js';
import { readText, waitFor } from '../support/pipelineHarness.js';

/**
 * `fleet` judged from the status rows and the change ledger alone: a gateway is current when its file
 * holds every change made before its max wait + 5 s, whatever its file looks like (its host version,
 * format and host check decide that, and the CLI cannot see them).
 */
describe('a truthful fleet on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let home: string;
  const gateways: GatewayUnderTest[] = [];

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    home = makeTempDir('fleet-truth');
    db = await createTestDatabase('fleet_truth');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, thinking) VALUES ('alpha', 'm/alpha', 'high'), ('beta', 'm/beta', NULL), ('helper', 'm/helper', 'low')`);
  });

  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await client.end();
    await db.drop();
  });

  const start = (id: string, options: Omit<Parameters<typeof startGateway>[1], 'url'> = {}) => {
    const g = startGateway(id, { url: db.url, ...options });
    gateways.push(g);
    return g;
  };
  const allSynced = (gs: GatewayUnderTest[], through: string) => waitFor(`${gs.map((g) => g.id).join(', ')} synced through ${through}`, async () => {
    for (const g of gs) if (!(await hasSynced(client, g.id, through))) return false;
    return true;
  }, 10_000);

  it('can call a mixed fleet current when each file holds what its own sync writes (formats, a host check that leaves a setting out)', async () => {
    const plain = start('gw-entries');
    const list = start('gw-list', { format: 'list' });
    const checked = start('gw-checked', { pipeline: { hostCheck: leavesThinkingOut } });
    await client.query(`UPDATE agents SET model = 'm/helper-2' WHERE name = 'helper'`);
    const through = await ledgerHighWater(client);
    await allSynced([plain, list, checked], through);
    // The checked gateway's file is not what a plain render of the database gives: no thinkingDefault.
    expect(readText(checked.sync.outputPath)).not.toContain('thinkingDefault');
    expect(readText(plain.sync.outputPath)).toContain('thinkingDefault');
    const fleet = await fleetJson(db.url, home);
    expect(statesOf(fleet)).toEqual({ 'gw-checked': 'current', 'gw-entries': 'current', 'gw-list': 'current' });
    expect(fleet.code).toBe(0);
  });

  it('can call a gateway current again after a brief connection error, without any roster change', async () => {
    const checked = start('gw-checked', { pipeline: { hostCheck: leavesThinkingOut, reconnectDelay: () => 2_500 } });
    await allSynced([checked], await ledgerHighWater(client));
    // A brief connection error: the sync's listening connection is cut, and it reconnects and resyncs.
    await client.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'agent_config_sync'`);
    await waitFor('the error reaches the row', async () => (await statusRow(client, 'gw-checked'))?.last_error != null);
    // The resync finds the file equal to its (host-checked) render: the error is over.
    await waitFor('the row says the error is over', async () => (await statusRow(client, 'gw-checked'))?.last_error === null, 10_000);
    const fleet = await fleetJson(db.url, home);
    expect(statesOf(fleet)).toEqual({ 'gw-checked': 'current' });
    expect(fleet.code).toBe(0);
  });

  it('can tell a gateway that died before three changes (behind, with the count) from one that stopped cleanly (stopped)', async () => {
    const alive = start('gw-alive');
    const died = start('gw-died');
    const stopped = start('gw-stopped');
    await allSynced([alive, died, stopped], await ledgerHighWater(client));
    await stopped.stop();
    await died.stop();
    gateways.splice(1, 2);
    // As if gw-died had crashed: no clean stop on its row.
    await client.query(`UPDATE agent_config_sync_gateways SET stopped_at = NULL WHERE gateway_id = 'gw-died'`);
    await client.query(`UPDATE agents SET model = 'm/alpha-2' WHERE name = 'alpha'`);
    await client.query(`UPDATE agents SET model = 'm/beta-2' WHERE name = 'beta'`);
    await client.query(`INSERT INTO agents (name, model) VALUES ('gamma', 'm/gamma')`);
    const through = await ledgerHighWater(client);
    const oldest = String(BigInt(through) - 2n);
    // Made a minute ago, well past every gateway's max wait + 5 s.
    await client.query(`UPDATE agent_config_changes SET at = at - interval '60 seconds' WHERE id > $1::bigint - 3`, [through]);
    await allSynced([alive], through);
    const fleet = await fleetJson(db.url, home);
    expect(statesOf(fleet)).toEqual({ 'gw-alive': 'current', 'gw-died': 'behind', 'gw-stopped': 'stopped' });
    const reason = fleet.report?.gateways.find((g) => g.gatewayId === 'gw-died')?.reason;
    expect(reason).toMatch(new RegExp(`^3 changes behind, oldest ${oldest}, 6\\d s ago$`));
    expect(fleet.code).toBe(2);
  });

  it('can report a conflict when two instances run with one gateway id', async () => {
    start('gw-twin', { instanceId: 'instance-one', intervalMs: 300 });
    await waitFor('the first instance recorded', async () => (await statusRow(client, 'gw-twin'))?.instance_id === 'instance-one');
    start('gw-twin', { instanceId: 'instance-two', intervalMs: 300 });
    await waitFor('both instances took turns on the row', async () => {
      const fleet = await fleetJson(db.url, home);
      return statesOf(fleet)['gw-twin'] === 'conflict';
    }, 10_000);
    const fleet = await fleetJson(db.url, home);
    expect(fleet.report?.gateways[0]?.reason).toMatch(/two instances write this gateway id: instance-(one|two) and instance-(one|two)/);
    expect(fleet.code).toBe(1);
  });

  it('can list with fleet --change which of 3 running gateways have a change and when each synced it', async () => {
    const three = [start('gw-1'), start('gw-2', { format: 'list' }), start('gw-3', { pipeline: { hostCheck: leavesThinkingOut } })];
    await client.query(`UPDATE agents SET model = 'm/beta-3' WHERE name = 'beta'`);
    const id = await ledgerHighWater(client);
    const change = (await client.query<{ at: Date }>(`SELECT at FROM agent_config_changes WHERE id = $1`, [id])).rows[0]!;
    await allSynced(three, id);
    const listed = await fleetJson(db.url, home, ['--change', id]);
    expect(listed.code).toBe(0);
    const report = listed.report as unknown as { change: { id: string }; have: number; missing: number; gateways: { gatewayId: string; has: boolean; syncedAt: string }[] };
    expect(report.change.id).toBe(id);
    expect([report.have, report.missing]).toEqual([3, 0]);
    expect(report.gateways.map((g) => [g.gatewayId, g.has])).toEqual([['gw-1', true], ['gw-2', true], ['gw-3', true]]);
    for (const g of report.gateways) expect(Date.parse(g.syncedAt)).toBeGreaterThanOrEqual(change.at.getTime());
    // A later change no gateway has yet (they are stopped: stopped gateways are not waited for).
    await Promise.all(gateways.splice(0).map((g) => g.stop()));
    await client.query(`UPDATE agents SET model = 'm/beta-4' WHERE name = 'beta'`);
    const later = await ledgerHighWater(client);
    const notYet = await fleetJson(db.url, home, ['--change', later]);
    expect((notYet.report as unknown as { have: number }).have).toBe(0);
    expect(notYet.code).toBe(0);
    const none = await fleetJson(db.url, home, ['--change', String(BigInt(later) + 100n)]);
    expect(none.code).toBe(1);
  });
});
