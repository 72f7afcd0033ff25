import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * A table or view source is read for the columns the domain knows only: an upstream table's other
 * columns (long prompts, secrets) are never sent — and a role allowed to read only the known
 * columns (column privileges) can sync, where `SELECT *` is refused.
 */
describe('snapshot columns (real PostgreSQL)', () => {
  let db: TestDatabase;
  let admin: pg.Client;
  let role: string;
  let reader: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('snapshot_columns');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await migrate(admin);
    role = `cols_${db.name.slice(-8)}`;
    await admin.query(`
      ALTER TABLE agents ADD COLUMN system_prompt text, ADD COLUMN api_key text, ADD COLUMN gone int;
      ALTER TABLE agents DROP COLUMN gone;
      INSERT INTO agents (name, model, fallback_models, system_prompt, api_key) VALUES ('alpha', 'm/a', '{m/b}', repeat('p', 100000), 'sk-secret');
      CREATE SCHEMA "Fleet";
      CREATE VIEW "Fleet"."Roster View" AS SELECT name, model, api_key FROM agents;
      CREATE ROLE ${role} LOGIN PASSWORD 'pw';
      GRANT USAGE ON SCHEMA "Fleet" TO ${role};
      GRANT SELECT ON agent_system_config TO ${role};
      GRANT SELECT (id, name, model, fallback_models, allowed_subagents, is_default, instance_type, status,
        heartbeat_enabled, heartbeat_every, heartbeat_target, heartbeat_to, thinking, openclaw_config) ON agents TO ${role};
      GRANT SELECT (name, model) ON "Fleet"."Roster View" TO ${role};
    `);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'pw';
    reader = new pg.Client({ connectionString: url.toString() });
    await reader.connect();
  });

  afterAll(async () => {
    await reader.end();
    await admin.query(`REVOKE ALL ON agents, agent_system_config FROM ${role}; REVOKE ALL ON "Fleet"."Roster View" FROM ${role}; REVOKE ALL ON SCHEMA "Fleet" FROM ${role}; DROP ROLE ${role}`);
    await admin.end();
    await db.drop();
  });

  it('can read a table through column privileges on the known columns only', async () => {
    // The control: this role may not SELECT * from the table.
    await expect(reader.query('SELECT * FROM agents')).rejects.toThrow(/permission denied/);
    const snapshot = await readSnapshot(reader, parseAgentsSource('agents'));
    expect(snapshot.agents).toEqual([expect.objectContaining({ name: 'alpha', model: 'm/a', fallback_models: ['m/b'] })]);
    expect(Object.keys(snapshot.agents[0]!)).not.toContain('system_prompt');
  });

  it('can read a quoted, schema-qualified view the same way', async () => {
    await expect(reader.query('SELECT * FROM "Fleet"."Roster View"')).rejects.toThrow(/permission denied/);
    const snapshot = await readSnapshot(reader, parseAgentsSource('"Fleet"."Roster View"'));
    expect(snapshot.agents).toEqual([{ name: 'alpha', model: 'm/a' }]);
    expect(snapshot.columns).toEqual([]);
  });

  it('still names a missing required column', async () => {
    await admin.query(`CREATE VIEW no_model AS SELECT name FROM agents`);
    await expect(readSnapshot(admin, parseAgentsSource('no_model'))).rejects.toThrow('agents source no_model has no column model (required: name, model)');
  });
});
