import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHistory } from '../../src/db/ledger.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { makeLedgerPruner } from '../../src/db/ledgerPruner.js';
import { makeLogger } from '../../src/logger.js';
import { migrate } from '../../src/db/migrate.js';
import { describeChanges, formatHistory } from '../../src/domain/ledger.js';
import { runRevert } from '../../src/cli/revert.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The change ledger against the principals it must hold off, on a real PostgreSQL: the ledger's
 * trigger functions run as the role that migrated (here a superuser), so nothing a less-privileged
 * role controls may run inside them, and nobody but a real change may write a ledger row.
 */

/** A login role of its own (cluster-wide, so named per database), and a URL that connects as it. */
async function makeRole(client: pg.Client, db: TestDatabase, name: string): Promise<{ role: string; url: string }> {
  const role = `${name}_${db.name.slice(-8)}`;
  await client.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw'`);
  const url = new URL(db.url);
  url.username = role;
  url.password = 'pw';
  return { role, url: url.toString() };
}

async function as<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The error a promise rejects with (undefined when it resolves). */
async function failure(promise: Promise<unknown>): Promise<{ code?: string; message: string } | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error as { code?: string; message: string };
  }
}

/**
 * Plants, as `role`, an enum type whose cast to json runs `role`'s code, which notes in `proof` which role it
 * ran as: to_jsonb (and so any conversion of a row holding such a column) calls that cast.
 */
async function plantJsonCast(c: pg.Client, role: string): Promise<void> {
  await c.query(`CREATE TABLE ${role}.proof (ran_as name, superuser boolean)`);
  await c.query(`GRANT INSERT ON ${role}.proof TO PUBLIC`);
  await c.query(`CREATE TYPE ${role}.flavour AS ENUM ('plain')`);
  await c.query(`CREATE FUNCTION ${role}.flavour_json(${role}.flavour) RETURNS json LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO ${role}.proof SELECT current_user, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user);
      RETURN '"plain"'::json;
    END $$`);
  await c.query(`CREATE CAST (${role}.flavour AS json) WITH FUNCTION ${role}.flavour_json(${role}.flavour)`);
}

