import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deepMerge, describeOutside, sortIssues } from '../../src/domain/mergedConfig.js';
import type { Agent, AgentsModel } from '../../src/domain/types.js';
import { narrowVerdict } from '../../src/hostCheck/bisect.js';
import { readHostConfig } from '../../src/hostCheck/hostConfig.js';

describe('deepMerge', () => {
  it('should merge objects, concatenate arrays and let the source win on other values, as OpenClaw merges an include with its siblings', () => {
    const included = { agents: { defaults: { a: 1, list: ['x'] }, entries: { main: { model: 'm' } } }, keep: true };
    const siblings = { agents: { defaults: { a: 2, list: ['y'] } }, extra: 'e' };
    expect(deepMerge(included, siblings)).toEqual({ agents: { defaults: { a: 2, list: ['x', 'y'] }, entries: { main: { model: 'm' } } }, keep: true, extra: 'e' });
    expect(included.agents.defaults.a).toBe(1);
  });
});

describe('sortIssues', () => {
  const candidate = { ownership: 'explicit', defaults: { subagents: { maxSpawnDepth: 3 } }, entries: { main: { model: 'm' }, ops: { model: 'm', tools: { profile: 'x' } } } };

  it('should give the candidate what lies below its agents and the defaults it sets', () => {
    const sorted = sortIssues(
      [
        { path: 'agents.entries.ops.tools.profile', message: 'Invalid input' },
        { path: 'agents.defaults.subagents.maxSpawnDepth', message: 'Too big' },
        { path: 'agents.entries.main', message: 'Unrecognized key: "foo"' },
      ],
      candidate,
    );
    expect(sorted.agent).toEqual([
      { path: ['entries', 'ops', 'tools', 'profile'], message: 'Invalid input' },
      { path: ['defaults', 'subagents', 'maxSpawnDepth'], message: 'Too big' },
      { path: ['entries', 'main', 'foo'], message: 'is not an accepted key' },
    ]);
    expect(sorted.unattributed).toEqual([]);
    expect(sorted.outside).toEqual([]);
  });

  it('should call a verdict on the roster as a whole unattributed, unless it names an unknown key of the candidate', () => {
    const sorted = sortIssues(
      [
        { path: 'agents.entries', message: 'Duplicate agentDir detected (multi-agent config).\nConflicts: …' },
        { path: '<root>', message: 'Something about the whole' },
        { path: 'agents', message: 'Unrecognized keys: "ownership"' },
      ],
      candidate,
    );
    expect(sorted.unattributed.map((i) => i.path)).toEqual(['agents.entries', '<root>']);
    expect(sorted.agent).toEqual([{ path: ['ownership'], message: 'is not an accepted key' }]);
  });

  it('should put references openclaw.json holds, and defaults only openclaw.json sets, outside the file', () => {
    const sorted = sortIssues(
      [
        { path: 'bindings.0.agentId', message: 'Unknown agent id "gone" (not in agents.entries).' },
        { path: 'talk.agentId', message: 'Unknown agent id "gone"' },
        { path: 'agents.defaults.systemAgent.agentId', message: 'Unknown agent id "gone"' },
        { path: 'agents.entries.gone.model', message: 'set by openclaw.json beside the include' },
      ],
      candidate,
    );
    expect(sorted.outside.map((i) => i.path)).toEqual(['bindings.0.agentId', 'talk.agentId', 'agents.defaults.systemAgent.agentId', 'agents.entries.gone.model']);
    expect(sorted.agent).toEqual([]);
  });
});

describe('describeOutside', () => {
  it('should name the reference, where it is and the agent the database no longer exports', () => {
    const merged = { bindings: [{ agentId: 'ops' }], talk: { voice: 7 } };
    expect(describeOutside({ path: 'bindings.0.agentId', message: 'Unknown agent id "ops"' }, merged, new Set(['main']), 'openclaw.json', 'agents.json')).toBe(
      'openclaw.json bindings[0].agentId names "ops", which the database no longer exports; keeping the current agents.json',
    );
    expect(describeOutside({ path: 'talk.voice', message: 'Expected string\nmore' }, merged, new Set(['main']), 'openclaw.json', 'agents.json')).toBe(
      'openclaw.json talk.voice: "Expected string"; keeping the current agents.json',
    );
  });
});

