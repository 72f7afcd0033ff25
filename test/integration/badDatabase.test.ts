import fs from 'node:fs';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { checkForHost } from '../../src/domain/hostRules.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';

/**
 * Bad input that only a real database can produce: a missing table or column, an empty roster,
 * a source that returns the same agent twice, payloads that are not JSON or are as large as
 * PostgreSQL allows. Each ends with a warning that names what is wrong, no crash, and a file the
 * host accepts (or the old file, untouched).
 */
describe('a bad database on real PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let sync: PipelineUnderTest | undefined;

  beforeEach(async () => {
    db = await createTestDatabase('baddb');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, fallback_models, is_default) VALUES
      ('alpha', 'anthropic/claude-sonnet-4', '{openai/gpt-5}', true), ('beta', 'openai/gpt-5-mini', NULL, false)`);
  });

  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
    await client.end();
    await db.drop();
  });

  const caughtUp = async (what: string, source = 'agents') => {
    const want = await expectedText(db.url, { format: 'entries', layout: 'root' }, source);
    return waitFor(what, () => readText(sync!.outputPath) === want, 5_000);
  };
  const warnings = () => sync!.log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
  const accepted = () => checkForHost(readText(sync!.outputPath)!, 'entries', 'root');

  it('can keep the old file while the agents table is missing, warn once, and follow when it is back', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const before = readText(sync.outputPath);
    await client.query('ALTER TABLE agents RENAME TO agents_away');
    await client.query(`UPDATE agent_system_config SET value = '2' WHERE key = 'max_spawn_depth'`);
    await waitFor('a warning naming the source', () => warnings().some((w) => w.includes('reading the database failed') && w.includes('agents')));
    await new Promise((r) => setTimeout(r, 1_000)); // several retries (200 ms apart in the harness)
    expect(warnings().filter((w) => w.includes('reading the database failed'))).toHaveLength(1);
    expect(readText(sync.outputPath)).toBe(before);

    await client.query('ALTER TABLE agents_away RENAME TO agents');
    await client.query(`UPDATE agents SET model = 'm/back' WHERE name = 'beta'`);
    await caughtUp('the table is back');
    expect(JSON.parse(readText(sync.outputPath)!).agents.defaults.subagents.maxSpawnDepth).toBe(2);
  });

  it('can export a table without an optional column and say which columns it uses', async () => {
    await client.query('ALTER TABLE agents DROP COLUMN fallback_models');
    sync = startPipeline(db.url);
    await caughtUp('sync without fallback_models');
    expect(JSON.parse(readText(sync.outputPath)!).agents.entries.alpha.model).toBe('anthropic/claude-sonnet-4');
    const used = sync.log.lines.find((l) => l.message.includes('using columns'))?.message ?? '';
    expect(used).toContain('name, model');
    expect(used).not.toContain('fallback_models');
    expect(accepted()).toEqual([]);
  });

  it('can refuse a roster emptied by mistake, keep the old file, and write once it has agents again', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const before = readText(sync.outputPath);
    await client.query('DELETE FROM agents');
    await waitFor('the refusal', () => warnings().some((w) => w.includes('allowEmpty')));
    await client.query(`UPDATE agent_system_config SET value = '4' WHERE key = 'max_spawn_depth'`);
    await waitFor('a second snapshot', () => sync!.rendered.some((r) => r.agentCount === 0 && r.text.includes('"maxSpawnDepth": 4')));
    expect(readText(sync.outputPath)).toBe(before);
    expect(warnings().filter((w) => w.includes('allowEmpty'))).toHaveLength(1);

    await client.query(`INSERT INTO agents (name, model) VALUES ('gamma', 'm/g')`);
    await caughtUp('a roster again');
    expect(Object.keys(JSON.parse(readText(sync.outputPath)!).agents.entries)).toEqual(['gamma']);
  });

  it('can keep one entry per id when the source returns an agent twice, warning once', async () => {
    await client.query(`CREATE VIEW agents_twice AS SELECT * FROM agents UNION ALL SELECT * FROM agents`);
    sync = startPipeline(db.url, { agentsSource: parseAgentsSource('agents_twice') });
    await caughtUp('sync from the doubled view', 'agents_twice');
    expect(Object.keys(JSON.parse(readText(sync.outputPath)!).agents.entries)).toEqual(['alpha', 'beta']);
    expect(accepted()).toEqual([]);
    const duplicates = () => warnings().filter((w) => w.includes('is already used by'));
    expect(duplicates().length).toBeGreaterThan(0);
    expect(duplicates().some((w) => w.includes('alpha'))).toBe(true);
    const count = duplicates().length;
    // A resync that changes something else repeats no warning about the same rows.
    await client.query(`UPDATE agent_system_config SET value = '3' WHERE key = 'max_spawn_depth'`);
    await caughtUp('an unrelated change', 'agents_twice');
    expect(duplicates()).toHaveLength(count);
  });

  it('can take a non-JSON and a maximum-size payload as a plain change signal', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const writes = sync.written.length;
    const renders = sync.rendered.length;
    await client.query(`SELECT pg_notify('agent_config_changed', 'not json {{{ \\x00')`);
    await client.query(`SELECT pg_notify('agent_config_changed', repeat('x', 7999))`);
    await waitFor('a resync after the odd payloads', () => sync!.rendered.length > renders);
    expect(sync.written.length).toBe(writes); // nothing changed in the tables
    await client.query(`UPDATE agents SET model = 'm/after' WHERE name = 'alpha'`);
    await caughtUp('a real change after them');
    expect(sync.log.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('can log a payload that carries a newline and terminal escapes as one quoted line', async () => {
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    const renders = sync.rendered.length;
    await client.query(`SELECT pg_notify('agent_config_changed', E'{"agent_name":"x"}\nagent_config_sync: forged line \x1b[2J\r')`);
    await waitFor('a resync after the payload', () => sync!.rendered.length > renders);
    const lines = sync.log.lines.filter((l) => l.message.includes('notification:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.message).toContain('\\nagent_config_sync: forged line \\u001b[2J\\r');
    // No captured line holds a raw control character: nothing can split or repaint the log.
    expect(sync.log.lines.filter((l) => /[\u0000-\u001f\u007f]/.test(l.message))).toEqual([]);
  });

  it('can warn once about a bad row, not on every resync, and leave it out of a valid file', async () => {
    await client.query(`INSERT INTO agents (name, model) VALUES ('broken', NULL)`);
    sync = startPipeline(db.url);
    await caughtUp('initial sync');
    for (const depth of [2, 3, 4]) {
      await client.query(`UPDATE agent_system_config SET value = $1 WHERE key = 'max_spawn_depth'`, [String(depth)]);
      await caughtUp(`max_spawn_depth ${depth}`);
    }
    const aboutBroken = warnings().filter((w) => w.includes('broken'));
    expect(aboutBroken).toHaveLength(1);
    expect(aboutBroken[0]).toMatch(/model/);
    expect(JSON.parse(readText(sync.outputPath)!).agents.entries.broken).toBeUndefined();
    expect(fs.existsSync(sync.outputPath)).toBe(true);
    expect(accepted()).toEqual([]);
  });
});
