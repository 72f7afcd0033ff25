import { hostIssues, type RawIssue } from './hostIssues.js';
import type { HostIssue } from './hostRules.js';
import { quote } from './safeText.js';
import type { Layout } from './types.js';
import { isRecord } from './records.js';

/**
 * The config the host will load, and what its verdict on it means for the agents file. The host
 * never reads agents.json alone: it reads openclaw.json, puts the included file in place of the
 * `$include` and validates the whole. So a file is checked in that place, and each of the host's
 * issues is sorted by who can fix it: a setting of the candidate (left out), a verdict that names
 * no agent (narrowed by bisection), or something openclaw.json sets (the file is kept as it is).
 * Pure.
 */

export type { RawIssue } from './hostIssues.js';

/** The host's issues sorted by who can fix them. */
export interface SortedIssues {
  /** Below an agent entry or a default the candidate sets: left out setting by setting. */
  agent: HostIssue[];
  /** The whole roster or no path at all (`<root>`, `agents`, `agents.entries`, `agents.list`): narrowed by bisection. */
  unattributed: RawIssue[];
  /** Anywhere else (bindings, talk.agentId, a default openclaw.json sets): the candidate cannot fix it by leaving something out. */
  outside: RawIssue[];
}

/** The paths of a verdict that names no agent. */
const UNATTRIBUTED = new Set(['', '<root>', 'agents', 'agents.entries', 'agents.list']);

/**
 * OpenClaw's merge of an included file with the keys beside its `$include`: objects merge key by
 * key, arrays concatenate, any other value of `source` wins. Returns new objects and arrays; never
 * changes its arguments.
 */
export function deepMerge(target: unknown, source: unknown): unknown {
  if (Array.isArray(target) && Array.isArray(source)) return [...target, ...source];
  if (isRecord(target) && isRecord(source)) {
    const out: Record<string, unknown> = { ...target };
    for (const [key, value] of Object.entries(source)) out[key] = Object.hasOwn(out, key) ? deepMerge(out[key], value) : value;
    return out;
  }
  return source;
}

/** What the agents file holds for an agents object: `{agents}` in the root layout, the object itself in the section layout. */
export function candidateFile(agents: Record<string, unknown>, layout: Layout): Record<string, unknown> {
  return layout === 'root' ? { agents } : agents;
}

/**
 * Sorts the host's issues on a merged config whose `agents` holds `candidate`. An issue belongs to
 * the candidate when its path goes below an agent the candidate has, or to a key the candidate
 * sets; a path that names the roster as a whole is unattributed; anything else is outside.
 */
export function sortIssues(issues: readonly RawIssue[], candidate: Record<string, unknown>): SortedIssues {
  const sorted: SortedIssues = { agent: [], unattributed: [], outside: [] };
  for (const raw of issues) {
    const path = raw.path.trim();
    if (UNATTRIBUTED.has(path)) {
      // "Unrecognized key" on `agents` names the key: that is a key of the candidate, not the whole roster.
      const named = /^Unrecognized keys?:/.test(raw.message) ? hostIssues([raw]).filter((i) => i.path.length > 0 && has(candidate, i.path.slice(0, 1))) : [];
      if (named.length > 0) sorted.agent.push(...named);
      else sorted.unattributed.push(raw);
      continue;
    }
    if (!path.startsWith('agents.')) {
      sorted.outside.push(raw);
      continue;
    }
    const below = hostIssues([raw]);
    const ours = below.every((i) => belongsToCandidate(i.path, candidate));
    if (ours) sorted.agent.push(...below);
    else sorted.outside.push(raw);
  }
  return sorted;
}

/** The host's path of an issue as a reader writes it: `bindings.0.agentId` → `bindings[0].agentId`. */
export function readablePath(path: string): string {
  if (path === '' || path === '<root>') return '(the whole config)';
  return path.split('.').reduce((at, key) => (/^\d+$/.test(key) ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`), '');
}

/**
 * One line for an issue outside the agents file that the candidate would cause: when the value at
 * its path is an agent id the candidate no longer has, it says so (`openclaw.json bindings[0].agentId
 * names "ops", which the database no longer exports`), else the host's own message.
 */
export function describeOutside(issue: RawIssue, merged: unknown, candidateIds: ReadonlySet<string>, configName: string, outputName: string): string {
  const value = valueAt(merged, issue.path);
  const where = `${configName} ${readablePath(issue.path)}`;
  const cause =
    typeof value === 'string' && !candidateIds.has(value)
      ? `${where} names ${quote(value, 100)}, which the database no longer exports`
      : `${where}: ${quote(issue.message.split('\n')[0]!, 200)}`;
  return `${cause}; keeping the current ${outputName}`;
}

/** The agent ids an agents object holds (keyed entries or the legacy list). */
export function agentIdsOf(agents: unknown): Set<string> {
  const ids = new Set<string>();
  if (!isRecord(agents)) return ids;
  if (isRecord(agents.entries)) for (const id of Object.keys(agents.entries)) ids.add(id);
  if (Array.isArray(agents.list)) for (const a of agents.list) if (isRecord(a) && typeof a.id === 'string') ids.add(a.id);
  return ids;
}

/** An issue's identity across two verdicts: its path and its message's first line. */
export function issueKey(issue: RawIssue): string {
  return `${issue.path}\n${issue.message.split('\n')[0]}`;
}

function belongsToCandidate(path: readonly (string | number)[], candidate: Record<string, unknown>): boolean {
  const [area, which] = path;
  if (area === 'entries' || area === 'list') return which !== undefined && has(candidate, [area, which]);
  // A default (agents.defaults.subagents.maxSpawnDepth) is ours when the candidate sets that very key.
  if (area === 'defaults') return path.length >= 2 && has(candidate, path.slice(0, Math.min(path.length, 3)));
  return path.length > 0 && has(candidate, [area!]);
}

function has(value: unknown, path: readonly (string | number)[]): boolean {
  let at: unknown = value;
  for (const key of path) {
    if (Array.isArray(at) && typeof key === 'number') {
      if (key >= at.length) return false;
      at = at[key];
    } else if (isRecord(at) && Object.hasOwn(at, String(key))) {
      at = at[String(key)];
    } else {
      return false;
    }
  }
  return true;
}

function valueAt(value: unknown, dotted: string): unknown {
  let at: unknown = value;
  for (const key of dotted.split('.')) {
    if (Array.isArray(at) && /^\d+$/.test(key)) at = at[Number(key)];
    else if (isRecord(at) && Object.hasOwn(at, key)) at = at[key];
    else return undefined;
  }
  return at;
}
