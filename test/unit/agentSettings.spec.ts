import { describe, expect, it } from 'vitest';
import { isValidDuration } from '../../src/domain/agentSettings.js';
import { outsideFacts } from '../../src/domain/defaultAgent.js';
import { parseHostVersion } from '../../src/domain/hostProfile.js';
import { checkForHost } from '../../src/domain/hostRules.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { RowPolicy } from '../../src/domain/rowPolicy.js';
import { SYSTEM_CONFIG_RULES } from '../../src/domain/systemConfig.js';
import type { AgentRow, Problem, Snapshot } from '../../src/domain/types.js';

/**
 * Issue 12: every optional column of docs/design.md §10 and every bad value, table-driven, through the
 * same renderSnapshot the pipeline uses, on a keyed-roster host (2026.9.6) and a list host (2026.4.29).
 */

const NEW = parseHostVersion('2026.9.6')!;
const OLD = parseHostVersion('2026.4.29')!;
const COLUMNS = ['id', 'is_default', 'instance_type', 'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config', 'allowed_subagents'];

/** The control row every case has beside its own: always exported, never a problem. */
const MAIN: AgentRow = { id: 1, name: 'main', model: 'anthropic/claude-sonnet-4', instance_type: 'primary', is_default: true };
const row = (extra: AgentRow): AgentRow => ({ id: 7, name: 'ops', model: 'openai/gpt-5', instance_type: 'subagent', ...extra });

/**
 * A row policy that lets these cases' settings through and sets no heartbeat floor: the cases here are
 * about mapping and the host's rules; the default policy has its own spec (rowPolicy.spec.ts).
 */
const OPEN: RowPolicy = {
  rowSettings: ['identity', 'tools', 'name', 'workspace', 'banana', 'thinkingDefault', 'heartbeat', 'subagents', 'systemPromptOverride', 'cwd', 'params'],
  minHeartbeatEvery: '0',
};

function render(rows: AgentRow[], options: Partial<RenderOptions> = {}) {
  const withMain = rows.some((r) => r.name === 'main') ? rows : [MAIN, ...rows];
  const snapshot: Snapshot = { agents: withMain, systemConfig: [], columns: COLUMNS };
  const opts: RenderOptions = { format: 'entries', layout: 'section', version: NEW, policy: OPEN, ...options };
  const rendered = renderSnapshot(snapshot, opts);
  // Whatever the data, the file our rules check is one the host accepts.
  expect(checkForHost(rendered.text, opts.format, opts.layout, opts.version)).toEqual([]);
  const agents = JSON.parse(rendered.text) as { entries?: Record<string, Record<string, unknown>>; list?: Record<string, unknown>[]; defaults?: Record<string, unknown> };
  const byId = new Map<string, Record<string, unknown>>(
    agents.entries ? Object.entries(agents.entries) : (agents.list ?? []).map((a) => [a.id as string, a]),
  );
  return { agents, byId, problems: rendered.problems };
}

interface Case {
  name: string;
  row: AgentRow;
  /** The entry of "ops" without its model; null: not exported. */
  entry: Record<string, unknown> | null;
  /** Each problem is named by all its substrings; 'none': no problem at all. */
  problems: string[][] | 'none';
  version?: typeof NEW;
}

