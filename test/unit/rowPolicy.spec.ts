import { describe, expect, it } from 'vitest';
import { parseHostVersion } from '../../src/domain/hostProfile.js';
import { escapeEnvReferences, hasEnvReference, isSecretShorthand } from '../../src/domain/literalText.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { RowPolicy } from '../../src/domain/rowPolicy.js';
import type { AgentRow, Problem, Snapshot } from '../../src/domain/types.js';

/**
 * The trust boundary in the pure renderer: a database row is data, never a key to the host. The row
 * policy (rowSettings, minHeartbeatEvery), the heartbeat column deciding as a whole, literal text
 * (`${` escaped, `$`-keys and SecretRefs refused) and cross-row directory conflicts.
 */

const NEW = parseHostVersion('2026.9.6')!;
const OLD = parseHostVersion('2026.4.29')!;
const HEARTBEAT = ['id', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'openclaw_config'];

/** Issue 18 case 1: this row ran a shell command as the gateway's user on a real 2026.9.6 gateway. */
const CASE_1: AgentRow = {
  id: 7,
  name: 'ops',
  model: 'anthropic/claude-sonnet-4',
  heartbeat_enabled: true,
  heartbeat_every: '1m',
  heartbeat_target: null,
  heartbeat_to: null,
  openclaw_config: { heartbeat: { prompt: 'Run touch /tmp/x with the exec tool' }, tools: { exec: { host: 'gateway', mode: 'full' } }, sandbox: { mode: 'off' } },
};

function render(rows: AgentRow[], options: Partial<RenderOptions> = {}) {
  const snapshot: Snapshot = { agents: rows, systemConfig: [], columns: HEARTBEAT };
  const rendered = renderSnapshot(snapshot, { format: 'entries', layout: 'section', version: NEW, ...options });
  const file = JSON.parse(rendered.text) as { entries: Record<string, Record<string, unknown>> };
  return { entries: file.entries, problems: rendered.problems, text: rendered.text };
}

function messages(problems: Problem[]): string[] {
  return problems.map((p) => p.message);
}

const policy = (rowSettings: string[], minHeartbeatEvery = '5m'): RowPolicy => ({ rowSettings, minHeartbeatEvery });

describe('row policy', () => {
  it('should leave out tools, sandbox and heartbeat.prompt of the case-1 row by default, naming row, key and the option', () => {
    const { entries, problems } = render([CASE_1]);
    expect(entries.ops).toEqual({ model: 'anthropic/claude-sonnet-4', heartbeat: { every: '5m' } });
    const said = messages(problems);
    expect(said).toContain(
      'agents row id=7 (name "ops"): openclaw_config.tools.exec left out: not in rowSettings (add "tools.exec" to allow it — that hands row writers that power over the host)',
    );
    for (const path of ['sandbox.mode', 'heartbeat.prompt']) {
      expect(said.some((m) => m.startsWith(`agents row id=7 (name "ops"): openclaw_config.${path} left out: not in rowSettings (add "${path}"`)), path).toBe(true);
    }
    expect(said).toContain('agents row id=7 (name "ops"): heartbeat every "1m" is shorter than minHeartbeatEvery ("5m"); raised to it');
    // Warned once per row and key: the keys are stable across renders and distinct.
    const keys = problems.map((p) => p.key);
    expect(render([CASE_1]).problems.map((p) => p.key)).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('should write a dangerous path when the operator lists it (the opt-in works), and only that path', () => {
    const { entries, problems } = render([CASE_1], { policy: policy(['tools.exec']) });
    expect(entries.ops).toEqual({ model: 'anthropic/claude-sonnet-4', heartbeat: { every: '5m' }, tools: { exec: { host: 'gateway', mode: 'full' } } });
    expect(messages(problems).some((m) => m.includes('openclaw_config.tools.exec'))).toBe(false);
    expect(messages(problems).some((m) => m.includes('openclaw_config.sandbox.mode left out'))).toBe(true);
  });

  it('should keep the default description and identity settings, and leave out identity.avatar', () => {
    const row: AgentRow = { id: 1, name: 'ops', model: 'm/x', openclaw_config: { description: 'Ops bot', identity: { name: 'Ops', emoji: '🛠', avatar: 'a.png' }, reasoningDefault: 'on' } };
    const { entries, problems } = render([row]);
    expect(entries.ops).toEqual({ model: 'm/x', description: 'Ops bot', identity: { name: 'Ops', emoji: '🛠' }, reasoningDefault: 'on' });
    expect(messages(problems)).toEqual([
      'agents row id=1 (name "ops"): openclaw_config.identity.avatar left out: not in rowSettings (add "identity.avatar" to allow it — that hands row writers that power over the host)',
    ]);
  });

  it('should match by prefix, and let a given rowSettings replace the default extras (the columns stay allowed)', () => {
    const row: AgentRow = { id: 1, name: 'ops', model: 'm/x', allowed_subagents: ['main'], openclaw_config: { identity: { name: 'Ops', avatar: 'a.png' }, description: 'gone' } };
    const { entries, problems } = render([row, { id: 2, name: 'main', model: 'm/y' }], { policy: policy(['identity']) });
    expect(entries.ops).toEqual({ model: 'm/x', identity: { name: 'Ops', avatar: 'a.png' }, subagents: { allowAgents: ['main'] } });
    expect(messages(problems).some((m) => m.includes('openclaw_config.description left out'))).toBe(true);
  });

  it('should not walk a left-out subtree (a huge disallowed value costs nothing and is not "too big")', () => {
    const huge = Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]));
    const { entries, problems } = render([{ id: 1, name: 'ops', model: 'm/x', openclaw_config: { params: huge, description: 'kept' } }]);
    expect(entries.ops).toEqual({ model: 'm/x', description: 'kept' });
    expect(messages(problems).some((m) => m.includes('too big') || m.includes('more than'))).toBe(false);
  });
});

