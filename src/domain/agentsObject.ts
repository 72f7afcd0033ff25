import { columnValues, compareText } from './agents.js';
import { mergeOver } from './agentSettings.js';
import { defaultTargets, NO_OUTSIDE_FACTS, type OutsideFacts } from './defaultAgent.js';
import { capabilitiesFor } from './hostCapabilities.js';
import type { HostVersion } from './hostProfile.js';
import type { RowPolicy } from './rowPolicy.js';
import type { Agent, AgentsModel, Layout, Rendered, RosterFormat } from './types.js';

/**
 * A model laid out as the host reads it: the agents object and its canonical text. Pure.
 */

/** How to lay out the file for the host that reads it. */
export interface RenderOptions {
  format: RosterFormat;
  layout: Layout;
  /** The host version: which thinking levels and system-config keys it accepts, and how it names the default agent. */
  version?: HostVersion;
  /** What openclaw.json itself sets (the default agent's targets are written only where it does not). */
  outside?: OutsideFacts;
  /** The operator's row policy (plugin options `rowSettings`, `minHeartbeatEvery`). Defaults to the default policy. */
  policy?: RowPolicy;
}

/**
 * The agents object in the host's shape, keys in a fixed order:
 * `defaults` (when set), then `ownership` + `entries` (the default agent first, the rest by id), or `list` (by id).
 * On hosts ≥ 2026.8 the default agent is named by the targets under `agents.defaults` (docs/design.md §10);
 * older hosts get `default: true` on its list item.
 */
export function modelToAgentsObject(model: AgentsModel, options: RosterFormat | Omit<RenderOptions, 'layout'>): Record<string, unknown> {
  const { format, version, outside } = typeof options === 'string' ? { format: options, version: undefined, outside: undefined } : options;
  const out: Record<string, unknown> = {};
  const defaults: Record<string, unknown> = {};
  if (model.defaults.thinkingDefault !== undefined) defaults.thinkingDefault = model.defaults.thinkingDefault;
  if (model.defaults.subagents) defaults.subagents = { ...model.defaults.subagents };
  const named = format === 'entries' && capabilitiesFor(version).systemAgent;
  if (named) Object.assign(defaults, defaultTargets(model.agents, outside ?? NO_OUTSIDE_FACTS));
  if (Object.keys(defaults).length > 0) out.defaults = defaults;
  if (format === 'entries') {
    if (model.agents.length > 1) out.ownership = 'explicit';
    const entries: Record<string, unknown> = {};
    for (const agent of model.agents) if (agent.isDefault) entries[agent.id] = agentBody(agent);
    for (const agent of model.agents) if (!agent.isDefault) entries[agent.id] = agentBody(agent);
    out.entries = entries;
  } else {
    out.list = model.agents.map((agent) => ({ id: agent.id, ...(agent.isDefault ? { default: true } : {}), ...agentBody(agent) }));
  }
  return out;
}

/** The text of a model (e.g. after a checker left a setting out). */
export function renderModel(model: AgentsModel, options: RenderOptions): Rendered {
  return renderAgentsObject(modelToAgentsObject(model, options), model, options);
}

/** The text of an agents object already built from `model` by {@link modelToAgentsObject} (built once, checked, then rendered). */
export function renderAgentsObject(agents: Record<string, unknown>, model: AgentsModel, options: RenderOptions): Rendered {
  const file = options.layout === 'root' ? { agents } : agents;
  return { text: `${JSON.stringify(file, null, 2)}\n`, agentCount: model.agents.length, problems: [], model };
}

/**
 * One entry: the `openclaw_config` settings deep-merged under the column values (a column wins),
 * `model` first and the other keys sorted, so the bytes do not depend on where a setting came from.
 */
export function agentBody(agent: Agent): Record<string, unknown> {
  // Most agents have no free-form settings: their entry is the column values, already in key order.
  if (agent.settings === undefined) return columnValues(agent);
  const merged = mergeOver(agent.settings ?? {}, columnValues(agent));
  const out: Record<string, unknown> = { model: merged.model };
  for (const key of Object.keys(merged).sort(compareText)) if (key !== 'model') out[key] = merged[key];
  return out;
}

