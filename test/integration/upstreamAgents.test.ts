import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { parseHostVersion } from '../../src/domain/hostProfile.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';

/**
 * Issue 12 on a real PostgreSQL: an agents table shaped like the upstream one (NOVA-Openclaw/nova-mind
 * `database/schema.sql`: the columns it has, plus `openclaw_config jsonb`), read as a table and through
 * a set-returning function with the upstream contract — scoped by `session_user`, `status = 'active'`
 * only, the gateway's own row first with `is_default = true` (a 'peer' on peer gateways), then the
 * subagents that list it in `parent_agents` — under two roles, giving two rosters.
 */

/** An operator who lets the upstream rows' settings through (the row policy has its own tests): what the host's rules then do with them is this file's subject. */
const POLICY: RenderOptions['policy'] = { rowSettings: ['identity', 'tools', 'workspace', 'name', 'banana'], minHeartbeatEvery: '5m' };
const NEW: RenderOptions = { format: 'entries', layout: 'section', version: parseHostVersion('2026.9.6'), policy: POLICY };
const OLD: RenderOptions = { format: 'list', layout: 'section', version: parseHostVersion('2026.4.29'), policy: POLICY };
const suffix = randomBytes(3).toString('hex');
const NOVA = `nova_${suffix}`;
const PEER = `newhart_${suffix}`;
const PASSWORD = 'test-only-role-password';

const TABLE = `
  CREATE TABLE agents (
    id serial PRIMARY KEY,
    name varchar(100) NOT NULL UNIQUE,
    description text,
    role varchar(100),
    model varchar(100),
    access_method varchar(50) NOT NULL DEFAULT 'openclaw_session',
    skills text[],
    status varchar(20) DEFAULT 'active',
    instance_type varchar(20) DEFAULT 'subagent',
    thinking varchar(20) CHECK (thinking IN ('off', 'minimal', 'low', 'medium', 'high', 'xhigh', 'adaptive')),
    fallback_models text[],
    allowed_subagents text[],
    is_default boolean DEFAULT false NOT NULL,
    parent_agents text[],
    heartbeat_enabled boolean DEFAULT false,
    heartbeat_every text,
    heartbeat_target text,
    heartbeat_to text,
    model_locked boolean DEFAULT false NOT NULL,
    openclaw_config jsonb
  )`;

/** Written for this test to the upstream function's contract (its columns and filters), not copied from it. */
const EXPORT_FUNCTION = `
  CREATE FUNCTION get_agent_export_rows()
  RETURNS TABLE(name text, model text, fallback_models text[], thinking text, instance_type text, is_default boolean,
                allowed_subagents text[], heartbeat_enabled boolean, heartbeat_every text, heartbeat_target text, heartbeat_to text)
  LANGUAGE sql STABLE AS $$
    SELECT * FROM (
      SELECT a.name::text, a.model::text, a.fallback_models, a.thinking::text, a.instance_type::text, true,
             a.allowed_subagents, a.heartbeat_enabled, a.heartbeat_every, a.heartbeat_target, a.heartbeat_to
        FROM agents a WHERE a.name = session_user AND a.status = 'active' AND a.model IS NOT NULL
      UNION ALL
      SELECT a.name::text, a.model::text, a.fallback_models, a.thinking::text, a.instance_type::text, false,
             a.allowed_subagents, a.heartbeat_enabled, a.heartbeat_every, a.heartbeat_target, a.heartbeat_to
        FROM agents a WHERE session_user = ANY (a.parent_agents) AND a.status = 'active' AND a.model IS NOT NULL
    ) rows ORDER BY 6 DESC, 1
  $$`;

