import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { MAX_ELEMENT_PROBLEMS, MAX_LIST_ELEMENTS, normalizeAgentId, rowsToAgents } from '../../src/domain/agents.js';
import { LISTED_PROBLEMS, makeProblemFilter } from '../../src/domain/problems.js';
import { checkForHost } from '../../src/domain/hostRules.js';
import { renderSnapshot } from '../../src/domain/render.js';
import { SYSTEM_CONFIG_RULES, systemConfigToDefaults } from '../../src/domain/systemConfig.js';
import type { AgentRow, Layout, ModelSpec, Problem, RosterFormat, Snapshot, SystemConfigRow } from '../../src/domain/types.js';

/**
 * Bad-input corpus (docs/design.md §3): every row goes through the pure domain (renderSnapshot), and for
 * each case the exact outcome is asserted, the problems reported (or their absence), and that the
 * text is JSON the host accepts in both roster formats and both layouts.
 */

const FORMATS: RosterFormat[] = ['entries', 'list'];
const LAYOUTS: Layout[] = ['root', 'section'];
const COLUMNS = ['id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type'];

/** A control agent present in every case, so a bad row never takes the good ones with it. */
const CONTROL: AgentRow = { id: 1, name: 'main', model: 'anthropic/claude-sonnet-4', instance_type: 'primary' };

function agent(id: number, name: unknown, model: unknown, extra: Partial<AgentRow> = {}): AgentRow {
  return { id, name, model, fallback_models: null, allowed_subagents: null, is_default: false, instance_type: 'primary', ...extra };
}

function setting(key: unknown, value: unknown, value_type: unknown = 'integer'): SystemConfigRow {
  return { key, value, value_type };
}

interface Case {
  name: string;
  agents?: AgentRow[];
  system?: SystemConfigRow[];
  /** Exact ids in the roster, sorted. */
  ids: string[];
  /** Exact model of some ids. */
  models?: Record<string, ModelSpec>;
  /** Exact subagents.allowAgents of some ids; null = no subagents key. */
  allow?: Record<string, string[] | null>;
  /** Ids marked `default: true` in the list roster (exactly these). */
  defaults?: string[];
  /** Exact `agents.defaults.subagents`, or undefined for no `defaults` key at all. */
  subagentDefaults?: Record<string, number>;
  /** 'none', or one entry per expected problem: substrings that one message must all contain. */
  problems: 'none' | string[][];
}

const LONG = 'a'.repeat(200);