describe('readHostConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-merged-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, value: unknown) => fs.writeFileSync(path.join(dir, name), typeof value === 'string' ? value : JSON.stringify(value));
  const source = () => ({ configPath: path.join(dir, 'openclaw.json'), outputPath: path.join(dir, 'agents.json'), includeRoots: [] });
  const candidate = { agents: { entries: { main: { model: 'm' } } } };

  it('should put the candidate in place of the root include, resolve the other includes and merge the siblings over it', () => {
    write('gateway.json', { mode: 'local' });
    write('openclaw.json', `// JSON5, as OpenClaw reads it\n{ $include: './agents.json', gateway: { $include: './gateway.json', port: 1 }, agents: { defaults: { models: { 'a/b': { alias: 'q' } } } } }`);
    write('agents.json', { agents: { entries: { old: { model: 'o' } } } });
    const host = readHostConfig(source());
    expect(host.ok).toBe(true);
    const merged = host.ok ? host.merge(candidate) : undefined;
    expect(merged).toEqual({
      ok: true,
      config: { agents: { entries: { main: { model: 'm' } }, defaults: { models: { 'a/b': { alias: 'q' } } } }, gateway: { mode: 'local', port: 1 } },
      issues: [],
    });
  });

  it('should put the candidate in place of a section include', () => {
    write('openclaw.json', { agents: { $include: './agents.json', defaults: { thinkingDefault: 'low' } } });
    const host = readHostConfig(source());
    const merged = host.ok ? host.merge({ entries: { main: { model: 'm' } } }) : undefined;
    expect(merged).toEqual({ ok: true, config: { agents: { entries: { main: { model: 'm' } }, defaults: { thinkingDefault: 'low' } } }, issues: [] });
  });

  it('should make an include of the candidate that cannot be read an issue at its place, resolved from the agents file\'s directory', () => {
    write('openclaw.json', { $include: './agents.json' });
    write('params.json', { temperature: 1 });
    const host = readHostConfig(source());
    const merged = host.ok ? host.merge({ agents: { entries: { a: { model: 'm', params: { $include: './missing.json' } }, b: { model: 'm', params: { $include: './params.json' } } } } }) : undefined;
    expect(merged?.ok).toBe(true);
    if (!merged?.ok) return;
    expect(merged.config).toEqual({ agents: { entries: { a: { model: 'm', params: {} }, b: { model: 'm', params: { temperature: 1 } } } } });
    expect(merged.issues).toEqual([{ path: 'agents.entries.a.params', message: expect.stringContaining('Failed to read include file: ./missing.json') as string }]);
  });

  it('should refuse includes outside the config directory, past 2 MiB, or in a cycle, as the host does', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-merged-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'x.json'), '{}');
      write('openclaw.json', { $include: './agents.json', gateway: { $include: path.join(outside, 'x.json') } });
      const escaped = readHostConfig(source());
      expect(escaped.ok && escaped.merge(candidate)).toEqual({ ok: false, reason: expect.stringContaining('Include path escapes config directory') as string });
      fs.symlinkSync(path.join(outside, 'x.json'), path.join(dir, 'link.json'));
      write('openclaw.json', { $include: './agents.json', gateway: { $include: './link.json' } });
      const linked = readHostConfig(source());
      expect(linked.ok && linked.merge(candidate)).toEqual({ ok: false, reason: expect.stringContaining('resolves outside config directory (symlink)') as string });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
    write('big.json', `{"a": "${'x'.repeat(2 * 1024 * 1024)}"}`);
    write('openclaw.json', { $include: './agents.json', gateway: { $include: './big.json' } });
    const big = readHostConfig(source());
    expect(big.ok && big.merge(candidate)).toEqual({ ok: false, reason: expect.stringContaining('max 2097152 bytes') as string });
    write('a.json', { $include: './b.json' });
    write('b.json', { $include: './a.json' });
    write('openclaw.json', { $include: './agents.json', gateway: { $include: './a.json' } });
    const cycle = readHostConfig(source());
    expect(cycle.ok && cycle.merge(candidate)).toEqual({ ok: false, reason: expect.stringContaining('Circular include detected') as string });
  });

  it('should say why there is nothing to merge with: no openclaw.json, or one that does not include the output', () => {
    expect(readHostConfig(source())).toEqual({ ok: false, reason: expect.stringContaining('cannot read') as string });
    write('openclaw.json', { agents: { entries: {} } });
    expect(readHostConfig(source())).toEqual({ ok: false, reason: expect.stringContaining('does not include') as string });
  });
});