const cases: Case[] = [
  // status
  { name: "status 'active' is exported", row: row({ status: 'active' }), entry: {}, problems: 'none' },
  { name: "status ' Active ' (trimmed, any case) is exported", row: row({ status: ' Active ' }), entry: {}, problems: 'none' },
  { name: 'status NULL is exported', row: row({ status: null }), entry: {}, problems: 'none' },
  { name: "status 'inactive' is not exported, silently", row: row({ status: 'inactive' }), entry: null, problems: 'none' },
  { name: "status 'retired' (any other) is not exported, silently", row: row({ status: 'retired' }), entry: null, problems: 'none' },
  { name: 'status that is not text is warned and not exported', row: row({ status: 3 }), entry: null, problems: [['id=7', 'status is not text (number)', 'not exported']] },
  // heartbeat: the upstream plugin's published cases
  {
    name: 'TC-262-U-01: enabled with every, target, to → all three, in that order (TC-262-U-07)',
    row: row({ heartbeat_enabled: true, heartbeat_every: '5m', heartbeat_target: 'discord', heartbeat_to: 'channel:1234' }),
    entry: { heartbeat: { every: '5m', target: 'discord', to: 'channel:1234' } },
    problems: 'none',
  },
  { name: 'TC-262-U-02: disabled → no key (never heartbeat: false)', row: row({ heartbeat_enabled: false, heartbeat_every: '5m' }), entry: {}, problems: 'none' },
  { name: 'TC-262-U-03: enabled NULL → no key', row: row({ heartbeat_enabled: null, heartbeat_every: '5m' }), entry: {}, problems: 'none' },
  { name: 'TC-262-U-05: enabled with NULL target/to → {every} only', row: row({ heartbeat_enabled: true, heartbeat_every: '5m', heartbeat_target: null, heartbeat_to: null }), entry: { heartbeat: { every: '5m' } }, problems: 'none' },
  { name: 'enabled with empty target → left out silently', row: row({ heartbeat_enabled: true, heartbeat_every: '30s', heartbeat_target: ' ' }), entry: { heartbeat: { every: '30s' } }, problems: 'none' },
  { name: 'a composite duration (1h30m) is accepted', row: row({ heartbeat_enabled: true, heartbeat_every: '1h30m' }), entry: { heartbeat: { every: '1h30m' } }, problems: 'none' },
  { name: 'a bare number (minutes, as OpenClaw reads it) is accepted', row: row({ heartbeat_enabled: true, heartbeat_every: '10' }), entry: { heartbeat: { every: '10' } }, problems: 'none' },
  { name: 'enabled with every NULL → no key, warned (TC-262-U-05 emits {}; docs/design.md §10 says no key)', row: row({ heartbeat_enabled: true }), entry: {}, problems: [['id=7', 'heartbeat is enabled but heartbeat_every is NULL', 'no heartbeat exported']] },
  { name: 'enabled with a bad duration → no key, warned naming the row', row: row({ heartbeat_enabled: true, heartbeat_every: 'soon' }), entry: {}, problems: [['id=7 (name "ops")', 'heartbeat_every "soon" is not a duration', 'no heartbeat exported']] },
  { name: 'enabled with a duration in weeks → no key, warned', row: row({ heartbeat_enabled: true, heartbeat_every: '2w' }), entry: {}, problems: [['heartbeat_every "2w" is not a duration']] },
  { name: "heartbeat_enabled 'yes' (text) → no key, warned", row: row({ heartbeat_enabled: 'yes', heartbeat_every: '5m' }), entry: {}, problems: [['heartbeat_enabled is not boolean ("yes")']] },
  { name: 'a heartbeat_to with a newline is warned, escaped, and left out', row: row({ heartbeat_enabled: true, heartbeat_every: '5m', heartbeat_to: 'a\nb' }), entry: { heartbeat: { every: '5m' } }, problems: [['heartbeat_to "a\\nb" is not usable text']] },
  // thinking
  { name: "thinking 'high' → thinkingDefault", row: row({ thinking: 'high' }), entry: { thinkingDefault: 'high' }, problems: 'none' },
  { name: "thinking ' XHigh ' (trimmed, any case)", row: row({ thinking: ' XHigh ' }), entry: { thinkingDefault: 'xhigh' }, problems: 'none' },
  { name: 'thinking NULL → no key', row: row({ thinking: null }), entry: {}, problems: 'none' },
  { name: "an unknown thinking level ('banana') is warned and skipped, the row stays", row: row({ thinking: 'banana' }), entry: {}, problems: [['id=7', 'thinking "banana" is not a level this host accepts', 'thinkingDefault not exported']] },
  { name: "'ultra' on 2026.9.6 is a level", row: row({ thinking: 'ultra' }), entry: { thinkingDefault: 'ultra' }, problems: 'none', version: NEW },
  { name: "'ultra' on 2026.4.29 is not (its enum stops at max)", row: row({ thinking: 'ultra' }), entry: {}, problems: [['thinking "ultra" is not a level this host accepts (off, minimal, low, medium, high, xhigh, adaptive, max)']], version: OLD },
  // openclaw_config
  {
    name: 'openclaw_config identity and a tools profile reach the entry',
    row: row({ openclaw_config: { identity: { name: 'Ops', emoji: '🛠' }, tools: { profile: 'coding' } } }),
    entry: { identity: { name: 'Ops', emoji: '🛠' }, tools: { profile: 'coding' } },
    problems: 'none',
  },
  { name: 'openclaw_config that is an array is warned and ignored', row: row({ openclaw_config: [1, 2] }), entry: {}, problems: [['id=7', 'openclaw_config is not a JSON object (an array of 2 elements); ignored']] },
  { name: 'openclaw_config that is a string is warned and ignored', row: row({ openclaw_config: '{"name":"x"}' }), entry: {}, problems: [['openclaw_config is not a JSON object ("{\\"name\\":\\"x\\"}"); ignored']] },
  { name: 'openclaw_config that is a number is warned and ignored', row: row({ openclaw_config: 3 }), entry: {}, problems: [['openclaw_config is not a JSON object (3)']] },
  { name: 'openclaw_config null → nothing, silently', row: row({ openclaw_config: null }), entry: {}, problems: 'none' },
  { name: 'a JSON null inside openclaw_config means unset', row: row({ openclaw_config: { name: null, workspace: '/srv/ops' } }), entry: { workspace: '/srv/ops' }, problems: 'none' },
  {
    name: 'a key the host rejects (unknown) is left out alone, warned with row and key; the rest stays',
    row: row({ openclaw_config: { banana: 1, name: 'Ops' } }),
    entry: { name: 'Ops' },
    problems: [['id=7', 'openclaw_config.banana', 'rejects it', 'left out']],
  },
  {
    name: "thinkingDefault 'banana' in openclaw_config is left out alone",
    row: row({ openclaw_config: { thinkingDefault: 'banana', name: 'kept' } }),
    entry: { name: 'kept' },
    problems: [['id=7', 'openclaw_config.thinkingDefault', 'must be one of off', 'left out']],
  },
  {
    name: 'a bad heartbeat.every in openclaw_config is left out (heartbeat.every only)',
    row: row({ openclaw_config: { heartbeat: { every: 'often', target: 'last' } } }),
    entry: { heartbeat: { target: 'last' } },
    problems: [['openclaw_config.heartbeat.every', 'is not a duration', 'left out']],
  },
  {
    name: 'a key the entry never accepts on 2026.9.6 (default) is not copied: the roster sets it',
    row: row({ openclaw_config: { default: true, id: 'other', name: 'Ops' } }),
    entry: { name: 'Ops' },
    problems: [['openclaw_config.default (the roster sets it)'], ['openclaw_config.id (the roster sets it)']],
  },
  {
    name: 'a jsonb key that collides with a column: the column wins, warned once',
    row: row({ thinking: 'high', openclaw_config: { thinkingDefault: 'low', name: 'Ops' } }),
    entry: { name: 'Ops', thinkingDefault: 'high' },
    problems: [['id=7', 'openclaw_config.thinkingDefault is also set by the thinking column; the column wins']],
  },
  {
    name: 'model in openclaw_config collides with the model column',
    row: row({ openclaw_config: { model: 'x/other' } }),
    entry: {},
    problems: [['openclaw_config.model is also set by the model column']],
  },
  {
    name: 'heartbeat from columns and openclaw_config deep-merge; the column wins on every',
    row: row({ heartbeat_enabled: true, heartbeat_every: '5m', openclaw_config: { heartbeat: { every: '1m', activeHours: { start: '08:00', end: '20:00' } } } }),
    entry: { heartbeat: { every: '5m', activeHours: { start: '08:00', end: '20:00' } } },
    problems: [['openclaw_config.heartbeat.every is also set by the heartbeat_every column']],
  },
  {
    name: 'subagents from allowed_subagents and openclaw_config deep-merge without a collision',
    row: row({ allowed_subagents: ['main'], openclaw_config: { subagents: { delegationMode: 'prefer' } } }),
    entry: { subagents: { delegationMode: 'prefer', allowAgents: ['main'] } },
    problems: 'none',
  },
  {
    name: 'a list-only key on 2026.4.29 (systemPromptOverride) is accepted there',
    row: row({ openclaw_config: { systemPromptOverride: 'be brief' } }),
    entry: { systemPromptOverride: 'be brief' },
    problems: 'none',
    version: OLD,
  },
  {
    name: 'a 2026.9-only key (cwd) on 2026.4.29 is left out alone',
    row: row({ openclaw_config: { cwd: '/srv', name: 'Ops' } }),
    entry: { name: 'Ops' },
    problems: [['openclaw_config.cwd', 'is not an accepted key', 'left out']],
    version: OLD,
  },
  {
    name: 'a key with a newline and an ANSI escape is named escaped, on one line',
    row: row({ openclaw_config: { 'x\n\u001b[31m': 1 } }),
    entry: {},
    problems: [['openclaw_config["x\\n\\u001b[31m"]']],
  },
  {
    name: 'openclaw_config nested deeper than 16 levels is ignored whole, warned',
    row: row({ openclaw_config: { params: JSON.parse(`${'{"a":'.repeat(20)}1${'}'.repeat(20)}`) as unknown } }),
    entry: {},
    problems: [['openclaw_config is nested deeper than 16 levels']],
  },
  // instance_type and is_default
  { name: "a 'peer' row marked default is exported (the upstream function's own row)", row: row({ instance_type: 'peer', is_default: true }), entry: {}, problems: [['2 rows have is_default']] },
  { name: "a 'peer' row not marked default is not exported", row: row({ instance_type: 'peer', is_default: false }), entry: null, problems: 'none' },
];