const CASES: Case[] = [
  // ── agent_system_config: type, range, NULL, value_type, unknown keys ──
  { name: 'a valid max_spawn_depth', system: [setting('max_spawn_depth', '3')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 3 }, problems: 'none' },
  { name: "max_spawn_depth '3.5' (non-integer)", system: [setting('max_spawn_depth', '3.5')], ids: ['main'], problems: [['max_spawn_depth', '"3.5"', 'not an integer', 'skipped']] },
  { name: "max_spawn_depth '' (empty)", system: [setting('max_spawn_depth', '')], ids: ['main'], problems: [['max_spawn_depth', '""', 'not an integer']] },
  { name: "max_spawn_depth 'abc'", system: [setting('max_spawn_depth', 'abc')], ids: ['main'], problems: [['max_spawn_depth', '"abc"', 'not an integer']] },
  { name: 'max_spawn_depth NULL value', system: [setting('max_spawn_depth', null)], ids: ['main'], problems: [['max_spawn_depth', 'null', 'not an integer']] },
  { name: "max_spawn_depth '1e1' (exponent is not an integer text)", system: [setting('max_spawn_depth', '1e1')], ids: ['main'], problems: [['max_spawn_depth', 'not an integer']] },
  { name: 'max_spawn_depth 0 → clamped to 1', system: [setting('max_spawn_depth', '0')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 1 }, problems: [['max_spawn_depth', '"0"', 'out of range (1-5)', 'clamped to 1']] },
  { name: 'max_spawn_depth -3 → clamped to 1', system: [setting('max_spawn_depth', '-3')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 1 }, problems: [['max_spawn_depth', 'clamped to 1']] },
  { name: 'max_spawn_depth 9 → clamped to 5', system: [setting('max_spawn_depth', '9')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 5 }, problems: [['max_spawn_depth', '"9"', 'clamped to 5']] },
  { name: 'max_spawn_depth beyond 2^53 → clamped to 5', system: [setting('max_spawn_depth', '99999999999999999999')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 5 }, problems: [['max_spawn_depth', 'clamped to 5']] },
  { name: 'max_spawn_depth at the upper bound 5 (no clamp)', system: [setting('max_spawn_depth', '5')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 5 }, problems: 'none' },
  { name: 'max_children_per_agent 0 → clamped to 1', system: [setting('max_children_per_agent', '0')], ids: ['main'], subagentDefaults: { maxChildrenPerAgent: 1 }, problems: [['max_children_per_agent', 'out of range (1-20)', 'clamped to 1']] },
  { name: 'max_children_per_agent 21 → clamped to 20', system: [setting('max_children_per_agent', '21')], ids: ['main'], subagentDefaults: { maxChildrenPerAgent: 20 }, problems: [['max_children_per_agent', '"21"', 'clamped to 20']] },
  { name: 'max_children_per_agent 20 is in range', system: [setting('max_children_per_agent', '20')], ids: ['main'], subagentDefaults: { maxChildrenPerAgent: 20 }, problems: 'none' },
  { name: "max_children_per_agent '2.5' (non-integer)", system: [setting('max_children_per_agent', '2.5')], ids: ['main'], problems: [['max_children_per_agent', 'not an integer', 'skipped']] },
  { name: 'max_concurrent_subagents 0 → skipped (not clamped)', system: [setting('max_concurrent_subagents', '0')], ids: ['main'], problems: [['max_concurrent_subagents', '"0"', 'out of range (>= 1)', 'skipped']] },
  { name: 'max_concurrent_subagents -1 → skipped', system: [setting('max_concurrent_subagents', '-1')], ids: ['main'], problems: [['max_concurrent_subagents', 'skipped']] },
  { name: 'max_concurrent_subagents 1000 (no upper bound)', system: [setting('max_concurrent_subagents', '1000')], ids: ['main'], subagentDefaults: { maxConcurrent: 1000 }, problems: 'none' },
  { name: "max_concurrent_subagents 'many'", system: [setting('max_concurrent_subagents', 'many')], ids: ['main'], problems: [['max_concurrent_subagents', '"many"', 'not an integer']] },
  { name: "value_type 'text' on an integer key", system: [setting('max_spawn_depth', '3', 'text')], ids: ['main'], problems: [['max_spawn_depth', 'value_type "text"', 'integer', 'skipped']] },
  { name: "value_type 'boolean' on an integer key", system: [setting('max_concurrent_subagents', '3', 'boolean')], ids: ['main'], problems: [['max_concurrent_subagents', 'value_type "boolean"']] },
  { name: 'value_type NULL on an integer key', system: [setting('max_children_per_agent', '3', null)], ids: ['main'], problems: [['max_children_per_agent', 'value_type']] },
  { name: "value_type 'INTEGER' / 'int' are accepted", system: [setting('max_spawn_depth', '2', 'INTEGER'), setting('max_children_per_agent', '4', 'int')], ids: ['main'], subagentDefaults: { maxSpawnDepth: 2, maxChildrenPerAgent: 4 }, problems: 'none' },
  { name: 'an unknown key (ignored silently)', system: [setting('favourite_colour', 'blue', 'text'), setting('max_depth', 'abc', 'integer')], ids: ['main'], problems: 'none' },
  { name: 'a key differing only in case is unknown (ignored silently)', system: [setting('MAX_SPAWN_DEPTH', '3')], ids: ['main'], problems: 'none' },
  { name: 'a non-text key (ignored silently)', system: [setting(42, '3'), setting(null, '3')], ids: ['main'], problems: 'none' },
  { name: 'all three keys, one bad among them', system: [setting('max_children_per_agent', '7'), setting('max_spawn_depth', 'x'), setting('max_concurrent_subagents', '4')], ids: ['main'], subagentDefaults: { maxConcurrent: 4, maxChildrenPerAgent: 7 }, problems: [['max_spawn_depth', 'not an integer']] },

  // ── agents: model ──
  { name: 'NULL model', agents: [agent(7, 'writer', null)], ids: ['main'], problems: [['id=7', '"writer"', 'model is NULL', 'not exported']] },
  { name: 'empty model', agents: [agent(7, 'writer', '')], ids: ['main'], problems: [['id=7', '"writer"', 'model is empty']] },
  { name: 'whitespace model', agents: [agent(7, 'writer', '  \t ')], ids: ['main'], problems: [['id=7', 'model is empty']] },
  { name: 'non-string model (number)', agents: [agent(7, 'writer', 42)], ids: ['main'], problems: [['id=7', '"writer"', 'model is not text (number)']] },
  { name: 'non-string model (object)', agents: [agent(7, 'writer', { primary: 'x' })], ids: ['main'], problems: [['id=7', 'model is not text (object)']] },
  { name: 'model with surrounding spaces is trimmed', agents: [agent(7, 'writer', '  openai/gpt-5  ')], ids: ['main', 'writer'], models: { writer: 'openai/gpt-5' }, problems: 'none' },

  // ── agents: ids ──
  { name: 'an upper-case name is normalised', agents: [agent(7, 'Writer', 'm')], ids: ['main', 'writer'], problems: 'none' },
  { name: 'a name with surrounding spaces is trimmed', agents: [agent(7, '  Critic  ', 'm')], ids: ['critic', 'main'], problems: 'none' },
  { name: 'a name with an inner space', agents: [agent(7, 'my agent', 'm')], ids: ['main'], problems: [['id=7', '"my agent"', 'not a valid agent id', 'skipped']] },
  { name: "a path-like name '../x'", agents: [agent(7, '../x', 'm')], ids: ['main'], problems: [['id=7', '"../x"', 'not a valid agent id']] },
  { name: "a name with a slash 'a/b'", agents: [agent(7, 'a/b', 'm')], ids: ['main'], problems: [['id=7', '"a/b"', 'not a valid agent id']] },
  { name: "a name with a backslash 'a\\\\b'", agents: [agent(7, 'a\\b', 'm')], ids: ['main'], problems: [['id=7', 'not a valid agent id']] },
  { name: "a name starting with '-' or '_'", agents: [agent(7, '-x', 'm'), agent(8, '_y', 'm')], ids: ['main'], problems: [['id=7', '"-x"'], ['id=8', '"_y"']] },
  { name: 'a unicode name', agents: [agent(7, 'ünïcødé', 'm'), agent(8, 'agent🤖', 'm')], ids: ['main'], problems: [['id=7', 'not a valid agent id'], ['id=8', 'not a valid agent id']] },
  { name: 'a 200-character name', agents: [agent(7, LONG, 'm')], ids: ['main'], problems: [['id=7', 'not a valid agent id', '…']] },
  { name: 'a 64-character name is kept, 65 is not', agents: [agent(7, 'b'.repeat(64), 'm'), agent(8, 'c'.repeat(65), 'm')], ids: ['b'.repeat(64), 'main'], problems: [['id=8', 'not a valid agent id']] },
  { name: 'an empty name', agents: [agent(7, '', 'm')], ids: ['main'], problems: [['id=7', '(name "")', 'not a valid agent id']] },
  { name: 'a NULL name', agents: [agent(7, null, 'm')], ids: ['main'], problems: [['id=7', '(name null)', 'not a valid agent id']] },
  { name: 'a non-text name', agents: [agent(7, 12, 'm')], ids: ['main'], problems: [['id=7', 'not a valid agent id']] },
  { name: 'a row without a serial id is named by its name', agents: [{ name: 'bad name', model: 'm' }], ids: ['main'], problems: [['agents row name="bad name"', 'not a valid agent id']] },
  {
    name: 'duplicate ids after normalisation: the lowest serial id is kept',
    agents: [agent(9, ' MAIN ', 'other/model'), agent(4, 'Helper', 'h/first'), agent(3, 'helper', 'h/kept')],
    ids: ['helper', 'main'],
    models: { main: CONTROL.model as string, helper: 'h/kept' },
    problems: [['id=9', '" MAIN "', 'agent id "main" is already used by', 'id=1', 'skipped'], ['id=4', '"Helper"', 'already used by', 'id=3']],
  },

  // ── agents: arrays ──
  {
    name: 'NULL and empty elements in fallback_models',
    agents: [agent(7, 'writer', 'p', { fallback_models: ['f1', null, 'f2', '  ', 'f1'] })],
    ids: ['main', 'writer'],
    models: { writer: { primary: 'p', fallbacks: ['f1', 'f2'] } },
    problems: [['id=7', 'fallback_models[2] is NULL', 'dropped'], ['id=7', 'fallback_models[4]', 'not valid']],
  },
  { name: 'fallback_models all NULL → plain string model', agents: [agent(7, 'writer', 'p', { fallback_models: [null] })], ids: ['main', 'writer'], models: { writer: 'p' }, problems: [['id=7', 'fallback_models[1] is NULL']] },
  { name: 'fallback_models empty → plain string model', agents: [agent(7, 'writer', 'p', { fallback_models: [] })], ids: ['main', 'writer'], models: { writer: 'p' }, problems: 'none' },
  { name: 'fallback_models keeps priority order', agents: [agent(7, 'writer', 'p', { fallback_models: ['z/last', 'a/first'] })], ids: ['main', 'writer'], models: { writer: { primary: 'p', fallbacks: ['z/last', 'a/first'] } }, problems: 'none' },
  { name: 'fallback_models not an array', agents: [agent(7, 'writer', 'p', { fallback_models: 'f1' })], ids: ['main', 'writer'], models: { writer: 'p' }, problems: [['id=7', 'fallback_models is not an array']] },
  {
    name: 'NULL and invalid elements in allowed_subagents',
    agents: [agent(7, 'writer', 'p', { allowed_subagents: ['Main', null, '../etc', ' * ', 'critic', 'main'] })],
    ids: ['main', 'writer'],
    allow: { writer: ['*', 'critic', 'main'], main: null },
    problems: [['id=7', 'allowed_subagents[2] is NULL'], ['id=7', 'allowed_subagents[3]', '"../etc"', 'not valid']],
  },
  { name: 'allowed_subagents with only NULL → no subagents key', agents: [agent(7, 'writer', 'p', { allowed_subagents: [null] })], ids: ['main', 'writer'], allow: { writer: null }, problems: [['id=7', 'allowed_subagents[1] is NULL']] },

  // ── agents: default, instance_type, empty roster ──
  {
    name: 'several is_default: only the first by id keeps it',
    agents: [agent(7, 'zeta', 'm', { is_default: true }), agent(8, 'alpha', 'm', { is_default: true }), agent(9, 'beta', 'm', { is_default: true })],
    ids: ['alpha', 'beta', 'main', 'zeta'],
    defaults: ['alpha'],
    problems: [['3 rows have is_default', 'alpha, beta, zeta', 'only "alpha"']],
  },
  { name: "is_default that is not boolean (e.g. 't' from a text view) is warned and false", agents: [agent(7, 'writer', 'm', { is_default: 't' })], ids: ['main', 'writer'], defaults: [], problems: [['id=7', 'is_default is not boolean ("t")', 'treated as false']] },
  { name: 'is_default NULL is false without a problem', agents: [agent(7, 'writer', 'm', { is_default: null })], ids: ['main', 'writer'], defaults: [], problems: 'none' },
  { name: "instance_type 'peer' is left out silently", agents: [agent(7, 'peer1', 'm', { instance_type: 'peer' })], ids: ['main'], problems: 'none' },
  { name: "instance_type 'observer' (any other) is left out silently", agents: [agent(7, 'obs', 'm', { instance_type: 'observer' })], ids: ['main'], problems: 'none' },
  { name: "instance_type ' Subagent ' is exported", agents: [agent(7, 'sub', 'm', { instance_type: ' Subagent ' })], ids: ['main', 'sub'], problems: 'none' },
  { name: 'instance_type NULL is exported (treated as a missing column)', agents: [agent(7, 'nulltype', 'm', { instance_type: null })], ids: ['main', 'nulltype'], problems: 'none' },
  { name: "a 'peer' with a bad name is left out without a problem", agents: [agent(7, '../peer', null, { instance_type: 'peer' })], ids: ['main'], problems: 'none' },
];