describe('narrowVerdict', () => {
  const agent = (id: string, extra: Partial<Agent> = {}): Agent => ({ id, model: 'm', isDefault: false, allowAgents: [], row: `row ${id}`, ...extra });
  const model = (agents: Agent[]): AgentsModel => ({ agents, defaults: {} });
  const verdict = [{ path: 'agents.entries', message: 'Duplicate agentDir detected (multi-agent config).\nConflicts: …' }];
  const signal = new AbortController().signal;

  it('should narrow a verdict two agents cause together, from different halves, and leave out their free-form settings', async () => {
    const roster = model([agent('main', { isDefault: true }), ...'abcdefgh'.split('').map((id) => agent(id, id === 'b' || id === 'g' ? { settings: { agentDir: '/x' } } : {}))]);
    let asked = 0;
    const narrowed = await narrowVerdict(roster, verdict, 'OpenClaw 2026.9.6', {
      isBad: async (part, lines) => {
        asked += 1;
        expect(lines).toEqual(new Set(['Duplicate agentDir detected (multi-agent config).']));
        return part.agents.filter((a) => a.settings?.agentDir === '/x').length >= 2;
      },
      signal,
    });
    expect(narrowed.culprits).toEqual(['b', 'g']);
    expect(narrowed.checks).toBe(asked);
    expect(narrowed.model!.agents.map((a) => [a.id, a.settings])).toEqual([['main', undefined], ...'abcdefgh'.split('').map((id) => [id, undefined])]);
    expect(narrowed.problems.map((p) => p.message)).toEqual([
      'row b: openclaw_config: OpenClaw 2026.9.6 rejects the roster ("Duplicate agentDir detected (multi-agent config).") because of this agent; with "g"; its openclaw_config left out',
      'row g: openclaw_config: OpenClaw 2026.9.6 rejects the roster ("Duplicate agentDir detected (multi-agent config).") because of this agent; with "b"; its openclaw_config left out',
    ]);
  });

  it('should leave out an agent with no free-form settings that alone causes the verdict', async () => {
    const narrowed = await narrowVerdict(model([agent('main', { isDefault: true }), agent('a'), agent('bad'), agent('c')]), verdict, 'X', {
      isBad: async (part) => part.agents.some((a) => a.id === 'bad'),
      signal,
    });
    expect(narrowed.model!.agents.map((a) => a.id)).toEqual(['main', 'a', 'c']);
    expect(narrowed.problems[0]!.message).toContain('agent "bad" left out');
  });

  it('should not narrow a verdict the roster draws without any agent, nor past its bound of checks', async () => {
    const always = await narrowVerdict(model([agent('a'), agent('b')]), verdict, 'X', { isBad: async () => true, signal });
    expect(always).toEqual({ problems: [], checks: 1 });
    const agents = Array.from({ length: 64 }, (_, i) => agent(`a${i}`, { settings: { agentDir: i % 2 === 0 ? '/even' : '/odd' } }));
    const bounded = await narrowVerdict(model(agents), verdict, 'X', { isBad: async (part) => part.agents.length > 2, signal, maxChecks: 5 });
    expect(bounded).toEqual({ problems: [], checks: 5 });
  });
});
