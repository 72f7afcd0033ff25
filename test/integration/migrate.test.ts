import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, triggerChannel, verifySchema } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { renderSnapshot } from '../../src/domain/render.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';

const run = promisify(execFile);
const INSTALLER = path.resolve('agent-install.sh');

/** Everything migrate creates, as one comparable text (definitions, triggers, seed rows). */
async function schemaFingerprint(client: pg.Client): Promise<string> {
  const result = await client.query<{ part: string }>(`
    SELECT 'fn ' || p.proname || ' ' || md5(pg_get_functiondef(p.oid)) AS part
      FROM pg_proc p WHERE p.proname IN ('notify_agent_config_changed', 'notify_system_config_changed')
    UNION ALL
    SELECT 'trigger ' || c.relname || ' ' || t.tgname || ' ' || pg_get_triggerdef(t.oid)
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type
      FROM information_schema.columns WHERE table_name IN ('agents', 'agent_system_config')
    UNION ALL
    SELECT 'config ' || key || '=' || value || ':' || value_type FROM agent_system_config
    UNION ALL
    SELECT 'agent ' || row_to_json(a)::text FROM agents a
    ORDER BY 1`);
  return result.rows.map((row) => row.part).join('\n');
}

/** The agents table as operators have it today (nova-mind database/schema.sql shape). */
const UPSTREAM_AGENTS = `
  CREATE TABLE agents (
    id SERIAL PRIMARY KEY,
    name varchar(100) NOT NULL UNIQUE,
    description text,
    role varchar(50),
    provider varchar(50),
    model varchar(100),
    access_method varchar(20) NOT NULL DEFAULT 'openclaw_session',
    access_details jsonb,
    skills text[],
    credential_ref varchar(200),
    status varchar(20) DEFAULT 'active',
    notes text,
    created_at timestamptz DEFAULT now(),
    updated_at timestamptz DEFAULT now(),
    persistent boolean DEFAULT true,
    instance_type varchar(20) DEFAULT 'subagent',
    home_dir varchar(255),
    unix_user varchar(50),
    collaborative boolean,
    config_reasoning text,
    fallback_models text[],
    nickname varchar(50),
    pronouns varchar(50),
    allowed_subagents text[],
    is_default boolean DEFAULT false,
    thinking varchar(20),
    heartbeat_every varchar(20),
    parent_agents text[]
  );
  INSERT INTO agents (name, description, model, fallback_models, allowed_subagents, is_default, instance_type, skills, thinking) VALUES
    ('NOVA', 'the primary', 'anthropic/claude-opus-4', '{openai/gpt-5,google/gemini-2.5-pro}', '{coder,scout}', true, 'primary', '{plan}', 'high'),
    ('coder', 'writes code', 'openai/gpt-5', NULL, NULL, false, 'subagent', NULL, NULL),
    ('scout', 'no model yet', NULL, NULL, NULL, false, 'subagent', NULL, NULL),
    ('peer-1', 'another gateway', 'openai/gpt-5', NULL, NULL, false, 'peer', NULL, NULL),
    ('legacy', 'no type', 'x/legacy', NULL, NULL, false, NULL, NULL, NULL);`;