/** The roster of a rendered file, whatever its shape. */
function readRoster(text: string, format: RosterFormat, layout: Layout) {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const agents = (layout === 'root' ? parsed.agents : parsed) as Record<string, unknown>;
  const byId = new Map<string, Record<string, unknown>>();
  if (format === 'entries') {
    for (const [id, body] of Object.entries(agents.entries as Record<string, Record<string, unknown>>)) byId.set(id, body);
  } else {
    for (const item of agents.list as Record<string, unknown>[]) byId.set(item.id as string, item);
  }
  return { agents, byId, ids: [...byId.keys()] };
}

describe('bad input through renderSnapshot', () => {
  it('has a corpus of at least 30 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of CASES) {
    describe(c.name, () => {
      const snapshot: Snapshot = { agents: [CONTROL, ...(c.agents ?? [])], systemConfig: c.system ?? [], columns: COLUMNS };

      it('can report exactly the expected problems', () => {
        const { problems } = renderSnapshot(snapshot, { format: 'entries', layout: 'root' });
        if (c.problems === 'none') {
          expect(problems).toEqual([]);
          return;
        }
        expect(problems).toHaveLength(c.problems.length);
        for (const parts of c.problems) {
          const match = problems.find((p) => parts.every((s) => p.message.includes(s)));
          expect(match, `a problem containing ${JSON.stringify(parts)} in ${JSON.stringify(problems.map((p) => p.message))}`).toBeDefined();
        }
        expect(new Set(problems.map((p) => p.key)).size).toBe(problems.length);
      });

      for (const format of FORMATS) {
        for (const layout of LAYOUTS) {
          it(`can render a file the host accepts (${format}, ${layout}) with the expected roster`, () => {
            const rendered = renderSnapshot(snapshot, { format, layout });
            expect(checkForHost(rendered.text, format, layout)).toEqual([]);
            const { agents, byId, ids } = readRoster(rendered.text, format, layout);
            // The keyed roster puts the default agent first (2026.8.2 reports the first entry as defaultId).
            const defaultFirst = format === 'entries' && c.defaults?.length ? [c.defaults[0]!, ...c.ids.filter((id) => id !== c.defaults![0])] : c.ids;
            expect(ids).toEqual(defaultFirst);
            expect(rendered.agentCount).toBe(c.ids.length);
            for (const [id, model] of Object.entries(c.models ?? {})) expect(byId.get(id)?.model).toEqual(model);
            for (const [id, allow] of Object.entries(c.allow ?? {})) {
              if (allow === null) expect(byId.get(id)).not.toHaveProperty('subagents');
              else expect(byId.get(id)?.subagents).toEqual({ allowAgents: allow });
            }
            // On ≥ 2026.8 (entries) the default agent is named under agents.defaults (docs/design.md §10).
            const { systemAgent, heartbeat, authInheritance, ...defaults } = (agents.defaults ?? {}) as Record<string, unknown>;
            const named = format === 'entries' && c.defaults?.length ? { agentId: c.defaults[0] } : undefined;
            expect(systemAgent).toEqual(named);
            expect(heartbeat).toEqual(named);
            expect(authInheritance).toEqual(named && c.defaults![0] !== 'main' ? named : undefined);
            if (c.subagentDefaults === undefined) expect(defaults).toEqual({});
            else expect(defaults).toEqual({ subagents: c.subagentDefaults });
            if (format === 'list') {
              const marked = [...byId.entries()].filter(([, a]) => a.default === true).map(([id]) => id);
              if (c.defaults) expect(marked).toEqual(c.defaults);
              else expect(marked).toEqual([]);
            } else {
              for (const body of byId.values()) expect(body).not.toHaveProperty('default');
              if (ids.length > 1) expect(agents.ownership).toBe('explicit');
              else expect(agents).not.toHaveProperty('ownership');
            }
          });
        }
      }
    });
  }

  it('can render zero agents as an empty roster the host accepts, without problems', () => {
    for (const format of FORMATS) {
      for (const layout of LAYOUTS) {
        const snapshot: Snapshot = { agents: [agent(2, 'p', 'm', { instance_type: 'peer' })], systemConfig: [], columns: COLUMNS };
        const rendered = renderSnapshot(snapshot, { format, layout });
        expect(rendered.problems).toEqual([]);
        expect(rendered.agentCount).toBe(0);
        expect(checkForHost(rendered.text, format, layout)).toEqual([]);
        const { agents, ids } = readRoster(rendered.text, format, layout);
        expect(ids).toEqual([]);
        expect(agents).not.toHaveProperty('ownership');
        expect(JSON.parse(rendered.text)).toEqual(layout === 'root' ? { agents: format === 'entries' ? { entries: {} } : { list: [] } } : format === 'entries' ? { entries: {} } : { list: [] });
      }
    }
  });

  it('can render a snapshot with no rows at all', () => {
    const rendered = renderSnapshot({ agents: [], systemConfig: [], columns: [] }, { format: 'list', layout: 'root' });
    expect(rendered.text).toBe('{\n  "agents": {\n    "list": []\n  }\n}\n');
    expect(rendered.problems).toEqual([]);
  });
});