describe('agent settings from the optional columns (docs/design.md §10)', () => {
  for (const c of cases) {
    it(`can map: ${c.name}`, () => {
      for (const format of ['entries', 'list'] as const) {
        const version = c.version ?? (format === 'entries' ? NEW : OLD);
        if (c.version && (format === 'entries') !== (c.version === NEW)) continue;
        const { byId, problems } = render([c.row], { format, version });
        const ops = byId.get('ops');
        if (c.entry === null) expect(ops).toBeUndefined();
        else {
          const { model, id: _id, default: _default, ...rest } = ops ?? {};
          expect(model).toBe('openai/gpt-5');
          expect(rest).toEqual(c.entry);
          // Key order is part of the bytes: model first, the rest sorted; heartbeat keeps every, target, to.
          expect(Object.keys(ops!).filter((k) => k !== 'id' && k !== 'default')).toEqual(['model', ...Object.keys(c.entry).sort()]);
        }
        expect(byId.get('main')?.model).toBe('anthropic/claude-sonnet-4');
        assertProblems(problems, c.problems);
      }
    });
  }

  it('never copies __proto__, constructor or prototype, at any depth, and pollutes nothing', () => {
    const config = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": {"x": 1}, "tools": {"prototype": {"y": 1}, "profile": "coding", "__proto__": {"z": 1}}}') as unknown;
    const { byId, problems } = render([row({ openclaw_config: config })]);
    expect(byId.get('ops')).toEqual({ model: 'openai/gpt-5', tools: { profile: 'coding' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const messages = problems.map((p) => p.message);
    for (const path of ['openclaw_config.__proto__', 'openclaw_config.constructor', 'openclaw_config.tools.prototype', 'openclaw_config.tools.__proto__']) {
      expect(messages.some((m) => m.includes(`${path} (a blocked key)`)), `${path} in ${JSON.stringify(messages)}`).toBe(true);
    }
  });

  it('can keep the problem keys stable, so each bad value is warned once across resyncs', () => {
    const rows = [row({ heartbeat_enabled: true, heartbeat_every: 'soon', thinking: 'banana', openclaw_config: { banana: 1, thinkingDefault: 'low' } })];
    const first = render(rows).problems.map((p) => p.key);
    const second = render(rows).problems.map((p) => p.key);
    expect(first).toEqual(second);
    expect(new Set(first).size).toBe(first.length);
  });
});

describe('the default agent (docs/design.md §10)', () => {
  const helper = row({ name: 'helper', id: 2 });

  it('can name the default agent under agents.defaults on ≥ 2026.8 and put its entry first', () => {
    const zed: AgentRow = { ...MAIN, id: 3, name: 'zed', is_default: true };
    const { agents, problems } = render([{ ...MAIN, is_default: false }, helper, zed]);
    expect(Object.keys(agents.entries!)).toEqual(['zed', 'helper', 'main']);
    expect(agents.defaults).toEqual({ systemAgent: { agentId: 'zed' }, heartbeat: { agentId: 'zed' }, authInheritance: { agentId: 'zed' } });
    for (const entry of Object.values(agents.entries!)) expect(entry).not.toHaveProperty('default');
    assertProblems(problems, 'none');
  });

  it('can leave the heartbeat owner out when an agent has its own heartbeat, and authInheritance out for "main"', () => {
    const { agents } = render([row({ heartbeat_enabled: true, heartbeat_every: '5m' })]);
    expect(agents.defaults).toEqual({ systemAgent: { agentId: 'main' } });
  });

  it('can leave out every target openclaw.json already sets (is_default with systemAgent set there)', () => {
    const outside = outsideFacts({ agents: { defaults: { systemAgent: { agentId: 'ops' }, heartbeat: { every: '30m' } } } });
    const { agents } = render([helper], { outside });
    expect(agents.defaults).toBeUndefined();
    expect(Object.keys(agents.entries!)[0]).toBe('main');
  });

  it('can add the session store owner when openclaw.json shares one store', () => {
    const { agents } = render([helper], { outside: outsideFacts({ session: { store: '/var/lib/sessions.json' } }) });
    expect(agents.defaults?.sessionStore).toEqual({ agentId: 'main' });
    const perAgent = render([helper], { outside: outsideFacts({ session: { store: '/var/{agentId}/sessions.json' } }) });
    expect(perAgent.agents.defaults?.sessionStore).toBeUndefined();
  });

  it('keeps default: true and sorted ids on the list hosts (< 2026.8), with no targets', () => {
    const { agents } = render([helper, { ...MAIN, id: 3, name: 'alpha', is_default: false }], { format: 'list', version: OLD });
    expect(agents.list!.map((a) => a.id)).toEqual(['alpha', 'helper', 'main']);
    expect(agents.list!.find((a) => a.id === 'main')?.default).toBe(true);
    expect(agents.defaults).toBeUndefined();
  });
});

describe('the system-config whitelist per host version', () => {
  const setting = (key: string, value: string, value_type = 'integer') => ({ key, value, value_type });
  const defaultsOf = (rows: { key: string; value: string; value_type: string }[], version = NEW) => {
    const snapshot: Snapshot = { agents: [MAIN], systemConfig: rows, columns: COLUMNS };
    const rendered = renderSnapshot(snapshot, { format: 'list', layout: 'section', version });
    expect(checkForHost(rendered.text, 'list', 'section', version)).toEqual([]);
    return { defaults: (JSON.parse(rendered.text) as { defaults?: unknown }).defaults, problems: rendered.problems };
  };

  it('can write every key each host accepts, in the table order', () => {
    const rows = [
      setting('archive_after_minutes', '0'),
      setting('announce_timeout_ms', '1500'),
      setting('run_timeout_seconds', '600'),
      setting('require_agent_id', 'true', 'boolean'),
      setting('subagent_model', 'openai/gpt-5-mini', 'text'),
      setting('subagent_thinking', 'low', 'text'),
      setting('delegation_mode', 'Prefer', 'text'),
      setting('thinking_default', 'medium', 'text'),
      setting('max_spawn_depth', '2'),
    ];
    const modern = defaultsOf(rows);
    expect(modern.problems).toEqual([]);
    expect(JSON.stringify(modern.defaults)).toBe(JSON.stringify({
      thinkingDefault: 'medium',
      subagents: { maxSpawnDepth: 2, archiveAfterMinutes: 0, runTimeoutSeconds: 600, announceTimeoutMs: 1500, requireAgentId: true, model: 'openai/gpt-5-mini', thinking: 'low', delegationMode: 'prefer' },
    }));
    // 2026.4.29 has no subagents.delegationMode: that key alone is left out, with a warning.
    const old = defaultsOf(rows, OLD);
    expect((old.defaults as { subagents: Record<string, unknown> }).subagents).not.toHaveProperty('delegationMode');
    expect((old.defaults as { subagents: Record<string, unknown> }).subagents.runTimeoutSeconds).toBe(600);
    assertProblems(old.problems, [['"delegation_mode"', 'OpenClaw 2026.4.29 does not accept agents.defaults.subagents.delegationMode']]);
  });

  it.each([
    ['announce_timeout_ms', '0', 'integer', 'out of range (>= 1)'],
    ['archive_after_minutes', '-1', 'integer', 'out of range (>= 0)'],
    ['require_agent_id', 'maybe', 'boolean', 'is not a boolean'],
    ['require_agent_id', 'true', 'integer', 'does not match the key\'s type (boolean)'],
    ['delegation_mode', 'always', 'text', 'is not one of suggest, prefer'],
    ['thinking_default', 'banana', 'text', 'is not one of off, minimal'],
    ['subagent_model', '   ', 'text', 'is not non-empty text'],
  ])('can warn and skip %s = %j (%s)', (key, value, type, message) => {
    const { defaults, problems } = defaultsOf([setting(key, value, type)]);
    expect(defaults).toBeUndefined();
    assertProblems(problems, [[`"${key}"`, message]]);
  });

  it('has one rule per key, each with a property the hosts list under agents.defaults', () => {
    for (const rule of Object.values(SYSTEM_CONFIG_RULES)) expect(typeof rule.property).toBe('string');
  });
});

describe('isValidDuration (OpenClaw parseDurationMs, default unit minutes)', () => {
  it.each(['500ms', '30s', '5m', '2h', '1d', '1h30m', '10', '1.5h', ' 5M '])('accepts %j', (d) => expect(isValidDuration(d)).toBe(true));
  it.each(['', ' ', 'soon', '5 m', '2w', '-5m', 'm5', '1h-30m', '9'.repeat(400)])('refuses %j', (d) => expect(isValidDuration(d)).toBe(false));
});

function assertProblems(problems: Problem[], expected: string[][] | 'none'): void {
  const messages = problems.map((p) => p.message);
  if (expected === 'none') {
    expect(messages).toEqual([]);
    return;
  }
  for (const parts of expected) {
    expect(messages.some((m) => parts.every((s) => m.includes(s))), `a problem containing ${JSON.stringify(parts)} in ${JSON.stringify(messages)}`).toBe(true);
  }
  for (const m of messages) expect(m).not.toMatch(/[\n\r\u001b]/);
}

describe('doctor helpers for the agents source and the default agent', () => {
  it('can say which optional columns are used and what each enables', async () => {
    const { describeAgentColumns } = await import('../../src/domain/agentColumns.js');
    const lines = describeAgentColumns(['thinking', 'status']);
    expect(lines).toContain('used    thinking: thinkingDefault');
    expect(lines).toContain("used    status: only NULL or 'active' rows are exported");
    expect(lines.some((l) => l.startsWith('missing openclaw_config:'))).toBe(true);
  });

  it('can advise on talk.agentId and bindings for a multi-agent roster, and not for one agent', async () => {
    const { rootTargetsAdvice } = await import('../../src/domain/defaultAgent.js');
    expect(rootTargetsAdvice({}, 3, 'ops')).toEqual([
      'openclaw.json sets no talk.agentId: with 3 agents, talk has no owner (OpenClaw\'s migration would set "ops")',
      'openclaw.json has no bindings: channels are not bound to an agent (OpenClaw\'s migration binds them to "ops")',
    ]);
    expect(rootTargetsAdvice({ talk: { agentId: 'ops' }, bindings: [] }, 3, 'ops')).toEqual([]);
    expect(rootTargetsAdvice({}, 1, 'ops')).toEqual([]);
  });
});
