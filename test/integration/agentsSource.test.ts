import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { checkAgentsSource, parseAgentsSource } from '../../src/db/source.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** checkAgentsSource on a real PostgreSQL: a function source must be set-returning, and is never called to find out. */
describe('checkAgentsSource', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('agents_source');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/a')`);
    await client.query(`
      CREATE TABLE calls (at timestamptz NOT NULL DEFAULT now());
      -- A scalar function with a side effect: if anything calls it, a row appears in calls.
      CREATE FUNCTION side_effect() RETURNS integer LANGUAGE sql AS $$ INSERT INTO calls DEFAULT VALUES; SELECT 1 $$;
      CREATE FUNCTION export_rows() RETURNS SETOF agents LANGUAGE sql STABLE AS $$ SELECT * FROM agents $$;
      CREATE SCHEMA "Fleet";
      CREATE FUNCTION "Fleet"."Rows"() RETURNS TABLE (name text, model text) LANGUAGE sql STABLE AS $$ SELECT name::text, model::text FROM agents $$;
      CREATE PROCEDURE a_procedure() LANGUAGE sql AS $$ INSERT INTO calls DEFAULT VALUES $$;
    `);
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const calls = async () => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM calls')).rows[0]?.n);

  async function refusal(text: string): Promise<ConfigError> {
    const error = await checkAgentsSource(client, parseAgentsSource(text)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it('can refuse pg_reload_conf(), a scalar function, with one clear message', async () => {
    const error = await refusal('pg_reload_conf()');
    expect(error.message).toBe(
      'agentsSource: "pg_reload_conf()" is not a set-returning function, so it was not called; ' +
        'name a table, a view or a function declared RETURNS SETOF … or RETURNS TABLE (…).',
    );
  });

  it('can refuse a scalar function without ever calling it', async () => {
    expect(await calls()).toBe(0);
    const error = await refusal('public.side_effect()');
    expect(error.message).toContain('"public.side_effect()" is not a set-returning function');
    expect(await calls()).toBe(0);
    // The control: calling it does leave a row, so the count above would have seen a call.
    await client.query('SELECT side_effect()');
    expect(await calls()).toBe(1);
    await client.query('DELETE FROM calls');
  });

  it('can refuse a procedure without calling it', async () => {
    const error = await refusal('a_procedure()');
    expect(error.message).toContain('"a_procedure()" is not a set-returning function');
    expect(await calls()).toBe(0);
  });

  it('can refuse a function that does not exist, naming it', async () => {
    const error = await refusal('get_agent_export_rows()');
    expect(error.message).toContain('function "get_agent_export_rows()" does not exist');
    expect(error.message).toContain('set-returning function');
  });

  it('can treat a quoted name full of SQL as a name only', async () => {
    const error = await refusal('"x(); DROP TABLE agents; --"()');
    expect(error.message).toContain('does not exist');
    expect((await client.query('SELECT count(*)::int AS n FROM agents')).rows[0]).toEqual({ n: 1 });
  });

  it('can accept set-returning functions, quoted and schema-qualified, inside the snapshot transaction', async () => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      for (const text of ['export_rows()', 'public.export_rows()', '"Fleet"."Rows"()']) {
        const source = parseAgentsSource(text);
        await expect(checkAgentsSource(client, source)).resolves.toBeUndefined();
        const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${source.sql}`);
        expect(rows.map((r) => r.name)).toEqual(['alpha']);
      }
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('can pass tables and views without a query', async () => {
    const queries: unknown[] = [];
    const spy = { query: (...args: unknown[]) => void queries.push(args) } as unknown as pg.Client;
    await checkAgentsSource(spy, parseAgentsSource('agents'));
    await checkAgentsSource(spy, parseAgentsSource('public.agents'));
    expect(queries).toEqual([]);
    expect(parseAgentsSource('agents').isFunction).toBe(false);
    expect(parseAgentsSource('s.f()').isFunction).toBe(true);
  });
});