describe('the pure pieces under renderSnapshot', () => {
  it.each([
    ['Main', 'main'],
    ['  ops-2_b ', 'ops-2_b'],
    ['9lives', '9lives'],
    ['../x', undefined],
    ['a b', undefined],
    ['', undefined],
    ['   ', undefined],
    [null, undefined],
    [undefined, undefined],
    [7, undefined],
    ['é', undefined],
    ['x'.repeat(64), 'x'.repeat(64)],
    ['x'.repeat(65), undefined],
  ])('can normalise the agent name %j to %j', (raw, expected) => {
    expect(normalizeAgentId(raw)).toBe(expected);
  });

  it('can key problems by row, so the same bad row keeps the same key across reads', () => {
    const rows = [agent(7, '../x', 'm'), agent(8, 'ok', null)];
    const first = rowsToAgents(rows).problems.map((p: Problem) => p.key);
    const second = rowsToAgents([...rows].reverse()).problems.map((p: Problem) => p.key);
    expect(first).toHaveLength(2);
    expect(new Set(second)).toEqual(new Set(first));
    const other = rowsToAgents([agent(9, '../x', 'm')]).problems.map((p: Problem) => p.key);
    expect(first).not.toContain(other[0]);
  });

  it('can whitelist the keys of docs/design.md §3 and the other subagent defaults the hosts accept (issue 12)', () => {
    expect(Object.keys(SYSTEM_CONFIG_RULES).sort()).toEqual([
      'announce_timeout_ms', 'archive_after_minutes', 'delegation_mode', 'max_children_per_agent', 'max_concurrent_subagents',
      'max_spawn_depth', 'require_agent_id', 'run_timeout_seconds', 'subagent_model', 'subagent_thinking', 'thinking_default',
    ]);
    const all = systemConfigToDefaults([setting('max_spawn_depth', '2'), setting('max_concurrent_subagents', '3'), setting('max_children_per_agent', '4')]);
    expect(all).toEqual({ defaults: { subagents: { maxSpawnDepth: 2, maxConcurrent: 3, maxChildrenPerAgent: 4 } }, problems: [] });
  });

  it('can leave defaults empty when no key is usable', () => {
    expect(systemConfigToDefaults([setting('max_spawn_depth', 'x')]).defaults).toEqual({});
  });
});

