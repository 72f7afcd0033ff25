import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, writeReported, type PipelineUnderTest } from '../support/pipelineHarness.js';

/**
 * A view as the agents source that returns hostile values (issue 10 item 4, issue 11 items 5 and 6):
 * jsonb objects with a `toString` key where text is expected, an 80 000-element array, a name with a
 * newline and an ANSI escape. The real pipeline must write the good rows, warn each bad one once
 * with its name JSON-escaped, and go on following changes.
 */
const VIEW = `
  CREATE VIEW hostile_agents AS
    SELECT id, to_jsonb(name) AS name, to_jsonb(model) AS model, fallback_models,
           to_jsonb(allowed_subagents) AS allowed_subagents, is_default, instance_type
      FROM agents
    UNION ALL
    SELECT * FROM (VALUES
      (1001, '{"toString": 0}'::jsonb, '"m/x"'::jsonb, NULL::text[], NULL::jsonb, false, 'primary'::varchar),
      (1002, '"writer"'::jsonb, '{"toString": 0, "valueOf": 0}'::jsonb, NULL, NULL, false, 'primary'),
      (1003, to_jsonb(E'evil\\n\\x1b[31mname'::text), '"m/e"'::jsonb, NULL, NULL, false, 'primary'),
      (1004, '"wide"'::jsonb, '"w/primary"'::jsonb, ARRAY(SELECT 'f/' || g FROM generate_series(1, 80000) AS g),
             '["alpha", {"toString": 0}, null, ["nested"]]'::jsonb, false, 'primary')
    ) AS v(id, name, model, fallback_models, allowed_subagents, is_default, instance_type)`;

/** Control characters, DEL, C1 and Unicode line separators: none may reach a log line raw. */
const UNSAFE_IN_LOG = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

describe('hostile rows from a view, through the real pipeline', () => {
  let db: TestDatabase;
  let client: pg.Client;
  let sync: PipelineUnderTest | undefined;

  beforeEach(async () => {
    db = await createTestDatabase('hostile');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, fallback_models, allowed_subagents, is_default) VALUES
      ('alpha', 'anthropic/claude-sonnet-4', '{openai/gpt-5}', '{beta}', true),
      ('beta', 'openai/gpt-5-mini', NULL, NULL, false)`);
    await client.query(VIEW);
  });

  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
    await client.end();
    await db.drop();
  });

  const caughtUp = async (what: string, timeoutMs = 5_000) => {
    const want = await expectedText(db.url, { format: 'entries', layout: 'root' }, 'hostile_agents');
    return waitFor(what, () => readText(sync!.outputPath) === want, timeoutMs);
  };
  const warnings = () => sync!.log.lines.filter((l) => l.level === 'warn').map((l) => l.message);
  const count = (needle: string) => warnings().filter((m) => m.includes(needle)).length;

  it('can write the good rows, warn each bad one once, and follow a later change', async () => {
    sync = startPipeline(db.url, { agentsSource: parseAgentsSource('hostile_agents') });
    await caughtUp('the first sync from the hostile view');
    await writeReported(sync);

    const file = JSON.parse(readText(sync.outputPath)!) as { agents: { entries: Record<string, { model: unknown; subagents?: unknown }> } };
    expect(Object.keys(file.agents.entries)).toEqual(['alpha', 'beta', 'wide']);
    expect(file.agents.entries.alpha!.model).toEqual({ primary: 'anthropic/claude-sonnet-4', fallbacks: ['openai/gpt-5'] });
    expect(file.agents.entries.wide!.model).toEqual({ primary: 'w/primary', fallbacks: Array.from({ length: 1_000 }, (_, i) => `f/${i + 1}`) });
    expect(file.agents.entries.wide!.subagents).toEqual({ allowAgents: ['alpha'] });

    // Each bad row and value, named by row and column, the name JSON-escaped.
    const expected = [
      'agents row id=1001 (name an object with key "toString"): name is not a valid agent id',
      'agents row id=1002 (name "writer"): model is not text (object); row not exported',
      'agents row id=1003 (name "evil\\n\\u001b[31mname"): name is not a valid agent id',
      'agents row id=1004 (name "wide"): fallback_models has 80000 elements; only the first 1000 are read',
      'agents row id=1004 (name "wide"): allowed_subagents[2] an object with key "toString" is not valid; element dropped',
      'agents row id=1004 (name "wide"): allowed_subagents[3] is NULL; element dropped',
      'agents row id=1004 (name "wide"): allowed_subagents[4] an array of 1 element is not valid; element dropped',
    ];
    for (const needle of expected) expect(count(needle), `${needle}\n---\n${sync.log.text()}`).toBe(1);
    for (const line of sync.log.lines) expect(line.message).not.toMatch(UNSAFE_IN_LOG);
    expect(sync.log.text()).not.toContain('pipeline stopped');

    // A later change on the table under the view is followed; nothing is warned twice.
    const writes = sync.written.length;
    await client.query(`UPDATE agents SET model = 'm/after' WHERE name = 'beta'`);
    await caughtUp('the later change');
    await writeReported(sync);
    expect(JSON.parse(readText(sync.outputPath)!).agents.entries.beta.model).toBe('m/after');
    expect(sync.written.length).toBe(writes + 1);
    for (const needle of expected) expect(count(needle)).toBe(1);
    expect(warnings()).toHaveLength(expected.length);
  });
});
