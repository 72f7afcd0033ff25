import { rowsToAgents, type ReadOptions } from './agents.js';
import { renderModel, type RenderOptions } from './agentsObject.js';
import { floorCheck, renderChecked } from './leaveOut.js';
import { describeIssue, rulesKey, sizeReasons } from './hostRules.js';
import { systemConfigToDefaults } from './systemConfig.js';
import type { AgentsModel, Rendered, Snapshot } from './types.js';

export { agentBody, modelToAgentsObject, renderModel, type RenderOptions } from './agentsObject.js';

/** Snapshot → what it means (validated agents and defaults) plus the problems found on the way. */
export function snapshotToModel(snapshot: Snapshot, options: ReadOptions = {}): { model: AgentsModel; problems: Rendered['problems'] } {
  const agents = rowsToAgents(snapshot.agents, options);
  const system = systemConfigToDefaults(snapshot.systemConfig, options);
  return { model: { agents: agents.agents, defaults: system.defaults }, problems: [...system.problems, ...agents.problems] };
}

/**
 * Canonical text: 2-space JSON with a trailing newline. Same snapshot ⇒ same bytes.
 * Checked by our own rules for this host (the floor, docs/design.md §10): a setting they reject is left out
 * with a problem naming the row and the key, and the rest is written.
 */
export function renderSnapshot(snapshot: Snapshot, options: RenderOptions): Rendered {
  const { model, problems } = snapshotToModel(snapshot, options);
  const checked = renderChecked(model, options, floorCheck(options), 'our rules for this host');
  // What the guard would find by parsing this text with our rules, found on the object the text was made from.
  const ourRules = { reasons: [...sizeReasons(checked.rendered.text), ...checked.issues.map(describeIssue)], for: rulesKey(options) };
  return { ...checked.rendered, problems: [...problems, ...checked.problems], ourRules };
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