/** A small seeded PRNG, so a failing shuffle can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('determinism', () => {
  const agents: AgentRow[] = [
    CONTROL,
    agent(2, 'zulu', 'z/m', { fallback_models: ['z/f2', 'z/f1'], allowed_subagents: ['main', 'alpha', '*'] }),
    agent(3, 'Alpha', 'a/m', { is_default: true }),
    agent(4, 'mike', 'm/m', { is_default: true, allowed_subagents: ['zulu', 'alpha'] }),
    agent(5, 'alpha', 'dup/m'),
    agent(6, 'bad name', 'x'),
    agent(7, 'peer', 'p', { instance_type: 'peer' }),
    agent(8, 'nomodel', null),
    agent(9, 'echo', 'e/m', { fallback_models: [null, 'e/f'] }),
  ];
  const system: SystemConfigRow[] = [
    setting('max_children_per_agent', '50'),
    setting('max_spawn_depth', '2'),
    setting('max_concurrent_subagents', '3'),
    setting('unknown', 'x', 'text'),
  ];

  for (const format of FORMATS) {
    for (const layout of LAYOUTS) {
      it(`can render shuffled rows to byte-identical text (${format}, ${layout})`, () => {
        const reference = renderSnapshot({ agents, systemConfig: system, columns: COLUMNS }, { format, layout });
        const random = mulberry32(42);
        for (let i = 0; i < 25; i += 1) {
          const shuffled = renderSnapshot(
            { agents: shuffle(agents, random), systemConfig: shuffle(system, random), columns: COLUMNS },
            { format, layout },
          );
          expect(shuffled.text).toBe(reference.text);
          expect(new Set(shuffled.problems.map((p) => p.key))).toEqual(new Set(reference.problems.map((p) => p.key)));
        }
        expect(checkForHost(reference.text, format, layout)).toEqual([]);
        const { ids, byId } = readRoster(reference.text, format, layout);
        expect(ids).toEqual(['alpha', 'echo', 'main', 'mike', 'zulu']);
        expect(byId.get('alpha')?.model).toBe('a/m');
        expect(byId.get('zulu')?.subagents).toEqual({ allowAgents: ['*', 'alpha', 'main'] });
        expect(byId.get('mike')?.subagents).toEqual({ allowAgents: ['alpha', 'zulu'] });
        expect(byId.get('zulu')?.model).toEqual({ primary: 'z/m', fallbacks: ['z/f2', 'z/f1'] });
      });
    }
  }

  it('can end the text with exactly one newline and indent by 2 spaces, keys in a fixed order', () => {
    const { text } = renderSnapshot({ agents, systemConfig: system, columns: COLUMNS }, { format: 'list', layout: 'root' });
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.endsWith('\n\n')).toBe(false);
    expect(text).toBe(`${JSON.stringify(JSON.parse(text), null, 2)}\n`);
    const lines = text.split('\n');
    expect(lines[1]).toBe('  "agents": {');
    expect(lines[2]).toBe('    "defaults": {');
    for (const line of lines) expect(line.match(/^ */)![0].length % 2).toBe(0);
    expect(text).not.toContain('\t');
    const parsed = JSON.parse(text) as { agents: { list: Record<string, unknown>[]; defaults: { subagents: Record<string, number> } } };
    expect(Object.keys(parsed.agents)).toEqual(['defaults', 'list']);
    expect(Object.keys(parsed.agents.defaults.subagents)).toEqual(['maxSpawnDepth', 'maxConcurrent', 'maxChildrenPerAgent']);
    expect(parsed.agents.defaults.subagents.maxChildrenPerAgent).toBe(20);
    expect(Object.keys(parsed.agents.list.find((a) => a.id === 'alpha')!)).toEqual(['id', 'default', 'model']);
    expect(Object.keys(parsed.agents.list.find((a) => a.id === 'mike')!)).toEqual(['id', 'model', 'subagents']);

    const entries = JSON.parse(renderSnapshot({ agents, systemConfig: system, columns: COLUMNS }, { format: 'entries', layout: 'section' }).text) as Record<string, unknown>;
    expect(Object.keys(entries)).toEqual(['defaults', 'ownership', 'entries']);
  });
});