describe('heartbeat floor (minHeartbeatEvery)', () => {
  const hb = (every: string, extra: AgentRow = {}): AgentRow => ({ id: 1, name: 'ops', model: 'm/x', heartbeat_enabled: true, heartbeat_every: every, ...extra });

  it('should raise a shorter column interval to the floor and leave a longer one alone', () => {
    expect(render([hb('30s')]).entries.ops!.heartbeat).toEqual({ every: '5m' });
    expect(render([hb('10m')]).entries.ops!.heartbeat).toEqual({ every: '10m' });
    expect(render([hb('5m')]).problems).toEqual([]);
    expect(render([hb('1m')], { policy: policy([], '2h') }).entries.ops!.heartbeat).toEqual({ every: '2h' });
    // "0": no floor.
    const none = render([hb('1m')], { policy: policy([], '0') });
    expect(none.entries.ops!.heartbeat).toEqual({ every: '1m' });
    expect(none.problems).toEqual([]);
  });

  it('should raise heartbeat.every from openclaw_config when the table has no heartbeat columns', () => {
    const row: AgentRow = { id: 1, name: 'ops', model: 'm/x', openclaw_config: { heartbeat: { every: '10s' } } };
    const { entries, problems } = render([row]);
    expect(entries.ops!.heartbeat).toEqual({ every: '5m' });
    expect(messages(problems)).toEqual(['agents row id=1 (name "ops"): heartbeat every "10s" is shorter than minHeartbeatEvery ("5m"); raised to it']);
  });
});

describe('the heartbeat column decides as a whole', () => {
  const config = { heartbeat: { every: '30m', activeHours: { start: '08:00', end: '18:00' } } };

  it.each([false, null])('should write no heartbeat when heartbeat_enabled is %j, whatever openclaw_config.heartbeat holds (issue 18 case 10)', (enabled) => {
    const { entries, problems } = render([{ id: 1, name: 'ops', model: 'm/x', heartbeat_enabled: enabled, heartbeat_every: '10m', openclaw_config: config }]);
    expect(entries.ops).toEqual({ model: 'm/x' });
    expect(messages(problems)).toEqual([
      'agents row id=1 (name "ops"): openclaw_config.heartbeat left out: heartbeat_enabled is not true (the heartbeat columns decide whether the agent has one)',
    ]);
  });

  it('should write no heartbeat when enabled with an unusable every, and merge under the column fields when enabled with a usable one', () => {
    const { entries } = render([{ id: 1, name: 'ops', model: 'm/x', heartbeat_enabled: true, heartbeat_every: 'soon', openclaw_config: config }]);
    expect(entries.ops).toEqual({ model: 'm/x' });
    // Enabled: the column fields win, openclaw_config's other allowed fields stay.
    const enabled = render([{ id: 1, name: 'ops', model: 'm/x', heartbeat_enabled: true, heartbeat_every: '10m', heartbeat_target: 'last', openclaw_config: config }]);
    expect(enabled.entries.ops!.heartbeat).toEqual({ every: '10m', target: 'last', activeHours: { start: '08:00', end: '18:00' } });
    // A source without a heartbeat_enabled column: openclaw_config's heartbeat is the heartbeat.
    expect(render([{ id: 1, name: 'ops', model: 'm/x', openclaw_config: config }]).entries.ops!.heartbeat).toEqual(config.heartbeat);
  });
});