describe('an upstream-shaped agents table on real PostgreSQL', () => {
  let db: TestDatabase;
  let admin: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('upstream_agents');
    admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(TABLE);
    await migrate(admin);
    await admin.query(EXPORT_FUNCTION);
    await admin.query(
      `INSERT INTO agents (name, model, status, instance_type, thinking, fallback_models, allowed_subagents, is_default, parent_agents,
                           heartbeat_enabled, heartbeat_every, heartbeat_target, heartbeat_to, openclaw_config) VALUES
        ($1, 'anthropic/claude-opus-4', 'active', 'primary', 'high', '{openai/gpt-5}', '{coder,scout}', true, NULL,
         true, '30m', 'discord', 'channel:1234', '{"identity": {"name": "Nova", "emoji": "✨"}, "tools": {"profile": "full"}}'),
        ($2, 'anthropic/claude-sonnet-4', 'active', 'peer', 'medium', NULL, '{scout}', false, NULL,
         true, '1h', NULL, NULL, NULL),
        ('coder', 'openai/gpt-5', 'active', 'subagent', NULL, NULL, NULL, false, ARRAY[$1],
         false, '5m', NULL, NULL, '{"thinkingDefault": "banana", "workspace": "/srv/coder", "banana": 1}'),
        ('scout', 'anthropic/claude-haiku-4-5', 'active', 'subagent', 'low', NULL, NULL, false, ARRAY[$1, $2],
         true, 'soon', NULL, NULL, '[1, 2]'),
        ('retired', 'openai/gpt-4', 'inactive', 'subagent', NULL, NULL, NULL, false, ARRAY[$1, $2],
         false, NULL, NULL, NULL, NULL),
        ('proto', 'x/proto', NULL, 'subagent', NULL, NULL, NULL, false, ARRAY[$1],
         NULL, NULL, NULL, NULL, '{"__proto__": {"polluted": true}, "constructor": {"x": 1}, "name": "Proto"}')`,
      [NOVA, PEER],
    );
    await withAdmin(async (c) => {
      for (const role of [NOVA, PEER]) await c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${PASSWORD}'`);
    }, db.adminUrl);
    await admin.query(`GRANT SELECT ON agents, agent_system_config TO ${NOVA}, ${PEER}`);
  });

  afterAll(async () => {
    await admin?.end();
    await db?.drop();
    await withAdmin(async (c) => {
      for (const role of [NOVA, PEER]) await c.query(`DROP ROLE IF EXISTS ${role}`);
    }, db.adminUrl);
  });

  async function snapshotAs(role: string | undefined, source: string) {
    const url = new URL(db.url);
    if (role) {
      url.username = role;
      url.password = PASSWORD;
    }
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await readSnapshot(client, parseAgentsSource(source));
    } finally {
      await client.end();
    }
  }

  it('can export every column of the table as the host reads it, leaving out only the bad values', async () => {
    const snapshot = await snapshotAs(undefined, 'agents');
    expect(snapshot.columns).toEqual([
      'id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type',
      'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config',
    ]);
    const rendered = renderSnapshot(snapshot, NEW);
    const file = JSON.parse(rendered.text) as { defaults: unknown; ownership: string; entries: Record<string, Record<string, unknown>> };
    // The default first; the inactive row and the peer that is not the default are left out.
    expect(Object.keys(file.entries)).toEqual([NOVA, 'coder', 'proto', 'scout']);
    expect(file.ownership).toBe('explicit');
    expect(file.defaults).toEqual({ subagents: { maxSpawnDepth: 5 }, systemAgent: { agentId: NOVA }, authInheritance: { agentId: NOVA } });
    expect(file.entries[NOVA]).toEqual({
      model: { primary: 'anthropic/claude-opus-4', fallbacks: ['openai/gpt-5'] },
      heartbeat: { every: '30m', target: 'discord', to: 'channel:1234' },
      identity: { name: 'Nova', emoji: '✨' },
      subagents: { allowAgents: ['coder', 'scout'] },
      thinkingDefault: 'high',
      tools: { profile: 'full' },
    });
    expect(file.entries.coder).toEqual({ model: 'openai/gpt-5', workspace: '/srv/coder' });
    expect(file.entries.scout).toEqual({ model: 'anthropic/claude-haiku-4-5', thinkingDefault: 'low' });
    expect(file.entries.proto).toEqual({ model: 'x/proto', name: 'Proto' });
    const messages = rendered.problems.map((p) => p.message);
    for (const expected of [
      /name "coder"\): openclaw_config\.thinkingDefault: our rules for this host rejects it .*left out/,
      /name "coder"\): openclaw_config\.banana: our rules for this host rejects it .*left out/,
      /name "scout"\): heartbeat is enabled but heartbeat_every "soon" is not a duration/,
      /name "scout"\): openclaw_config is not a JSON object \(an array of 2 elements\); ignored/,
      /name "proto"\): openclaw_config\.__proto__ \(a blocked key\) is not copied/,
      /name "proto"\): openclaw_config\.constructor \(a blocked key\) is not copied/,
    ]) {
      expect(messages.some((m) => expected.test(m)), `${expected} in ${JSON.stringify(messages, null, 1)}`).toBe(true);
    }
    // On a list host (2026.4.29): default: true, no systemAgent, and 'workspace' is accepted there too.
    const list = JSON.parse(renderSnapshot(snapshot, OLD).text) as { defaults: unknown; list: Record<string, unknown>[] };
    expect(list.list.map((a) => a.id)).toEqual(['coder', NOVA, 'proto', 'scout']);
    expect(list.list.find((a) => a.id === NOVA)?.default).toBe(true);
    expect(list.defaults).toEqual({ subagents: { maxSpawnDepth: 5 } });
  });

  it('can read the upstream export function under two roles as two rosters, each gateway its own default', async () => {
    const nova = await snapshotAs(NOVA, 'get_agent_export_rows()');
    const peer = await snapshotAs(PEER, 'get_agent_export_rows()');
    const novaFile = JSON.parse(renderSnapshot(nova, NEW).text) as { defaults: Record<string, unknown>; entries: Record<string, Record<string, unknown>> };
    const peerFile = JSON.parse(renderSnapshot(peer, NEW).text) as { defaults: Record<string, unknown>; entries: Record<string, Record<string, unknown>> };
    // Each gateway: its own row first and named the system agent; only its subagents; the inactive one in
    // neither, and 'proto' (status NULL) is filtered by the function itself (status = 'active').
    expect(Object.keys(novaFile.entries)).toEqual([NOVA, 'coder', 'scout']);
    expect(Object.keys(peerFile.entries)).toEqual([PEER, 'scout']);
    expect(novaFile.defaults.systemAgent).toEqual({ agentId: NOVA });
    // The peer gateway's own row is a 'peer' marked default by the function: exported, and the default.
    expect(peerFile.defaults.systemAgent).toEqual({ agentId: PEER });
    expect(peerFile.entries[PEER]).toEqual({
      model: 'anthropic/claude-sonnet-4',
      heartbeat: { every: '1h' },
      subagents: { allowAgents: ['scout'] },
      thinkingDefault: 'medium',
    });
    // The function returns no openclaw_config: only the columns it has are used.
    expect(peer.columns).toEqual(['fallback_models', 'allowed_subagents', 'is_default', 'instance_type', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking']);
    // On a list host the peer's own row carries default: true.
    const peerList = JSON.parse(renderSnapshot(peer, OLD).text) as { list: Record<string, unknown>[] };
    expect(peerList.list.find((a) => a.id === PEER)?.default).toBe(true);
  });
});
