import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeLedgerPruner } from '../../src/db/ledgerPruner.js';
import { migrate } from '../../src/db/migrate.js';
import { OPTIONAL_AGENT_COLUMNS, readSnapshot, REQUIRED_AGENT_COLUMNS } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { describeChanges } from '../../src/domain/ledger.js';
import { makeLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { captureLog, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

/**
 * The change ledger on a real PostgreSQL: written by the notify triggers in the writer's transaction,
 * mapped columns only, closed to writers, and installed in place over the previous release's schema.
 */

const BEFORE_LEDGER = path.resolve('test/fixtures/sql-before-ledger');

/** A login role of its own (cluster-wide, so named per database), and a URL that connects as it. */
async function makeRole(client: pg.Client, db: TestDatabase, name: string): Promise<{ role: string; url: string }> {
  const role = `${name}_${db.name.slice(-8)}`;
  await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
  const url = new URL(db.url);
  url.username = role;
  url.password = 'pw';
  return { role, url: url.toString() };
}

async function as<T>(url: string, work: (client: pg.Client) => Promise<T>, applicationName?: string): Promise<T> {
  const client = new pg.Client({ connectionString: url, ...(applicationName ? { application_name: applicationName } : {}) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('the change ledger on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const roles: string[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('ledger');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterEach(async () => {
    for (const role of roles.splice(0)) {
      await client.query(`DROP OWNED BY ${role}`);
      await client.query(`DROP ROLE ${role}`);
    }
    await client.end();
    await db.drop();
  });

  it('can record who changed what: actor, role, application, and the mapped columns only', async () => {
    await migrate(client);
    // An upstream-style column the sync does not map, holding a secret.
    await client.query(`ALTER TABLE agents ADD COLUMN api_key text`);
    await client.query(`INSERT INTO agents (name, model, api_key) VALUES ('alpha', 'm/one', 'sk-first-secret')`);
    const alice = await makeRole(client, db, 'alice');
    roles.push(alice.role);
    await client.query(`GRANT SELECT, UPDATE ON agents TO ${alice.role}`);

    await as(alice.url, async (c) => {
      await c.query('BEGIN');
      await c.query(`SET LOCAL agent_config_sync.actor = 'ops-ticket-7'`);
      await c.query(`UPDATE agents SET model = 'm/two', api_key = 'sk-second-secret' WHERE name = 'alpha'`);
      await c.query('COMMIT');
    }, 'console-app');

    const { rows } = await client.query(`SELECT * FROM agent_config_changes WHERE source = 'agents' ORDER BY id`);
    expect(rows).toHaveLength(2);
    const update = rows[1];
    expect(update).toMatchObject({
      actor: 'ops-ticket-7', db_role: alice.role, application_name: 'console-app',
      source: 'agents', key: 'alpha', operation: 'UPDATE',
      changed: ['api_key', 'model'],
    });
    expect(update.old).toMatchObject({ name: 'alpha', model: 'm/one' });
    expect(update.new).toMatchObject({ name: 'alpha', model: 'm/two' });
    // The secret column is named, its value is nowhere in the ledger.
    const all = JSON.stringify(rows);
    expect(all).not.toContain('sk-first-secret');
    expect(all).not.toContain('sk-second-secret');
    expect(Object.keys(update.new)).not.toContain('api_key');
    // The insert names its actor as the session's role when no application said otherwise.
    expect(rows[0]).toMatchObject({ actor: 'postgres', operation: 'INSERT', key: 'alpha' });
  });

  it('can keep a writer role from inserting, updating or deleting ledger rows', async () => {
    await migrate(client);
    const writer = await makeRole(client, db, 'writer');
    roles.push(writer.role);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON agents, agent_system_config TO ${writer.role}`);
    await client.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${writer.role}`);

    const outcomes = await as(writer.url, async (c) => {
      // Its own writes are recorded (the trigger runs as the migrating role)…
      await c.query(`INSERT INTO agents (name, model) VALUES ('w', 'm/w')`);
      const tries = [
        `INSERT INTO agent_config_changes (actor, db_role, source, key, operation) VALUES ('forged', 'x', 'agents', 'w', 'DELETE')`,
        `UPDATE agent_config_changes SET actor = 'someone-else'`,
        `DELETE FROM agent_config_changes`,
        `TRUNCATE agent_config_changes`,
        `SELECT agent_config_sync_record_change('agents', 'w', 'DELETE', NULL, NULL, ARRAY['name'])`,
        `SELECT agent_config_sync_prune_changes(1)`,
      ];
      const codes: string[] = [];
      for (const text of tries) {
        codes.push(await c.query(text).then(() => 'ran', (error: { code?: string }) => error.code ?? 'error'));
      }
      return codes;
    });
    // …but it can touch none of them: 42501 is insufficient_privilege.
    expect(outcomes).toEqual(['42501', '42501', '42501', '42501', '42501', '42501']);
    const { rows } = await client.query(`SELECT actor, db_role, operation, key FROM agent_config_changes WHERE source = 'agents'`);
    expect(rows).toEqual([{ actor: writer.role, db_role: writer.role, operation: 'INSERT', key: 'w' }]);
  });

  it('can record one row for a TRUNCATE, holding the rows it removed', async () => {
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, fallback_models) VALUES ('a', 'm/a', '{x/1,x/2}'), ('b', 'm/b', NULL)`);
    await client.query(`TRUNCATE agents`);
    await client.query(`TRUNCATE agent_system_config`);
    const { rows } = await client.query(`SELECT source, key, operation, old, new FROM agent_config_changes WHERE operation = 'TRUNCATE' ORDER BY id`);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ source: 'agents', key: null, new: null });
    expect(rows[0].old.map((r: { name: string; fallback_models: unknown }) => [r.name, r.fallback_models])).toEqual([['a', ['x/1', 'x/2']], ['b', null]]);
    expect(rows[1]).toMatchObject({ source: 'agent_system_config', old: [{ key: 'max_spawn_depth', value: '5', value_type: 'integer' }] });
  });

  it('can upgrade an install of the previous release in place: data kept, triggers replaced, changes recorded', async () => {
    for (const name of fs.readdirSync(BEFORE_LEDGER).sort()) await client.query(fs.readFileSync(path.join(BEFORE_LEDGER, name), 'utf8'));
    await client.query(`INSERT INTO agents (name, model) VALUES ('kept', 'm/kept')`);
    await client.query(`UPDATE agent_system_config SET value = '3' WHERE key = 'max_spawn_depth'`);
    const before = await client.query(`SELECT name, model FROM agents UNION ALL SELECT key, value FROM agent_system_config ORDER BY 1`);

    await migrate(client);

    const after = await client.query(`SELECT name, model FROM agents UNION ALL SELECT key, value FROM agent_system_config ORDER BY 1`);
    expect(after.rows).toEqual(before.rows);
    const triggers = await client.query(`SELECT tgname, p.prosecdef FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal ORDER BY 1`);
    expect(triggers.rows).toEqual([
      { tgname: 'agent_config_changed', prosecdef: true },
      { tgname: 'agent_config_changed_truncate', prosecdef: true },
      { tgname: 'system_config_changed', prosecdef: true },
      { tgname: 'system_config_changed_truncate', prosecdef: true },
    ]);
    await client.query(`UPDATE agents SET model = 'm/after' WHERE name = 'kept'`);
    const { rows } = await client.query(`SELECT key, operation, old->>'model' AS old, new->>'model' AS new FROM agent_config_changes`);
    expect(rows).toEqual([{ key: 'kept', operation: 'UPDATE', old: 'm/kept', new: 'm/after' }]);
  });

  it('can list exactly the agents columns the sync maps as the ones recorded with values', () => {
    const text = fs.readFileSync(path.resolve('sql/162-agent-config-trigger.sql'), 'utf8');
    const listed = /mapped CONSTANT pg_catalog\.text\[\] := ARRAY\[([^\]]*)\]/.exec(text)?.[1] ?? '';
    const columns = [...listed.matchAll(/'([a-z_]+)'/g)].map((m) => m[1]);
    expect(columns.sort()).toEqual([...REQUIRED_AGENT_COLUMNS, ...OPTIONAL_AGENT_COLUMNS].sort());
  });

  it('can tell each snapshot the ledger\'s high-water mark, and none when the ledger is missing or not readable', async () => {
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('a', 'm/a'), ('b', 'm/b')`);
    const { rows } = await client.query(`SELECT max(id)::text AS max FROM agent_config_changes`);
    const source = parseAgentsSource('agents');
    expect((await readSnapshot(client, source)).through).toBe(rows[0].max);

    // A role that may read the sources but not the ledger: the snapshot is whole, only "through" is unknown.
    const reader = await makeRole(client, db, 'reader');
    roles.push(reader.role);
    await client.query(`GRANT SELECT ON agents, agent_system_config TO ${reader.role}`);
    const snapshot = await as(reader.url, (c) => readSnapshot(c, source));
    expect(snapshot.agents.map((a) => a.name)).toEqual(['a', 'b']);
    expect(snapshot.through).toBeUndefined();
    await client.query(`GRANT SELECT ON agent_config_changes TO ${reader.role}`);
    expect((await as(reader.url, (c) => readSnapshot(c, source))).through).toBe(rows[0].max);

    await client.query(`DROP TABLE agent_config_changes CASCADE`);
    const without = await readSnapshot(client, source);
    expect(without.agents).toHaveLength(2);
    expect(without.through).toBeUndefined();
  });

  it('can read the changes a write brought, in the snapshot, and name them and their authors for the log line', async () => {
    await migrate(client);
    const { rows } = await client.query(`SELECT max(id)::text AS max FROM agent_config_changes`);
    const mark = rows[0].max as string;
    await as(db.url, (c) => c.query(`INSERT INTO agents (name, model) VALUES ('a', 'm/a')`), 'psql');
    await as(db.url, (c) => c.query(`BEGIN; SET LOCAL agent_config_sync.actor = 'bob'; UPDATE agents SET model = 'm/b'; COMMIT`), 'psql');
    const through = (await client.query(`SELECT max(id)::text AS max FROM agent_config_changes`)).rows[0].max as string;
    // What the pipeline asks each read for: the authors after the mark its file holds, in the snapshot.
    const source = parseAgentsSource('agents');
    const read = await readSnapshot(client, source, { changesAfter: mark });
    const changes = read.changes ?? [];
    expect(read.through).toBe(through);
    expect(changes.map((c) => c.actor)).toEqual(['postgres', 'bob']);
    expect(describeChanges(changes, read.through)).toBe(`(changes ${changes[0]!.id}–${through} by postgres, bob (role postgres) via psql)`);
    const later = await readSnapshot(client, source, { changesAfter: changes[0]!.id });
    expect(describeChanges(later.changes ?? [], later.through)).toBe(`(change ${through} by bob (role postgres) via psql)`);
    // Nothing when the file's mark is unknown (the first write after start) or nothing changed since.
    expect((await readSnapshot(client, source)).changes).toBeUndefined();
    const same = await readSnapshot(client, source, { changesAfter: through });
    expect(describeChanges(same.changes ?? [], same.through)).toBe('');
  });

  it('can prune changes older than historyDays, keep the newest rows, and let a running sync go on while a prune runs', async () => {
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('a', 'm/0')`);
    for (let i = 1; i <= 20; i += 1) await client.query(`UPDATE agents SET model = $1`, [`m/${i}`]);
    // Everything so far is 100 days old; three changes are new.
    await client.query(`UPDATE agent_config_changes SET at = now() - interval '100 days'`);
    for (let i = 21; i <= 23; i += 1) await client.query(`UPDATE agents SET model = $1`, [`m/${i}`]);
    const ids = async () => (await client.query(`SELECT c.id::text AS id FROM agent_config_changes c ORDER BY c.id`)).rows.map((r) => r.id as string);
    const all = await ids();

    const sync = startPipeline(db.url);
    const log = captureLog();
    const pruner = makeLedgerPruner({ connection: { connectionString: db.url }, historyDays: 90, logger: makeLogger(log) });
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await waitFor('the first write', () => readText(sync.outputPath)?.includes('m/23') === true);
      // A prune in flight, holding its locks (an open transaction): the sync still follows a change,
      // and a second prune returns at once instead of waiting.
      await holder.query(`BEGIN; SELECT agent_config_sync_prune_changes(90)`);
      await client.query(`UPDATE agents SET model = 'm/during-prune'`);
      await waitFor('the change written while a prune runs', () => readText(sync.outputPath)?.includes('m/during-prune') === true);
      expect(await pruner.pruneNow()).toBe(0);
      await holder.query('ROLLBACK');

      expect(await pruner.pruneNow()).toBe(all.length - 3);
      // Left: the three new changes and the one made during the first prune.
      const kept = await ids();
      expect(kept.slice(0, 3)).toEqual(all.slice(-3));
      expect(kept).toHaveLength(4);
      expect(log.text()).toContain(`removed ${all.length - 3} changes older than 90 days`);
      // Everything old: the newest row stays, so every sync's "through change N" never goes back.
      await client.query(`UPDATE agent_config_changes SET at = now() - interval '100 days'`);
      const newest = (await ids()).at(-1);
      await pruner.pruneNow();
      expect(await ids()).toEqual([newest]);
      await client.query(`UPDATE agents SET model = 'm/after-prune'`);
      await waitFor('a change after the prune', () => readText(sync.outputPath)?.includes('m/after-prune') === true);
    } finally {
      await holder.end();
      await pruner.stop();
      await sync.stop();
    }
  });

  it('can warn once, naming the grant, when the sync\'s role may not prune, and prune once it may', async () => {
    await migrate(client);
    const gateway = await makeRole(client, db, 'gateway');
    roles.push(gateway.role);
    await client.query(`UPDATE agents SET model = model; UPDATE agent_config_changes SET at = now() - interval '100 days'`);
    await client.query(`INSERT INTO agents (name, model) VALUES ('fresh', 'm/f')`);
    const log = captureLog();
    const pruner = makeLedgerPruner({ connection: { connectionString: gateway.url }, historyDays: 30, logger: makeLogger(log) });
    try {
      expect(await pruner.pruneNow()).toBeUndefined();
      expect(await pruner.pruneNow()).toBeUndefined();
      const warnings = log.lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toContain('GRANT EXECUTE ON FUNCTION agent_config_sync_prune_changes(integer, integer)');
      expect(warnings[0]!.message).toContain('the sync goes on');
      await client.query(`GRANT EXECUTE ON FUNCTION agent_config_sync_prune_changes(integer, integer) TO ${gateway.role}`);
      expect(await pruner.pruneNow()).toBe(1);
      expect(log.text()).toContain('pruning works again');
    } finally {
      await pruner.stop();
    }
  });
});