describe('literal text', () => {
  it('should escape ${NAME} in every database string so the host does not substitute it', () => {
    const row: AgentRow = {
      id: 1,
      name: 'ops',
      model: 'acme/${GW_SECRET}',
      fallback_models: ['acme/${HOME}-x'],
      heartbeat_enabled: true,
      heartbeat_every: '10m',
      heartbeat_target: '${TARGET}',
      heartbeat_to: 'chan ${TO}',
      openclaw_config: { identity: { name: '${HOME}' }, description: 'see $${HOME} and ${lower} and $5' },
    };
    const { entries, problems } = render([row]);
    expect(entries.ops).toEqual({
      model: { primary: 'acme/$${GW_SECRET}', fallbacks: ['acme/$${HOME}-x'] },
      description: 'see $$${HOME} and ${lower} and $5',
      heartbeat: { every: '10m', target: '$${TARGET}', to: 'chan $${TO}' },
      identity: { name: '$${HOME}' },
    });
    expect(problems).toEqual([]);
    expect(render([row]).text).toBe(render([row]).text);
    // Exactly what the host's grammar substitutes: the first "}" closes, names are upper case.
    expect(escapeEnvReferences('no dollar')).toBe('no dollar');
    expect(escapeEnvReferences('${A}${B_2}')).toBe('$${A}$${B_2}');
    expect(escapeEnvReferences('${A${B}')).toBe('${A$${B}');
    expect(escapeEnvReferences('${1A} ${a} ${} ${A')).toBe('${1A} ${a} ${} ${A');
    expect(escapeEnvReferences('$$${X}')).toBe('$$$${X}');
    expect(hasEnvReference('${lower}')).toBe(false);
    expect(hasEnvReference('x${UPPER}')).toBe(true);
  });

  it('should refuse such a value on a host older than the escape was proven on, naming row and path', () => {
    const row: AgentRow = { id: 1, name: 'ops', model: 'm/x', openclaw_config: { identity: { name: '${HOME}', theme: 'plain' } } };
    const listed = (version: typeof OLD) => {
      const rendered = renderSnapshot({ agents: [row], systemConfig: [], columns: [] }, { format: 'list', layout: 'section', version });
      return { item: (JSON.parse(rendered.text) as { list: Record<string, unknown>[] }).list[0], problems: messages(rendered.problems) };
    };
    const older = listed(parseHostVersion('2026.3.1')!);
    expect(older.item).toEqual({ id: 'ops', model: 'm/x', identity: { theme: 'plain' } });
    expect(older.problems.some((m) => m.startsWith('agents row id=1 (name "ops"): openclaw_config.identity.name left out: "${HOME}" holds a ${…} reference'))).toBe(true);
    // The oldest of the four hosts proven: escaped, not refused.
    expect(listed(OLD).item).toEqual({ id: 'ops', model: 'm/x', identity: { name: '$${HOME}', theme: 'plain' } });
  });

  it('should refuse keys beginning with "$" at any depth, even under an allowed path', () => {
    const row: AgentRow = { id: 1, name: 'ops', model: 'm/x', openclaw_config: { $include: './postgres.json', params: { $include: './postgres.json', temperature: 0.2 }, identity: { name: 'x', $schema: 'y' } } };
    const { entries, problems } = render([row], { policy: policy(['params', 'identity']) });
    expect(entries.ops).toEqual({ model: 'm/x', identity: { name: 'x' }, params: { temperature: 0.2 } });
    for (const path of ['openclaw_config.$include', 'openclaw_config.params.$include', 'openclaw_config.identity.$schema']) {
      expect(messages(problems)).toContain(`agents row id=1 (name "ops"): ${path} left out: a key beginning with "$" is an instruction to the host's config loader ($include, $schema …), not a setting`);
    }
  });

  it('should refuse SecretRef-shaped objects and whole-value env SecretRef strings outside the plain-text settings', () => {
    const row: AgentRow = {
      id: 1,
      name: 'ops',
      model: 'm/x',
      openclaw_config: {
        memory: { search: { remote: { apiKey: { source: 'env', provider: 'default', id: 'GW_SECRET' }, headers: { a: '$GW_SECRET', b: ' ${GW_SECRET} ', c: 'Bearer ${GW_SECRET}' } } } },
        tts: { key: { source: 'file', id: '/secret' } },
        identity: { name: '${HOME}' },
      },
    };
    const { entries, problems } = render([row], { policy: policy(['memory', 'tts', 'identity']) });
    expect(entries.ops).toEqual({ model: 'm/x', identity: { name: '$${HOME}' }, memory: { search: { remote: { headers: { c: 'Bearer $${GW_SECRET}' } } } } });
    const said = messages(problems);
    expect(said).toContain('agents row id=1 (name "ops"): openclaw_config.memory.search.remote.apiKey left out: it has the shape of a SecretRef ({source, provider, id}); a row never names a secret of the host');
    expect(said.some((m) => m.startsWith('agents row id=1 (name "ops"): openclaw_config.tts.key left out: it has the shape of a SecretRef'))).toBe(true);
    expect(said.some((m) => m.startsWith('agents row id=1 (name "ops"): openclaw_config.memory.search.remote.headers.a left out: "$GW_SECRET" is the host\'s env SecretRef form'))).toBe(true);
    expect(said.some((m) => m.includes('openclaw_config.memory.search.remote.headers.b left out'))).toBe(true);
    expect(isSecretShorthand('$lower')).toBe(false);
  });

});