describe('migrations on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeEach(async () => {
    db = await createTestDatabase('migrate');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
    await db.drop();
  });

  it('can create everything on an empty database and report it complete', async () => {
    expect((await verifySchema(client)).missing).toHaveLength(9);
    const result = await migrate(client);
    expect(result.applied).toEqual(['001-tables.sql', '150-change-ledger.sql', '162-agent-config-trigger.sql', '163-system-config-trigger.sql', '200-gateway-status.sql']);
    const report = await verifySchema(client);
    expect(report.missing).toEqual([]);
    expect(report.agentColumns).toEqual([
      'allowed_subagents', 'fallback_models', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to',
      'instance_type', 'is_default', 'model', 'name', 'openclaw_config', 'status', 'thinking',
    ]);
    const seed = await client.query(`SELECT value, value_type FROM agent_system_config WHERE key = 'max_spawn_depth'`);
    expect(seed.rows).toEqual([{ value: '5', value_type: 'integer' }]);
  });

  it('can run twice and change nothing (one trigger each, operator values kept)', async () => {
    await migrate(client);
    await client.query(`UPDATE agent_system_config SET value = '2' WHERE key = 'max_spawn_depth'`);
    await client.query(`INSERT INTO agents (name, model) VALUES ('a', 'm/a')`);
    const once = await schemaFingerprint(client);
    await migrate(client);
    expect(await schemaFingerprint(client)).toBe(once);
    const triggers = await client.query(`SELECT count(*)::int AS n FROM pg_trigger WHERE NOT tgisinternal`);
    expect(triggers.rows[0].n).toBe(4);
  });

  it('can replace the triggers an operator already has instead of adding a second one', async () => {
    await client.query(`CREATE TABLE agent_system_config (key text PRIMARY KEY, value text NOT NULL, value_type text NOT NULL DEFAULT 'text', created_at timestamptz, updated_at timestamptz)`);
    await client.query(`CREATE FUNCTION notify_system_config_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('old_channel', 'x'); RETURN NULL; END $$`);
    await client.query(`CREATE TRIGGER system_config_changed AFTER INSERT OR UPDATE OR DELETE ON agent_system_config FOR EACH ROW EXECUTE FUNCTION notify_system_config_changed()`);
    await migrate(client);
    const onConfig = await client.query(`SELECT tgname FROM pg_trigger WHERE tgrelid = 'agent_system_config'::regclass AND NOT tgisinternal ORDER BY 1`);
    expect(onConfig.rows.map((r) => r.tgname)).toEqual(['system_config_changed', 'system_config_changed_truncate']);
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => heard.push(`${n.channel} ${n.payload}`));
    await listener.query('LISTEN agent_config_changed');
    await client.query(`INSERT INTO agent_system_config (key, value, value_type) VALUES ('max_concurrent_subagents', '4', 'integer')`);
    await new Promise((r) => setTimeout(r, 200));
    await listener.end();
    expect(heard).toEqual(['agent_config_changed {"source" : "agent_system_config", "key" : "max_concurrent_subagents", "operation" : "INSERT"}']);
  });

  it('can make the triggers notify the channel set with migrate --channel, and go back to the default', async () => {
    const cli = path.resolve('dist/cli/main.js');
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' };
    const custom = await run(process.execPath, [cli, 'migrate', '--channel', 'acs_custom', '--database-url', db.url], { env });
    expect(custom.stderr).toContain('the triggers notify "acs_custom"');
    // The setting is the database's: a session opened now (not the one that set it) uses it.
    const heardOn = async (channels: string[]) => {
      const listener = new pg.Client({ connectionString: db.url });
      const writer = new pg.Client({ connectionString: db.url });
      await Promise.all([listener.connect(), writer.connect()]);
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.channel));
      for (const channel of channels) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      await writer.query(`INSERT INTO agents (name, model) VALUES ($1, 'm')`, [`a-${Date.now()}`]);
      await writer.query(`UPDATE agent_system_config SET value = '3'`);
      await new Promise((r) => setTimeout(r, 200));
      await Promise.all([listener.end(), writer.end()]);
      return heard;
    };
    expect(await heardOn(['acs_custom', 'agent_config_changed'])).toEqual(['acs_custom', 'acs_custom']);

    const sync = startPipeline(db.url, { channel: 'acs_custom' });
    try {
      await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(db.url)));
      const writer = new pg.Client({ connectionString: db.url });
      await writer.connect();
      await writer.query(`UPDATE agents SET model = 'm/custom-channel'`);
      await writer.end();
      await waitFor('the change heard on acs_custom', async () => readText(sync.outputPath) === (await expectedText(db.url)), 2_000);
    } finally {
      await sync.stop();
    }

    const back = await run(process.execPath, [cli, 'migrate', '--channel', 'agent_config_changed', '--database-url', db.url], { env });
    expect(back.stderr).toContain('the triggers notify "agent_config_changed"');
    expect(await heardOn(['acs_custom', 'agent_config_changed'])).toEqual(['agent_config_changed', 'agent_config_changed']);
  });

  it('can fire a notification for each kind of change on both tables, TRUNCATE included', async () => {
    await migrate(client);
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    const heard: unknown[] = [];
    listener.on('notification', (n) => heard.push(JSON.parse(n.payload ?? 'null')));
    await listener.query('LISTEN agent_config_changed');
    await client.query(`INSERT INTO agents (name, model) VALUES ('a', 'm')`);
    await client.query(`UPDATE agents SET model = 'n'`);
    await client.query(`DELETE FROM agents`);
    await client.query(`TRUNCATE agents`);
    await client.query(`UPDATE agent_system_config SET value = '4'`);
    await client.query(`TRUNCATE agent_system_config`);
    await new Promise((r) => setTimeout(r, 200));
    await listener.end();
    expect(heard).toEqual([
      { source: 'agents', agent_name: 'a', operation: 'INSERT' },
      { source: 'agents', agent_name: 'a', operation: 'UPDATE' },
      { source: 'agents', agent_name: 'a', operation: 'DELETE' },
      { source: 'agents', agent_name: null, operation: 'TRUNCATE' },
      { source: 'agent_system_config', key: 'max_spawn_depth', operation: 'UPDATE' },
      { source: 'agent_system_config', key: null, operation: 'TRUNCATE' },
    ]);
  });

  it('can leave an upstream-shaped agents table intact and export it correctly', async () => {
    await client.query(UPSTREAM_AGENTS);
    const before = await client.query(`SELECT * FROM agents ORDER BY id`);
    await migrate(client);
    const after = await client.query(`SELECT * FROM agents ORDER BY id`);
    expect(after.rows).toEqual(before.rows);
    expect(after.fields.map((f) => f.name)).toEqual(before.fields.map((f) => f.name));

    const snapshot = await readSnapshot(client, parseAgentsSource('agents'));
    expect(snapshot.columns).toEqual(['id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type', 'status', 'heartbeat_every', 'thinking']);
    const list = JSON.parse(renderSnapshot(snapshot, { format: 'list', layout: 'root' }).text);
    expect(list.agents.list).toEqual([
      { id: 'coder', model: 'openai/gpt-5' },
      { id: 'legacy', model: 'x/legacy' },
      {
        id: 'nova',
        default: true,
        model: { primary: 'anthropic/claude-opus-4', fallbacks: ['openai/gpt-5', 'google/gemini-2.5-pro'] },
        subagents: { allowAgents: ['coder', 'scout'] },
        thinkingDefault: 'high',
      },
    ]);
    const entries = JSON.parse(renderSnapshot(snapshot, { format: 'entries', layout: 'section' }).text);
    // The default agent first (2026.8.2 reports the first entry as the default), then by id.
    expect(Object.keys(entries.entries)).toEqual(['nova', 'coder', 'legacy']);
    expect(entries.defaults.systemAgent).toEqual({ agentId: 'nova' });
    expect(entries.ownership).toBe('explicit');
    expect(entries.defaults.subagents.maxSpawnDepth).toBe(5);
  });

  it('can be applied by agent-install.sh with psql, twice, and verified', async () => {
    const url = new URL(db.url);
    const env = {
      ...process.env,
      PGHOST: url.hostname,
      PGPORT: url.port,
      PGUSER: decodeURIComponent(url.username),
      PGPASSWORD: decodeURIComponent(url.password),
      PGDATABASE: 'postgres',
    };
    const verifyBefore = await run('bash', [INSTALLER, '--verify-only', '-d', db.name], { env }).catch((error) => error);
    expect(verifyBefore.code).toBe(1);
    expect(verifyBefore.stdout + verifyBefore.stderr).toMatch(/missing.*trigger agent_config_changed on agents/s);
    await run('bash', [INSTALLER, '--database', db.name], { env });
    const once = await schemaFingerprint(client);
    const second = await run('bash', [INSTALLER, '-d', db.name], { env });
    expect(await schemaFingerprint(client)).toBe(once);
    // A second run has nothing to report: no "already exists, skipping" NOTICEs.
    expect(second.stderr).not.toMatch(/NOTICE/);
    expect(second.stdout).toMatch(/^agent-install\.sh: applied /m);
    const verified = await run('bash', [INSTALLER, '--verify-only', '-d', db.name], { env });
    expect(verified.stdout).toMatch(/schema complete/);
    expect((await verifySchema(client)).missing).toEqual([]);

    await run('bash', [INSTALLER, '-d', db.name, '--channel', "it's-mine"], { env });
    expect(await triggerChannel(client)).toBe("it's-mine");
    await run('bash', [INSTALLER, '-d', db.name, '--channel', 'agent_config_changed'], { env });
    expect(await triggerChannel(client)).toBe('agent_config_changed');
    const bad = await run('bash', [INSTALLER, '-d', db.name, '--channel', ''], { env }).catch((error) => error);
    expect(bad.code).toBe(64);
  });
});
