import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql } from './cli.js';

/**
 * `history` and `revert` through the built CLI on a real PostgreSQL: who changed what, undoing one
 * change or going back to one, and the file (sync --once) following the database each time.
 */

const hash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

interface Change {
  id: string;
  actor: string;
  role: string;
  application: string | null;
  source: string;
  key: string | null;
  operation: string;
  old: Record<string, unknown> | null;
  new: Record<string, unknown> | null;
  changed: string[];
}

describe('history and revert on real PostgreSQL', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;
  const roles: string[] = [];

  beforeAll(() => assertBuilt());

  beforeEach(async () => {
    db = await createSeededDatabase('history');
    dir = makeTempDir('history');
    output = path.join(dir, 'agents.json');
  });

  afterEach(async () => {
    for (const role of roles.splice(0)) await sql(db.url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  afterAll(() => undefined);

  const cli = (...args: string[]) => runCli([...args, '--database-url', db.url], dir);
  const sync = () => cli('sync', '--once', '--output', output, '--allow-empty');
  const history = async (...args: string[]): Promise<Change[]> => {
    const result = await cli('history', '--json', ...args);
    expect(result.code, result.stderr).toBe(0);
    return (JSON.parse(result.stdout) as { changes: Change[] }).changes;
  };
  const expectSynced = async () => {
    const result = await sync();
    expect(result.code, result.stderr).toBe(0);
  };
  const newest = async () => (await history('--limit', '1'))[0]!.id;

  it('can show an UPDATE by role alice for actor ops-ticket-7, mapped columns with values, a secret column by name only', async () => {
    await sql(db.url, `ALTER TABLE agents ADD COLUMN api_key text; UPDATE agents SET api_key = 'sk-live-before' WHERE name = 'alpha'`);
    const role = `alice_${db.name.slice(-8)}`;
    roles.push(role);
    await sql(db.url, `CREATE ROLE ${role} LOGIN PASSWORD 'pw'; GRANT SELECT, UPDATE ON agents TO ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'pw';
    const alice = new pg.Client({ connectionString: url.toString(), application_name: 'ops-console' });
    await alice.connect();
    try {
      await alice.query(`BEGIN; SET LOCAL agent_config_sync.actor = 'ops-ticket-7';
        UPDATE agents SET model = 'openai/gpt-5-mini', api_key = 'sk-live-after' WHERE name = 'alpha'; COMMIT`);
    } finally {
      await alice.end();
    }

    const [change] = await history('--agent', 'alpha', '--limit', '1');
    expect(change).toMatchObject({
      actor: 'ops-ticket-7', role, application: 'ops-console', source: 'agents', key: 'alpha', operation: 'UPDATE',
      changed: ['api_key', 'model'],
    });
    expect(change!.old).toMatchObject({ model: 'openai/gpt-5' });
    expect(change!.new).toMatchObject({ model: 'openai/gpt-5-mini' });
    const text = await cli('history', '--agent', 'alpha');
    expect(text.stdout).toContain('ops-ticket-7 (role');
    expect(text.stdout).toContain('model: "openai/gpt-5" → "openai/gpt-5-mini"; also changed: api_key (value not recorded)');
    // Neither value of the secret column appears anywhere the ledger reaches.
    const everything = JSON.stringify(await history('--limit', '10000')) + text.stdout + JSON.stringify(await sql(db.url, 'SELECT * FROM agent_config_changes'));
    expect(everything).not.toMatch(/sk-live/);
  });

  it('can revert one change, the file follows, and the revert is recorded', async () => {
    await expectSynced();
    const before = hash(output);
    await sql(db.url, `UPDATE agents SET model = 'x/broken' WHERE name = 'beta'`);
    const bad = await newest();
    await expectSynced();
    expect(hash(output)).not.toBe(before);

    const dry = await cli('revert', bad, '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would update agents "beta": model "x/broken" → "anthropic/claude-sonnet-4-5"');
    expect(await sql(db.url, `SELECT model FROM agents WHERE name = 'beta'`)).toEqual([{ model: 'x/broken' }]);

    const done = await cli('revert', bad);
    expect(done.code, done.stderr).toBe(0);
    expect(await sql(db.url, `SELECT model FROM agents WHERE name = 'beta'`)).toEqual([{ model: 'anthropic/claude-sonnet-4-5' }]);
    await expectSynced();
    expect(hash(output)).toBe(before);
    const [recorded] = await history('--limit', '1');
    expect(recorded).toMatchObject({ application: 'agent-config-sync revert', key: 'beta', operation: 'UPDATE' });
    expect(done.stdout).toContain(`recorded as change ${recorded!.id}`);
  });

  it('can refuse to revert a row changed later, naming the later change, and revert it anyway with --force', async () => {
    await sql(db.url, `UPDATE agents SET model = 'x/one' WHERE name = 'alpha'`);
    const first = await newest();
    await sql(db.url, `UPDATE agents SET model = 'x/two' WHERE name = 'alpha'`);
    const second = await newest();

    const refused = await cli('revert', first);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`later change ${second} changed again`);
    expect(await sql(db.url, `SELECT model FROM agents WHERE name = 'alpha'`)).toEqual([{ model: 'x/two' }]);

    const forced = await cli('revert', first, '--force');
    expect(forced.code).toBe(0);
    expect(await sql(db.url, `SELECT model FROM agents WHERE name = 'alpha'`)).toEqual([{ model: 'openai/gpt-5' }]);
  });

  it('can go back to a change across INSERT, UPDATE, DELETE and TRUNCATE, the file byte-identical to the one written then', async () => {
    await sql(db.url, `INSERT INTO agents (name, model, fallback_models, allowed_subagents, instance_type, openclaw_config)
      VALUES ('gamma', 'x/gamma', '{x/g1,x/g2}', '{beta}', 'subagent', '{"description": "third"}')`);
    await sql(db.url, `INSERT INTO agent_system_config (key, value, value_type) VALUES ('max_concurrent_subagents', '3', 'integer')`);
    const mark = await newest();
    await expectSynced();
    const atMark = hash(output);

    await sql(db.url, `INSERT INTO agents (name, model) VALUES ('delta', 'x/delta')`);
    await sql(db.url, `UPDATE agents SET model = 'x/changed', fallback_models = NULL WHERE name = 'gamma'`);
    await sql(db.url, `UPDATE agents SET name = 'beta-renamed' WHERE name = 'beta'`);
    await sql(db.url, `DELETE FROM agents WHERE name = 'alpha'`);
    await sql(db.url, `UPDATE agent_system_config SET value = '5' WHERE key = 'max_spawn_depth'`);
    await sql(db.url, `TRUNCATE agents`);
    await sql(db.url, `TRUNCATE agent_system_config`);
    await sql(db.url, `INSERT INTO agents (name, model) VALUES ('epsilon', 'x/epsilon')`);
    await expectSynced();
    expect(hash(output)).not.toBe(atMark);

    const back = await cli('revert', '--to', mark, '--json');
    expect(back.code, back.stderr).toBe(0);
    expect((JSON.parse(back.stdout) as { recordedAs: string[] }).recordedAs.length).toBeGreaterThan(0);
    await expectSynced();
    expect(hash(output)).toBe(atMark);
    // Going back again finds nothing to do.
    const again = await cli('revert', '--to', mark);
    expect(again.code).toBe(0);
  });

  it("can run a superuser's revert on a table another role owns as that owner, so the owner's triggers never run as the superuser", async () => {
    const owner = `owner_${db.name.slice(-8)}`;
    roles.push(owner);
    await sql(db.url, `CREATE ROLE ${owner} NOLOGIN;
      ALTER TABLE agents OWNER TO ${owner};
      CREATE TABLE ran_as (who text); GRANT INSERT ON ran_as TO PUBLIC;
      CREATE FUNCTION record_writer() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.ran_as VALUES (current_user); RETURN NULL; END $$;
      ALTER FUNCTION record_writer() OWNER TO ${owner};
      CREATE TRIGGER record_writer AFTER INSERT OR UPDATE OR DELETE ON agents FOR EACH ROW EXECUTE FUNCTION record_writer();`);
    await sql(db.url, `UPDATE agents SET model = 'x/broken' WHERE name = 'beta'`);
    const bad = await newest();
    await sql(db.url, 'TRUNCATE ran_as');

    const done = await cli('revert', bad);
    expect(done.code, done.stderr).toBe(0);
    expect(await sql(db.url, `SELECT model FROM agents WHERE name = 'beta'`)).toEqual([{ model: 'anthropic/claude-sonnet-4-5' }]);
    expect(await sql(db.url, 'SELECT who FROM ran_as')).toEqual([{ who: owner }]);
    // Still recorded as the operator's revert.
    const [recorded] = await history('--limit', '1');
    expect(recorded).toMatchObject({ role: 'postgres', application: 'agent-config-sync revert', key: 'beta' });
    await sql(db.url, `DROP TABLE ran_as; DROP TRIGGER record_writer ON agents; DROP FUNCTION record_writer(); ALTER TABLE agents OWNER TO postgres`);
  });
});