describe('the change ledger against the principals of the trust boundary', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const roles: string[] = [];

  beforeEach(async () => {
    db = await createTestDatabase('ledgerattacks');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
  });

  afterEach(async () => {
    for (const role of roles.splice(0)) {
      await client.query(`DROP OWNED BY ${role} CASCADE`);
      await client.query(`DROP ROLE ${role}`);
    }
    await client.end();
    await db.drop();
  });

  it('cannot be written by a role that attaches the trigger functions to a table of its own', async () => {
    const mallory = await makeRole(client, db, 'mallory');
    roles.push(mallory.role);
    await client.query(`CREATE SCHEMA ${mallory.role} AUTHORIZATION ${mallory.role}`);
    const before = (await client.query(`SELECT count(*)::int AS n FROM agent_config_changes`)).rows[0].n;

    const attempts = await as(mallory.url, async (c) => {
      await c.query(`CREATE TABLE ${mallory.role}.fake (key text, value text, value_type text, name text, model text)`);
      const results = [];
      for (const fn of ['notify_system_config_changed', 'notify_agent_config_changed']) {
        results.push(await failure(c.query(
          `CREATE TRIGGER forge_${fn} AFTER INSERT ON ${mallory.role}.fake FOR EACH ROW EXECUTE FUNCTION public.${fn}()`)));
      }
      // Had a trigger been attached, this would write ledger rows that no change to the sources made.
      await c.query(`INSERT INTO ${mallory.role}.fake VALUES ('max_spawn_depth', '1', 'integer', 'alpha', 'forged/model')`);
      return results;
    });

    expect(attempts.map((error) => error?.code)).toEqual(['42501', '42501']);
    const after = (await client.query(`SELECT count(*)::int AS n FROM agent_config_changes`)).rows[0].n;
    expect(after).toBe(before);
  });

  it('never runs the code of a json cast that the agents table\'s owner planted as the migrating role', async () => {
    const app = await makeRole(client, db, 'appowner');
    roles.push(app.role);
    await client.query(`CREATE SCHEMA ${app.role} AUTHORIZATION ${app.role}`);
    await client.query(`ALTER TABLE agents OWNER TO ${app.role}`);

    await as(app.url, async (c) => {
      await plantJsonCast(c, app.role);
      await c.query(`ALTER TABLE agents ADD COLUMN flavour ${app.role}.flavour DEFAULT 'plain'`);
      // The owner's own writes: each fires the ledger trigger, which runs as the migrating role.
      await c.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/one')`);
      await c.query(`UPDATE agents SET model = 'm/two' WHERE name = 'alpha'`);
      await c.query(`DELETE FROM agents WHERE name = 'alpha'`);
      await c.query(`INSERT INTO agents (name, model) VALUES ('beta', 'm/one')`);
      await c.query(`TRUNCATE agents`);
    });

    const proof = await client.query(`SELECT ran_as, superuser FROM ${app.role}.proof`);
    // The cast may run as the owner itself (its own privileges), never as anyone else.
    expect(proof.rows.filter((row) => row.ran_as !== app.role)).toEqual([]);
    // The writes went through, and each change is still in the ledger, without values: reading them would
    // have taken the owner's cast.
    const { rows } = await client.query(`SELECT key, operation, old, new FROM agent_config_changes WHERE source = 'agents' ORDER BY id`);
    expect(rows.map((row) => row.operation)).toEqual(['INSERT', 'UPDATE', 'DELETE', 'INSERT', 'TRUNCATE']);
    expect(rows.map((row) => [row.key, row.old, row.new])).toEqual([
      [null, null, null], [null, null, null], [null, null, null], [null, null, null], [null, null, null],
    ]);
    // Once the cast is gone, values are recorded again.
    await as(app.url, (c) => c.query(`DROP CAST (${app.role}.flavour AS json)`));
    await as(app.url, (c) => c.query(`INSERT INTO agents (name, model) VALUES ('gamma', 'm/one')`));
    const last = await client.query(`SELECT key, new FROM agent_config_changes ORDER BY id DESC LIMIT 1`);
    expect(last.rows[0]).toMatchObject({ key: 'gamma', new: { name: 'gamma', model: 'm/one' } });
  });

  it('names the login role beside an actor the writer chose, in the write log line as in history', async () => {
    const bob = await makeRole(client, db, 'bob');
    roles.push(bob.role);
    await client.query(`GRANT SELECT, INSERT ON agents TO ${bob.role}; GRANT USAGE ON SEQUENCE agents_id_seq TO ${bob.role}`);
    const mark = async () => String((await client.query(`SELECT pg_catalog.max(id) AS id FROM agent_config_changes`)).rows[0].id ?? 0);
    const before = await mark();
    // bob says he acts for alice: the ledger keeps what he says, and who he is.
    await as(bob.url, async (c) => {
      await c.query(`BEGIN; SET LOCAL agent_config_sync.actor = 'alice'; INSERT INTO agents (name, model) VALUES ('alpha', 'm/one'); COMMIT`);
    });
    const read = await readSnapshot(client, parseAgentsSource('agents'), { changesAfter: before });
    expect(read.through).toBe(await mark());
    const line = describeChanges(read.changes ?? [], read.through);
    expect(line).toMatch(new RegExp(`^\\(change \\d+ by alice \\(role ${bob.role}\\)\\)$`));
    expect(formatHistory(await readHistory(client, { limit: 1 }))).toContain(`alice (role ${bob.role})`);
  });

  it('cannot split or colour a history line through the name of a column the agents table\'s owner added', async () => {
    const column = 'note\n1  2026-12-07T00:00:00.000Z  root  agents alpha DELETE: forged\u001b[2K';
    await client.query(`ALTER TABLE agents ADD COLUMN ${pg.escapeIdentifier(column)} text`);
    await client.query(`INSERT INTO agents (name, model, ${pg.escapeIdentifier(column)}) VALUES ('alpha', 'm/one', 'x')`);
    await client.query(`UPDATE agents SET ${pg.escapeIdentifier(column)} = 'y' WHERE name = 'alpha'`);

    const text = formatHistory(await readHistory(client, { limit: 10 }));
    const lines = text.trimEnd().split('\n');
    // One line per change (the seed row, the insert, the update), none of them a forged one.
    expect(lines).toHaveLength(3);
    expect(lines.every((l) => /^\d+ {2}\d{4}-/.test(l))).toBe(true);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  it('never runs the agents owner\'s json cast as the operator who reverts a change (the revert reads the row as the owner)', async () => {
    const app = await makeRole(client, db, 'appowner');
    roles.push(app.role);
    await client.query(`CREATE SCHEMA ${app.role} AUTHORIZATION ${app.role}`);
    await client.query(`ALTER TABLE agents OWNER TO ${app.role}`);
    // A change recorded with its values, then the owner's cast, then a revert by the operator (a superuser).
    await as(app.url, (c) => c.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/one')`));
    const change = String((await client.query(`SELECT pg_catalog.max(id) AS id FROM agent_config_changes`)).rows[0].id);
    await as(app.url, async (c) => {
      await plantJsonCast(c, app.role);
      await c.query(`ALTER TABLE agents ADD COLUMN flavour ${app.role}.flavour DEFAULT 'plain'`);
    });

    const outcome = await runRevert(client, { change, force: false, dryRun: false });

    const proof = await client.query(`SELECT ran_as FROM ${app.role}.proof`);
    expect(proof.rows.filter((row) => row.ran_as !== app.role)).toEqual([]);
    expect(outcome.steps.map((step) => `${step.action} ${step.key}`)).toEqual(['delete alpha']);
    expect((await client.query(`SELECT count(*)::int AS n FROM agents`)).rows[0].n).toBe(0);
  });

  it('refuses to migrate over a ledger or status table another, less-privileged role created first', async () => {
    // A fresh database where a role may create in public (every role could, before PostgreSQL 15).
    const fresh = await createTestDatabase('ledgerprecreate');
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    const mallory = await makeRole(client, fresh, 'squatter');
    roles.push(mallory.role);
    try {
      await admin.query(`GRANT CREATE ON SCHEMA public TO ${mallory.role}`);
      const url = new URL(fresh.url);
      url.username = mallory.role;
      url.password = 'pw';
      for (const table of ['agent_config_changes', 'agent_config_sync_gateways']) {
        await as(url.toString(), async (c) => {
          // The ledger's shape, owned by the squatter, with a trigger of its own: rows inserted by the
          // SECURITY DEFINER recorder would run it as the migrating role.
          if (table === 'agent_config_changes') {
            await c.query(`CREATE TABLE public.agent_config_changes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
              at timestamptz NOT NULL DEFAULT clock_timestamp(), txid xid8 NOT NULL DEFAULT pg_current_xact_id(), actor text NOT NULL,
              db_role name NOT NULL, application_name text, client_addr inet, source text NOT NULL, key text, operation text NOT NULL,
              old jsonb, new jsonb, changed text[])`);
            await c.query(`CREATE TABLE public.proof (ran_as name)`);
            await c.query(`GRANT INSERT ON public.proof TO PUBLIC`);
            await c.query(`CREATE FUNCTION public.squat() RETURNS trigger LANGUAGE plpgsql AS $$
              BEGIN INSERT INTO public.proof VALUES (current_user); RETURN NULL; END $$`);
            await c.query(`CREATE TRIGGER squat AFTER INSERT ON public.agent_config_changes FOR EACH ROW EXECUTE FUNCTION public.squat()`);
          } else {
            await c.query(`CREATE TABLE public.agent_config_sync_gateways (gateway_id text PRIMARY KEY, last_seen_at timestamptz NOT NULL)`);
          }
        });
        const refused = await failure(migrate(admin));
        expect(refused?.message).toMatch(new RegExp(`${table} is owned by role "${mallory.role}"`));
        if (table === 'agent_config_changes') {
          await admin.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/one')`).catch(() => undefined);
          expect((await admin.query(`SELECT ran_as FROM public.proof`)).rows).toEqual([]);
          await admin.query(`DROP TABLE public.agent_config_changes CASCADE`);
        }
      }
    } finally {
      await admin.query(`DROP OWNED BY ${mallory.role} CASCADE`).catch(() => undefined);
      await admin.end();
      await fresh.drop();
    }
  });

  it('never calls operators planted in public when an operator (a superuser) runs history or revert', async () => {
    const fresh = await createTestDatabase('ledgerplanted');
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    const mallory = await makeRole(client, fresh, 'planter');
    roles.push(mallory.role);
    try {
      await migrate(admin);
      await admin.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/one'); UPDATE agents SET model = 'm/two' WHERE name = 'alpha'`);
      const change = String((await admin.query(`SELECT pg_catalog.max(id) AS id FROM agent_config_changes`)).rows[0].id);
      // Every role could create in public before PostgreSQL 15 (and the database's owner still can).
      await admin.query(`GRANT CREATE ON SCHEMA public TO ${mallory.role}`);
      const url = new URL(fresh.url);
      url.username = mallory.role;
      url.password = 'pw';
      await as(url.toString(), async (c) => {
        await c.query(`CREATE TABLE public.proof (ran_as name, what text)`);
        await c.query(`GRANT INSERT ON public.proof TO PUBLIC`);
        // Operators that match the ledger's and revert's comparisons more exactly than pg_catalog's do.
        await c.query(`CREATE FUNCTION public.eq_vt(character varying, text) RETURNS boolean LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO public.proof VALUES (current_user, '='); RETURN $1::text = $2; END $$`);
        await c.query(`CREATE OPERATOR public.= (LEFTARG = character varying, RIGHTARG = text, FUNCTION = public.eq_vt)`);
        await c.query(`CREATE FUNCTION public.get_jj(jsonb, jsonb) RETURNS text LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO public.proof VALUES (current_user, '->>'); RETURN $1 ->> ($2 #>> '{}'); END $$`);
        await c.query(`CREATE OPERATOR public.->> (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = public.get_jj)`);
      });

      await readHistory(admin, { agent: 'alpha', limit: 10 });
      await runRevert(admin, { change, force: false, dryRun: false });

      expect((await admin.query(`SELECT ran_as, what FROM public.proof`)).rows).toEqual([]);
      expect((await admin.query(`SELECT model FROM agents WHERE name = 'alpha'`)).rows).toEqual([{ model: 'm/one' }]);
    } finally {
      await admin.query(`DROP OWNED BY ${mallory.role} CASCADE`).catch(() => undefined);
      await admin.end();
      await fresh.drop();
    }
  });

  it("never calls an operator planted in public from the sync's prune", async () => {
    const fresh = await createTestDatabase('ledgerprune');
    const admin = new pg.Client({ connectionString: fresh.url });
    await admin.connect();
    const mallory = await makeRole(client, fresh, 'pruneplanter');
    roles.push(mallory.role);
    try {
      await migrate(admin);
      await admin.query(`GRANT CREATE ON SCHEMA public TO ${mallory.role}`);
      const url = new URL(fresh.url);
      url.username = mallory.role;
      url.password = 'pw';
      await as(url.toString(), async (c) => {
        await c.query(`CREATE TABLE public.proof (ran_as name)`);
        await c.query(`GRANT INSERT ON public.proof TO PUBLIC`);
        // Matches "which schema holds the ledger" (an oid against a regclass) more exactly than pg_catalog's oid = oid.
        await c.query(`CREATE FUNCTION public.eq_or(oid, regclass) RETURNS boolean LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO public.proof VALUES (current_user); RETURN $1 = $2::oid; END $$`);
        await c.query(`CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = public.eq_or)`);
      });
      const pruner = makeLedgerPruner({ connection: { connectionString: fresh.url }, historyDays: 90, logger: makeLogger({ info: () => undefined, warn: () => undefined, error: () => undefined }) });
      expect(await pruner.pruneNow()).toBe(0);
      expect((await admin.query(`SELECT ran_as FROM public.proof`)).rows).toEqual([]);
    } finally {
      await admin.query(`DROP OWNED BY ${mallory.role} CASCADE`).catch(() => undefined);
      await admin.end();
      await fresh.drop();
    }
  });
});

