import { describe, expect, it } from 'vitest';
import { checkAgentColumns, checkDefaultAgentTargets, notChecked } from '../../src/domain/doctorChecks.js';

describe('doctor: agent columns and the default agent', () => {
  it('can list the optional columns a source has and what the missing ones would enable', () => {
    const result = checkAgentColumns(['id', 'is_default', 'heartbeat_every']);
    expect(result.status).toBe('ok');
    expect(result.detail).toContain('uses name, model, id, is_default, heartbeat_every');
    expect(result.detail).toContain("not in the source: fallback_models (model.fallbacks)");
    expect(result.detail).toContain('openclaw_config (the further entry settings the row policy (rowSettings) allows');
    expect(checkAgentColumns(['id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type', 'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config']).detail).toContain('(every optional column)');
  });

  const roster = (defaultId?: string) => ({
    agents: {
      ownership: 'explicit',
      ...(defaultId ? { defaults: { systemAgent: { agentId: defaultId } } } : {}),
      entries: { main: { model: 'm/a' }, helper: { model: 'm/b' } },
    },
  });

  it('can warn when a multi-agent keyed roster lacks the targets OpenClaw keeps outside the include', () => {
    const result = checkDefaultAgentTargets({ $include: './agents.json' }, roster('main'));
    expect(result.status).toBe('warn');
    expect(result.detail).toContain('default agent "main"');
    expect(result.detail).toContain('talk.agentId');
    expect(result.detail).toContain('bindings');
    expect(result.advice).toContain('openclaw.json itself');
  });

  it('can pass when openclaw.json sets talk.agentId and bindings', () => {
    const result = checkDefaultAgentTargets({ $include: './agents.json', talk: { agentId: 'main' }, bindings: [] }, roster('main'));
    expect(result.status).toBe('ok');
  });

  it('can warn about a multi-agent keyed roster with no default at all, and not about one agent or a list roster', () => {
    expect(checkDefaultAgentTargets({}, roster()).status).toBe('warn');
    expect(checkDefaultAgentTargets({}, { agents: { entries: { solo: { model: 'm' } } } }).status).toBe('ok');
    expect(checkDefaultAgentTargets({}, { agents: { list: [{ id: 'a', default: true }, { id: 'b' }] } }).status).toBe('ok');
    // The section layout: the file is the agents object itself.
    expect(checkDefaultAgentTargets({ talk: { agentId: 'main' }, bindings: [] }, roster('main').agents).status).toBe('ok');
  });
});

describe('a check that could not run', () => {
  it('names its cause in the advice instead of pointing at failures that may not exist', () => {
    const result = notChecked('agent-columns', 'the agents source has no column model');
    expect(result.status).toBe('warn');
    expect(result.advice).not.toMatch(/failures above/);
    expect(result.advice).toContain('the agents source has no column model');
  });
});