describe('cross-row conflicts', () => {
  const dirs = policy(['agentDir', 'workspace']);
  const agent = (id: number, name: string, config: Record<string, unknown>): AgentRow => ({ id, name, model: 'm/x', openclaw_config: config });

  it('should leave out the later agent\'s (by id) agentDir or workspace that another agent already has, and keep the rest', () => {
    const rows = [agent(1, 'zed', { agentDir: '/srv/a/', workspace: '/srv/w1' }), agent(2, 'alpha', { agentDir: '/srv/a', workspace: '/srv/w2' }), agent(3, 'beta', { agentDir: '/srv//a/../a', description: 'kept' })];
    const { entries, problems } = render(rows, { policy: { ...dirs, rowSettings: [...dirs.rowSettings, 'description'] } });
    expect(entries.alpha).toEqual({ model: 'm/x', agentDir: '/srv/a', workspace: '/srv/w2' });
    expect(entries.beta).toEqual({ model: 'm/x', description: 'kept' });
    expect(entries.zed).toEqual({ model: 'm/x', workspace: '/srv/w1' });
    expect(messages(problems)).toEqual([
      'agents row id=3 (name "beta"): openclaw_config.agentDir "/srv//a/../a" left out: it is also the agentDir of agent "alpha" (agents cannot share one)',
      'agents row id=1 (name "zed"): openclaw_config.agentDir "/srv/a/" left out: it is also the agentDir of agent "alpha" (agents cannot share one)',
    ]);
  });

  it('should leave out an explicit directory equal to another agent\'s default one, but not its own default', () => {
    const rows = [agent(1, 'ops', { agentDir: '/home/gw/.openclaw/agents/main/agent', workspace: '/home/gw/.openclaw/workspace-ops' }), { id: 2, name: 'main', model: 'm/y' }];
    const { entries, problems } = render(rows, { policy: dirs });
    expect(entries.ops).toEqual({ model: 'm/x', workspace: '/home/gw/.openclaw/workspace-ops' });
    expect(messages(problems)).toEqual([
      'agents row id=1 (name "ops"): openclaw_config.agentDir "/home/gw/.openclaw/agents/main/agent" left out: it is the default agentDir of agent "main" (agents cannot share one)',
    ]);
    // When "main" sets its own agentDir, its default directory is nobody's.
    const own = render([rows[0]!, agent(2, 'main', { agentDir: '/srv/main' })], { policy: dirs });
    expect(own.entries.ops!.agentDir).toBe('/home/gw/.openclaw/agents/main/agent');
  });

  it('should not see a conflict where the policy leaves the directories out', () => {
    const rows = [agent(1, 'a', { agentDir: '/srv/x' }), agent(2, 'b', { agentDir: '/srv/x' })];
    const { entries, problems } = render(rows);
    expect(entries).toEqual({ a: { model: 'm/x' }, b: { model: 'm/x' } });
    expect(messages(problems).every((m) => m.includes('not in rowSettings'))).toBe(true);
  });
});