// ── Hostile values (issue 10 item 4, issue 11 items 5 and 6) ──────────────────────────────────────
// Whatever pg returns or a view computes: no coercion may throw, every bad value is warned naming
// the row and the column, control characters never reach a message raw, and the rest of the
// roster is written as if the bad row were not there.

/** Parsed as pg parses json/jsonb: own data properties, whatever their names. */
const jsonb = (text: string): unknown => JSON.parse(text);

const HOSTILE: [string, unknown][] = [
  ['jsonb {"toString": 0}', jsonb('{"toString": 0}')],
  ['jsonb {"valueOf": 0, "toString": 0}', jsonb('{"valueOf": 0, "toString": 0}')],
  ['jsonb {"toJSON": 0, "toString": "x"}', jsonb('{"toJSON": 0, "toString": "x"}')],
  ['jsonb {"__proto__": {"toString": 0}}', jsonb('{"__proto__": {"toString": 0}}')],
  ['jsonb {"constructor": 0, "length": 1e9}', jsonb('{"constructor": 0, "length": 1e9}')],
  ['an object without a prototype', Object.create(null) as unknown],
  ['a jsonb array of hostile objects', jsonb('[{"toString": 0}, {"valueOf": 0}]')],
  ['a nested array with NULLs', [['a', null], [null], null]],
  ['a Date', new Date(0)],
  ['an invalid Date', new Date(Number.NaN)],
  ['a Buffer (bytea)', Buffer.from('main')],
  ['a bigint', 12n],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['-0', -0],
  ['false', false],
  ['a 1 MiB string', 'x'.repeat(1 << 20)],
  ['a string with NUL', 'a\u0000b'],
  ['a string with a newline and an ANSI escape', 'evil\n\u001b[31mred'],
  ['a string with C1 CSI, U+2028 and a bidi override', 'a\u009b31mb\u2028c\u202ed'],
];

/** No raw control character, line separator or bidi override in a log line. */
const UNSAFE_IN_LOG = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** A good agent beside the control, so "the rest of the roster" includes lists and subagents. */
const HELPER: AgentRow = agent(2, 'helper', 'h/primary', { fallback_models: ['h/f1', 'h/f2'], allowed_subagents: ['main'] });
const HELPER_BODY = { model: { primary: 'h/primary', fallbacks: ['h/f1', 'h/f2'] }, subagents: { allowAgents: ['main'] } };

type Outcome = 'exported' | 'not exported';
/** What the row `writer` (id 7, model 'p') becomes when one column holds the hostile value. */
const COLUMN_RULES: { column: string; outcome: (v: unknown) => Outcome; warned: (v: unknown) => boolean }[] = [
  { column: 'name', outcome: () => 'not exported', warned: () => true },
  { column: 'model', outcome: () => 'not exported', warned: () => true },
  { column: 'fallback_models', outcome: () => 'exported', warned: () => true },
  { column: 'allowed_subagents', outcome: () => 'exported', warned: () => true },
  // A text id (uuid, bigint as text) is legitimate; a finite number or a bigint too.
  { column: 'id', outcome: () => 'exported', warned: (v) => !(typeof v === 'string' || typeof v === 'bigint' || (typeof v === 'number' && Number.isFinite(v))) },
  { column: 'is_default', outcome: () => 'exported', warned: (v) => typeof v !== 'boolean' },
  // A text instance_type other than primary/subagent is left out silently (docs/design.md §3); anything else is bad data.
  { column: 'instance_type', outcome: () => 'not exported', warned: (v) => typeof v !== 'string' },
];

