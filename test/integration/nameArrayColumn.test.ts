import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnParser } from '../../src/db/columnParsers.js';
import { migrate } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { rowsToAgents } from '../../src/domain/agents.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * name[] (OID 1003) is in the snapshot's text-array fast path, but node-postgres has no parser for it:
 * a value PostgreSQL did not quote became an array, one it quoted stayed the raw text "{…}" — so one
 * element needing quotes cost the agent its whole list.
 */
describe('name[] columns (real PostgreSQL)', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('name_array');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`
      INSERT INTO agents (name, model, allowed_subagents) VALUES ('alpha', 'm/a', '{helper}'), ('beta', 'm/b', '{helper,"bad name"}'), ('helper', 'm/h', '{}');
      CREATE VIEW named_roster AS SELECT id, name, model, allowed_subagents::name[] AS allowed_subagents FROM agents;
    `);
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('parses a quoted name[] value as an array, as it does an unquoted one', async () => {
    const { rows, fields } = await client.query({
      text: `SELECT '{main,helper}'::name[], '{main,"a b",NULL}'::name[]`,
      rowMode: 'array',
      types: { getTypeParser: () => (t: string) => t } as never,
    });
    expect(fields.map((f) => f.dataTypeID)).toEqual([1003, 1003]);
    expect(columnParser(1003)(rows[0]![0] as string)).toEqual(['main', 'helper']);
    expect(columnParser(1003)(rows[0]![1] as string)).toEqual(['main', 'a b', null]);
  });

  it('keeps the valid elements of a name[] list with one bad element', async () => {
    const snapshot = await readSnapshot(client, parseAgentsSource('named_roster'));
    const { agents } = rowsToAgents(snapshot.agents);
    expect(agents.find((a) => a.id === 'alpha')!.allowAgents).toEqual(['helper']);
    expect(agents.find((a) => a.id === 'beta')!.allowAgents).toEqual(['helper']);
  });
});
