import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql } from './cli.js';

/** What a new operator sees first on a real PostgreSQL: each error says the next step. */
describe('first-hour database errors (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    assertBuilt();
    db = await createTestDatabase('first_hour');
  });
  afterAll(async () => db.drop());

  /** The URL in a file (the way the README asks for it), so no password is on the command line. */
  function urlFile(dir: string, url: string): string {
    const file = path.join(dir, 'db.url');
    fs.writeFileSync(file, url, { mode: 0o600 });
    return file;
  }

  it('can point sync --once and status at migrate before the schema is installed', async () => {
    const dir = makeTempDir('nomigrate');
    const file = urlFile(dir, db.url);
    for (const args of [['sync', '--once'], ['status']]) {
      const result = await runCli([...args, '--database-url-file', file, '--output', path.join(dir, 'agents.json')], dir);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(/relation "agent_system_config" does not exist — the table "agent_system_config" is not in this database: install the schema with "agent-config-sync migrate"/);
    }
  });

  it('can say that a password is needed when none was given', async () => {
    const dir = makeTempDir('nopassword');
    const url = new URL(db.url);
    url.password = '';
    const result = await runCli(['sync', '--once', '--database-url-file', urlFile(dir, url.toString()), '--output', path.join(dir, 'agents.json')], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the server asks for a password and none was given: set PGPASSWORD/);
  });

  it('can give the view recipe when the agents table has no model column', async () => {
    const dir = makeTempDir('othershape');
    await sql(db.url, `CREATE TABLE agent_system_config (key text PRIMARY KEY, value text NOT NULL, value_type text NOT NULL DEFAULT 'text');
      CREATE TABLE agents (id serial PRIMARY KEY, name text UNIQUE, llm text)`);
    try {
      const result = await runCli(['sync', '--once', '--database-url-file', urlFile(dir, db.url), '--output', path.join(dir, 'agents.json')], dir);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/has no column model .*CREATE VIEW agent_export AS SELECT <your id column> AS name, <your model column> AS model/);
    } finally {
      await sql(db.url, 'DROP TABLE agents; DROP TABLE agent_system_config');
    }
  });
});

describe('migrate over an agents table of the operator\'s own shape (real binary, real PostgreSQL)', () => {
  it('can say the sync needs name and model (with the view recipe), and leaves the table\'s writers working', async () => {
    assertBuilt();
    const db = await createTestDatabase('other_shape_migrate');
    try {
      const dir = makeTempDir('othershape-migrate');
      fs.writeFileSync(path.join(dir, 'db.url'), db.url, { mode: 0o600 });
      await sql(db.url, `CREATE TABLE agents (id serial PRIMARY KEY, agent_name text UNIQUE, llm text, api_key text)`);
      const result = await runCli(['migrate', '--database-url-file', path.join(dir, 'db.url')], dir);
      expect(result.code).toBe(0);
      expect(result.stderr + result.stdout).toMatch(/the existing table agents has no column name, model.*CREATE VIEW agent_export AS SELECT <your id column> AS name, <your model column> AS model/s);
      // The shipped triggers now fire on this table: an application's writes must still work.
      await sql(db.url, `INSERT INTO agents (agent_name, llm, api_key) VALUES ('a1', 'm/1', 'sk-secret')`);
      await sql(db.url, `UPDATE agents SET llm = 'm/2' WHERE agent_name = 'a1'`);
      await sql(db.url, `DELETE FROM agents WHERE agent_name = 'a1'`);
      const recorded = await sql<{ n: string }>(db.url, `SELECT count(*) AS n FROM agent_config_changes WHERE source = 'agents'`);
      expect(Number(recorded[0]!.n)).toBe(3);
      const values = await sql<{ t: string }>(db.url, `SELECT string_agg(coalesce(old::text, '') || coalesce(new::text, ''), ' ') AS t FROM agent_config_changes`);
      expect(values[0]!.t ?? '').not.toContain('sk-secret');
    } finally {
      await db.drop();
    }
  });
});

describe('sync as a new operator types it (real binary, real PostgreSQL)', () => {
  it('can sync once without --once', async () => {
    assertBuilt();
    const db = await createSeededDatabase('sync_plain');
    try {
      const dir = makeTempDir('plain');
      const output = path.join(dir, 'agents.json');
      fs.writeFileSync(path.join(dir, 'db.url'), db.url, { mode: 0o600 });
      const result = await runCli(['sync', '--database-url-file', path.join(dir, 'db.url'), '--output', output], dir);
      expect(result.code).toBe(0);
      expect(JSON.parse(fs.readFileSync(output, 'utf8')).agents.entries).toHaveProperty('alpha');
    } finally {
      await db.drop();
    }
  });
});

describe('npm start on a database of the operator\'s own (real binary)', () => {
  it('can say, before writing anything, that it will migrate and seed the server DATABASE_URL names', async () => {
    assertBuilt();
    const dir = makeTempDir('qs-external');
    // Nothing listens on port 1: the notice must come before the first connection attempt.
    const result = await runCli(['quickstart', '--output', path.join(dir, 'agents.json')], dir, { DATABASE_URL: 'postgres://someone@127.0.0.1:1/x' });
    expect(result.code).toBe(1);
    const notice = result.stderr.indexOf('quick start on the database from DATABASE_URL (someone@127.0.0.1:1/x), not an embedded one');
    expect(notice).toBeGreaterThanOrEqual(0);
    expect(result.stderr.indexOf('ECONNREFUSED')).toBeGreaterThan(notice);
    expect(result.stderr).toContain('a demo roster is seeded when the agents table is empty');
  });
});