describe('hostile values from a view', () => {
  for (const { column, outcome, warned } of COLUMN_RULES) {
    describe(`in ${column}`, () => {
      it.each(HOSTILE)(`can render %s in ${column} without throwing, warn it, and keep the rest of the roster`, (_label, value) => {
        const row: AgentRow = { ...agent(7, 'writer', 'p'), [column]: value };
        const snapshot: Snapshot = { agents: [CONTROL, HELPER, row], systemConfig: [setting('max_spawn_depth', '2')], columns: COLUMNS };
        for (const format of FORMATS) {
          for (const layout of LAYOUTS) {
            const rendered = renderSnapshot(snapshot, { format, layout });
            expect(checkForHost(rendered.text, format, layout)).toEqual([]);
            const { agents, byId, ids } = readRoster(rendered.text, format, layout);
            const want = outcome(value) === 'exported' ? ['helper', 'main', 'writer'] : ['helper', 'main'];
            expect(ids).toEqual(want);
            expect(byId.get('main')?.model).toBe(CONTROL.model);
            expect(byId.get('helper')).toMatchObject(HELPER_BODY);
            if (want.includes('writer')) expect(byId.get('writer')?.model).toBe('p');
            expect(agents.defaults).toEqual({ subagents: { maxSpawnDepth: 2 } });

            for (const p of rendered.problems) {
              expect(p.message, 'a message with a raw control character').not.toMatch(UNSAFE_IN_LOG);
              expect(p.message.length, 'a bounded message').toBeLessThan(600);
              expect(p.key.length, 'a bounded key').toBeLessThan(600);
            }
            const about = rendered.problems.filter((p) => p.message.includes(column));
            if (warned(value)) {
              expect(about.length, JSON.stringify(rendered.problems.map((p) => p.message))).toBeGreaterThanOrEqual(1);
              // Named by its row: the serial id, or (for a bad id) the name.
              for (const p of about) expect(p.message).toMatch(column === 'id' ? /agents row id=.*\(name "writer"\)/ : /agents row id=7 /);
            } else {
              expect(rendered.problems).toEqual([]);
            }
          }
        }
      });
    });
  }

  it.each(HOSTILE)('can warn %s as an agent_system_config value, naming the key, and keep the other keys', (_label, value) => {
    const rendered = renderSnapshot(
      { agents: [CONTROL], systemConfig: [setting('max_spawn_depth', value), setting('max_children_per_agent', '4')], columns: COLUMNS },
      { format: 'entries', layout: 'root' },
    );
    expect(rendered.problems).toHaveLength(1);
    expect(rendered.problems[0]!.message).toContain('agent_system_config key "max_spawn_depth"');
    expect(rendered.problems[0]!.message).not.toMatch(UNSAFE_IN_LOG);
    expect(rendered.problems[0]!.message.length).toBeLessThan(600);
    expect(JSON.parse(rendered.text).agents.defaults).toEqual({ subagents: { maxChildrenPerAgent: 4 } });
  });

  it.each(HOSTILE)('can warn %s as an agent_system_config value_type, naming the key', (_label, value) => {
    const rendered = renderSnapshot(
      { agents: [CONTROL], systemConfig: [setting('max_spawn_depth', '3', value), setting('max_children_per_agent', '4')], columns: COLUMNS },
      { format: 'entries', layout: 'root' },
    );
    expect(rendered.problems).toHaveLength(1);
    expect(rendered.problems[0]!.message).toContain('agent_system_config key "max_spawn_depth": value_type');
    expect(rendered.problems[0]!.message).not.toMatch(UNSAFE_IN_LOG);
    expect(JSON.parse(rendered.text).agents.defaults).toEqual({ subagents: { maxChildrenPerAgent: 4 } });
  });

  it.each(HOSTILE)('can ignore %s as an agent_system_config key', (_label, value) => {
    const rendered = renderSnapshot(
      { agents: [CONTROL], systemConfig: [setting(value, '3'), setting('max_children_per_agent', '4')], columns: COLUMNS },
      { format: 'entries', layout: 'root' },
    );
    expect(rendered.problems).toEqual([]);
    expect(JSON.parse(rendered.text).agents.defaults).toEqual({ subagents: { maxChildrenPerAgent: 4 } });
  });

  it('can sort and name rows whose id and name are both hostile, deterministically', () => {
    const rows = HOSTILE.map(([, value], i) => agent(100 + i, value, 'm', { id: value }));
    const first = renderSnapshot({ agents: [CONTROL, ...rows], systemConfig: [], columns: COLUMNS }, { format: 'list', layout: 'root' });
    const again = renderSnapshot({ agents: [...rows].reverse().concat(CONTROL), systemConfig: [], columns: COLUMNS }, { format: 'list', layout: 'root' });
    expect(again.text).toBe(first.text);
    expect(readRoster(first.text, 'list', 'root').ids).toEqual(['main']);
    expect(new Set(again.problems.map((p) => p.key))).toEqual(new Set(first.problems.map((p) => p.key)));
    for (const p of first.problems) expect(p.message).not.toMatch(UNSAFE_IN_LOG);
  });

  it('can JSON-escape a name with a newline and an ANSI escape in every message about its row', () => {
    const { problems } = renderSnapshot({ agents: [CONTROL, agent(7, 'evil\n\u001b[31mname', 'm')], systemConfig: [], columns: COLUMNS }, { format: 'entries', layout: 'root' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('(name "evil\\n\\u001b[31mname")');
    expect(problems[0]!.message.split('\n')).toHaveLength(1);
  });

  it('can treat an over-long or control-character model as bad (the row is not exported)', () => {
    const rows = [agent(7, 'long', 'm'.repeat(5_000)), agent(8, 'ctrl', 'openai/gpt-5\u0000'), agent(9, 'newline', 'a\nb')];
    const { problems, text } = renderSnapshot({ agents: [CONTROL, ...rows], systemConfig: [], columns: COLUMNS }, { format: 'entries', layout: 'root' });
    expect(Object.keys(JSON.parse(text).agents.entries)).toEqual(['main']);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^agents row id=7 \(name "long"\): model is longer than 1024 characters; row not exported$/),
      expect.stringMatching(/^agents row id=8 \(name "ctrl"\): model "openai\/gpt-5\\u0000" contains control characters; row not exported$/),
      expect.stringMatching(/^agents row id=9 \(name "newline"\): model "a\\nb" contains control characters; row not exported$/),
    ]);
  });

  it('can accept Unicode names only when they are ASCII before lower-casing (the Kelvin sign is not a "k")', () => {
    expect(normalizeAgentId('\u212Aelvin')).toBeUndefined();
    expect(normalizeAgentId('KELVIN')).toBe('kelvin');
  });
});

