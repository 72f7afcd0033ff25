import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, verifySchema } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';

/**
 * A role that may CREATE in public plants operators that match our catalog comparisons more exactly
 * than pg_catalog's own (oid against regclass or regprocedure, oid against an integer): every snapshot,
 * source lookup and schema check names pg_catalog's operator, so the planted one never runs — in a
 * read-only snapshot it would otherwise fail every read, and elsewhere run as the sync's role.
 */
describe('operators planted in public (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const planter = `acs_planter_${process.pid}`;

  beforeEach(async () => {
    db = await createTestDatabase('planted_ops');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
    await withAdmin(async (admin) => {
      await admin.query(`DROP ROLE IF EXISTS ${planter}`);
      await admin.query(`CREATE ROLE ${planter} LOGIN PASSWORD 'planter'`);
    }, db.url);
    await client.query(`GRANT CREATE ON SCHEMA public TO ${planter}`);
    const url = new URL(db.url);
    url.username = planter;
    url.password = 'planter';
    const asPlanter = new pg.Client({ connectionString: url.toString() });
    await asPlanter.connect();
    try {
      for (const [right, name] of [['regclass', 'eq_oid_regclass'], ['regprocedure', 'eq_oid_regprocedure'], ['integer', 'eq_oid_int']] as const) {
        await asPlanter.query(`CREATE FUNCTION public.${name}(oid, ${right}) RETURNS boolean LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'planted operator ran as %', current_user; END $$`);
        await asPlanter.query(`CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = ${right}, FUNCTION = public.${name})`);
      }
    } finally {
      await asPlanter.end();
    }
  });

  afterEach(async () => {
    await client.query(`DROP OWNED BY ${planter}`).catch(() => undefined);
    await client.end();
    await db.drop();
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${planter}`));
  });

  it('can read a snapshot (table and function sources, with the ledger mark) without running them', async () => {
    const snapshot = await readSnapshot(client, parseAgentsSource('agents'), { changesAfter: '0' });
    expect(snapshot.agents.map((a) => a.name)).toEqual(['alpha']);
    expect(snapshot.through).toMatch(/^[1-9]\d*$/);
    expect(snapshot.changes?.map((c) => c.id)).toContain(snapshot.through);
    await client.query(`CREATE FUNCTION public.roster() RETURNS SETOF agents LANGUAGE sql STABLE AS 'SELECT * FROM agents'`);
    const fromFunction = await readSnapshot(client, parseAgentsSource('roster()'));
    expect(fromFunction.agents.map((a) => a.name)).toEqual(['alpha']);
  });

  it('can verify the schema without running them', async () => {
    expect((await verifySchema(client)).missing).toEqual([]);
  });
});
