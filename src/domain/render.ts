import { rowsToAgents } from './agents.js';
import { systemConfigToDefaults } from './systemConfig.js';
import type { Agent, AgentsModel, Layout, Rendered, RosterFormat, Snapshot } from './types.js';

/** How to lay out the file for the host that reads it. */
export interface RenderOptions {
  format: RosterFormat;
  layout: Layout;
}

/** Snapshot → what it means (validated agents and defaults) plus the problems found on the way. */
export function snapshotToModel(snapshot: Snapshot): { model: AgentsModel; problems: Rendered['problems'] } {
  const agents = rowsToAgents(snapshot.agents);
  const system = systemConfigToDefaults(snapshot.systemConfig);
  return { model: { agents: agents.agents, defaults: system.defaults }, problems: [...system.problems, ...agents.problems] };
}

/**
 * The agents object in the host's shape, keys in a fixed order:
 * `defaults` (when set), then `ownership` + `entries`, or `list`.
 */
export function modelToAgentsObject(model: AgentsModel, format: RosterFormat): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (model.defaults.subagents) out.defaults = { subagents: orderedSubagentDefaults(model.defaults.subagents) };
  if (format === 'entries') {
    if (model.agents.length > 1) out.ownership = 'explicit';
    out.entries = Object.fromEntries(model.agents.map((agent) => [agent.id, agentBody(agent)]));
  } else {
    out.list = model.agents.map((agent) => ({ id: agent.id, ...(agent.isDefault ? { default: true } : {}), ...agentBody(agent) }));
  }
  return out;
}

/** Canonical text: 2-space JSON with a trailing newline. Same snapshot ⇒ same bytes. */
export function renderSnapshot(snapshot: Snapshot, options: RenderOptions): Rendered {
  const { model, problems } = snapshotToModel(snapshot);
  const agents = modelToAgentsObject(model, options.format);
  const file = options.layout === 'root' ? { agents } : agents;
  return { text: `${JSON.stringify(file, null, 2)}\n`, agentCount: model.agents.length, problems };
}

function agentBody(agent: Agent): Record<string, unknown> {
  const model = typeof agent.model === 'string' ? agent.model : { primary: agent.model.primary, fallbacks: agent.model.fallbacks };
  return agent.allowAgents.length > 0 ? { model, subagents: { allowAgents: agent.allowAgents } } : { model };
}

function orderedSubagentDefaults(s: NonNullable<AgentsModel['defaults']['subagents']>): Record<string, number> {
  const out: Record<string, number> = {};
  if (s.maxSpawnDepth !== undefined) out.maxSpawnDepth = s.maxSpawnDepth;
  if (s.maxConcurrent !== undefined) out.maxConcurrent = s.maxConcurrent;
  if (s.maxChildrenPerAgent !== undefined) out.maxChildrenPerAgent = s.maxChildrenPerAgent;
  return out;
}

/** How many agents a file's text holds, whatever its layout and roster shape; 0 when unreadable. */
export function countAgentsInText(text: string | undefined): number {
  if (text === undefined) return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 0;
  }
  const root = parsed as { agents?: unknown } | null;
  const agents = (root && typeof root === 'object' && 'agents' in root ? root.agents : root) as Record<string, unknown> | null;
  if (!agents || typeof agents !== 'object') return 0;
  if (Array.isArray(agents.list)) return agents.list.length;
  if (agents.entries && typeof agents.entries === 'object') return Object.keys(agents.entries).length;
  return 0;
}