// ── Bad data at scale (issue 11, item 5): linear work, lists cut to the cap, each problem warned once ──
describe('bad data at scale', () => {
  it('can render one row with an 80 000-element text[] and 20 000 rows with a NULL model, cut to the cap and warned once', () => {
    const huge = Array.from({ length: 80_000 }, (_, i) => `f/${i}`);
    const hugeIds = Array.from({ length: 80_000 }, (_, i) => `sub-${i}`);
    const nulls: (string | null)[] = Array.from({ length: 80_000 }, () => null);
    const rows: AgentRow[] = [
      CONTROL,
      agent(2, 'wide', 'w/primary', { fallback_models: huge, allowed_subagents: hugeIds }),
      agent(3, 'holes', 'h/primary', { fallback_models: nulls }),
      ...Array.from({ length: 20_000 }, (_, i) => agent(10 + i, `nomodel-${i}`, null)),
    ];
    const filter = makeProblemFilter();
    const started = performance.now();
    const rendered = renderSnapshot({ agents: rows, systemConfig: [], columns: COLUMNS }, { format: 'entries', layout: 'root' });
    const renderedMs = performance.now() - started;
    const warned = filter(rendered.problems);
    const firstMs = performance.now() - started;
    const again = filter(renderSnapshot({ agents: rows, systemConfig: [], columns: COLUMNS }, { format: 'entries', layout: 'root' }).problems);
    const totalMs = performance.now() - started;
    console.log(
      `bad data at scale: render ${renderedMs.toFixed(0)} ms, render + problem filter ${firstMs.toFixed(0)} ms, ` +
        `second resync ${(totalMs - firstMs).toFixed(0)} ms; ${rendered.problems.length} problems, ${warned.length} warned`,
    );

    const entries = JSON.parse(rendered.text).agents.entries as Record<string, { model: unknown; subagents?: { allowAgents: string[] } }>;
    expect(Object.keys(entries)).toEqual(['holes', 'main', 'wide']);
    expect(entries.wide!.model).toEqual({ primary: 'w/primary', fallbacks: huge.slice(0, MAX_LIST_ELEMENTS) });
    expect(entries.wide!.subagents!.allowAgents).toEqual(hugeIds.slice(0, MAX_LIST_ELEMENTS).sort());
    expect(entries.holes!.model).toBe('h/primary');
    expect(checkForHost(rendered.text, 'entries', 'root')).toEqual([]);

    // One problem per NULL model, one per cut list, ten NULL elements by name plus one count.
    const messages = rendered.problems.map((p) => p.message);
    expect(messages.filter((m) => m.includes('model is NULL'))).toHaveLength(20_000);
    expect(messages.filter((m) => m.includes('has 80000 elements; only the first 1000 are read'))).toEqual([
      'agents row id=2 (name "wide"): fallback_models has 80000 elements; only the first 1000 are read',
      'agents row id=2 (name "wide"): allowed_subagents has 80000 elements; only the first 1000 are read',
      'agents row id=3 (name "holes"): fallback_models has 80000 elements; only the first 1000 are read',
    ]);
    expect(messages.filter((m) => m.includes('(name "holes"): fallback_models['))).toHaveLength(MAX_ELEMENT_PROBLEMS);
    expect(messages).toContain(`agents row id=3 (name "holes"): fallback_models: ${MAX_LIST_ELEMENTS - MAX_ELEMENT_PROBLEMS} more invalid elements dropped (${MAX_LIST_ELEMENTS} in all)`);
    expect(rendered.problems).toHaveLength(20_000 + 3 + MAX_ELEMENT_PROBLEMS + 1);

    // Warned once: the first resync lists the first LISTED_PROBLEMS and counts the rest; the next one is silent.
    expect(warned).toHaveLength(LISTED_PROBLEMS + 1);
    expect(warned[LISTED_PROBLEMS]!.message).toMatch(new RegExp(`^${rendered.problems.length - LISTED_PROBLEMS} more new problems`));
    expect(again).toEqual([]);
  });

  it('can mark one default among 20 000 is_default rows and name a bounded few', () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => agent(i + 1, `d-${String(i).padStart(5, '0')}`, 'm', { is_default: true }));
    const { agents, problems } = rowsToAgents(rows);
    expect(agents.filter((a) => a.isDefault).map((a) => a.id)).toEqual(['d-00000']);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^agents: 20000 rows have is_default = true \(d-00000, d-00001, .*d-00009, … \(\+19990 more\)\); only "d-00000" is marked default$/);
    expect(problems[0]!.key.length).toBeLessThan(300);
  });
});
