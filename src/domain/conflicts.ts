import path from 'node:path';
import { memberPath } from './agentSettings.js';
import { quote } from './safeText.js';
import type { Agent, Problem } from './types.js';

/**
 * One row costs only itself: settings two agents cannot share are caught here, before any host sees
 * them. OpenClaw keeps an agent's sessions and auth in its `agentDir` and its files in its
 * `workspace`; two agents on one directory make the host refuse the whole roster (its verdict names
 * no single row), so every other row's change would be lost too. The later agent (by id) loses the
 * setting, warned, and the roster is written. Pure: paths are compared as text, nothing is resolved.
 */

/** The per-agent directory settings that must not be shared. */
const DIRECTORY_SETTINGS = ['agentDir', 'workspace'] as const;
type DirectorySetting = (typeof DIRECTORY_SETTINGS)[number];

/**
 * The directory OpenClaw derives for an agent that sets none, as a path suffix under its state dir
 * (read in 2026.9.6 `resolveEffectiveAgentDir` and `resolveAgentWorkspaceDir`): `<stateDir>/agents/<id>/agent`
 * and `<stateDir>/workspace-<id>`. The state dir itself is not known to a pure renderer, so an explicit
 * directory ending in another agent's default suffix is taken as that agent's default directory.
 */
function defaultSuffix(setting: DirectorySetting, id: string): string {
  return setting === 'agentDir' ? `/agents/${id}/agent` : `/workspace-${id}`;
}

/** A directory as text to compare: trimmed, `.`/`..` and repeated slashes resolved, no trailing slash. */
function normalized(dir: string): string {
  const text = path.posix.normalize(dir.trim());
  return text.length > 1 && text.endsWith('/') ? text.slice(0, -1) : text;
}

/**
 * The agents (sorted by id) without the directory settings that collide: an `agentDir` or `workspace`
 * equal to an earlier agent's, or equal to another agent's default one (that agent setting none).
 * Copies only the agents it changes. Linear in the number of agents with such a setting.
 */
export function leaveOutConflicts(agents: Agent[], problems: Problem[]): Agent[] {
  if (!agents.some((a) => a.settings !== undefined && DIRECTORY_SETTINGS.some((s) => typeof a.settings![s] === 'string'))) return agents;
  const ids = new Set(agents.map((a) => a.id));
  const out: Agent[] = [];
  const claimed = new Map<string, Map<string, string>>(DIRECTORY_SETTINGS.map((s) => [s, new Map()]));
  for (const agent of agents) {
    let kept = agent;
    for (const setting of DIRECTORY_SETTINGS) {
      const value = kept.settings?.[setting];
      if (typeof value !== 'string') continue;
      const dir = normalized(value);
      const owner = claimed.get(setting)!.get(dir) ?? defaultOwner(setting, dir, kept.id, ids, agents);
      if (owner === undefined) {
        claimed.get(setting)!.set(dir, kept.id);
        continue;
      }
      const settings = { ...kept.settings };
      delete settings[setting];
      kept = { ...kept, settings: Object.keys(settings).length > 0 ? settings : undefined };
      if (kept.settings === undefined) delete kept.settings;
      problems.push({
        key: `agents:conflict:${agent.id}:${setting}:${owner}`,
        message: `${agent.row ?? `agent ${quote(agent.id)}`}: ${memberPath('openclaw_config', setting)} ${quote(value)} left out: it is ${owner.startsWith('default:') ? `the default ${setting} of agent "${owner.slice(8)}"` : `also the ${setting} of agent "${owner}"`} (agents cannot share one)`,
      });
    }
    out.push(kept);
  }
  return out;
}

/** `default:<id>` when `dir` looks like the default directory of another agent of the roster that sets none. */
function defaultOwner(setting: DirectorySetting, dir: string, self: string, ids: ReadonlySet<string>, agents: readonly Agent[]): string | undefined {
  const match = setting === 'agentDir' ? /\/agents\/([^/]+)\/agent$/.exec(dir) : /\/workspace-([^/]+)$/.exec(dir);
  const other = match?.[1];
  if (other === undefined || other === self || !ids.has(other) || !dir.endsWith(defaultSuffix(setting, other))) return undefined;
  const theirs = agents.find((a) => a.id === other)?.settings?.[setting];
  return typeof theirs === 'string' ? undefined : `default:${other}`;
}
