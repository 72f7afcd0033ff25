import { AGENT_ID_PATTERN } from './agents.js';
import { isValidDuration } from './agentSettings.js';
import { DEFAULT_TARGETS, type DefaultTarget } from './defaultAgent.js';
import { capabilitiesFor, type HostCapabilities } from './hostCapabilities.js';
import { formatVersion, type HostVersion } from './hostProfile.js';
import { quote } from './safeText.js';
import type { Layout, RosterFormat } from './types.js';
import { isRecord } from './records.js';

/** OpenClaw refuses an `$include`d file larger than this (src/config/includes.ts). */
export const MAX_INCLUDE_BYTES = 2 * 1024 * 1024;

const AGENTS_KEYS: Record<RosterFormat, ReadonlySet<string>> = {
  entries: new Set(['defaults', 'ownership', 'entries']),
  list: new Set(['defaults', 'list']),
};

/** One thing the host would reject: where (below the agents object) and why. */
export interface HostIssue {
  /** Path below the agents object, e.g. `['entries', 'main', 'thinkingDefault']`; an unknown key's path ends with the key. */
  path: (string | number)[];
  message: string;
}

/**
 * Checks a file's text against the rules of the host that will read it (docs/design.md §4), before it
 * replaces the current file. Returns the reasons it would be rejected; empty means acceptable.
 * A file the host rejects is worse than no change: it can put an old gateway into a restore loop.
 * These are our own rules, the floor under the host's own schema (docs/design.md §10): the keys each host
 * version accepts in an entry, and the values this plugin writes.
 */
export function checkForHost(text: string, format: RosterFormat, layout: Layout, version?: HostVersion): string[] {
  const reasons = sizeReasons(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [...reasons, `not valid JSON: ${quote((error as Error).message, 200)}`];
  }
  let agents: unknown = parsed;
  if (layout === 'root') {
    if (!isRecord(parsed) || Object.keys(parsed).join() !== 'agents') return [...reasons, 'root layout must hold exactly one key, "agents"'];
    agents = parsed.agents;
  }
  return [...reasons, ...findHostIssues(agents, format, version).map(describeIssue)];
}

/** What our rules' verdict on a text depends on: the roster shape, the layout and the host version. */
export function rulesKey(options: { format: RosterFormat; layout: Layout; version?: HostVersion }): string {
  return `${options.format}/${options.layout}/${options.version ? formatVersion(options.version) : '-'}`;
}

/** The file is larger than OpenClaw includes. */
export function sizeReasons(text: string): string[] {
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_INCLUDE_BYTES ? [`file is ${bytes} bytes; OpenClaw includes at most ${MAX_INCLUDE_BYTES}`] : [];
}

/** An issue as one line: `agents.entries.main.thinkingDefault: must be one of …`. */
export function describeIssue(issue: HostIssue): string {
  const where = issue.path.reduce<string>((at, key) => (typeof key === 'number' ? `${at}[${key}]` : member(at, key)), 'agents');
  return issue.message.startsWith(':') ? `${where}${issue.message}` : `${where} ${issue.message}`;
}

/** The issues our own rules find in an agents object (the parsed file's agents part). Total. */
export function findHostIssues(agents: unknown, format: RosterFormat, version?: HostVersion): HostIssue[] {
  if (!isRecord(agents)) return [{ path: [], message: 'is not an object' }];
  const caps = capabilitiesFor(version);
  const issues: HostIssue[] = [];
  for (const key of Object.keys(agents)) {
    if (!AGENTS_KEYS[format].has(key)) issues.push({ path: [key], message: `is not accepted by a host that reads the ${format} roster` });
  }
  if (agents.defaults !== undefined) issues.push(...checkDefaults(agents.defaults, caps));
  const roster = format === 'entries' ? checkEntries(agents, caps) : checkList(agents.list, caps);
  return [...issues, ...roster];
}

function checkEntries(agents: Record<string, unknown>, caps: HostCapabilities): HostIssue[] {
  const entries = agents.entries ?? {};
  if (!isRecord(entries)) return [{ path: ['entries'], message: 'is not an object' }];
  const issues: HostIssue[] = [];
  const ids = Object.keys(entries);
  if (ids.length > 1 && agents.ownership !== 'explicit') {
    issues.push({ path: ['ownership'], message: ': a roster of more than one agent needs agents.ownership = "explicit"' });
  }
  const keys = new Set([...caps.entryKeys].filter((k) => k !== 'default'));
  for (const id of ids) checkAgent(['entries', id], id, entries[id], keys, caps, issues);
  return issues;
}

function checkList(list: unknown, caps: HostCapabilities): HostIssue[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return [{ path: ['list'], message: 'is not an array' }];
  const issues: HostIssue[] = [];
  const seen = new Set<string>();
  const keys = new Set(['id', 'default', ...caps.entryKeys]);
  let defaults = 0;
  list.forEach((item: unknown, index) => {
    if (!isRecord(item)) {
      issues.push({ path: ['list', index], message: 'is not an object' });
      return;
    }
    const id = typeof item.id === 'string' ? item.id : '';
    if (seen.has(id)) issues.push({ path: ['list', index, 'id'], message: `: id ${quote(id)} appears twice` });
    seen.add(id);
    if (item.default !== undefined && item.default !== true) issues.push({ path: ['list', index, 'default'], message: 'must be true when present' });
    if (item.default === true) defaults += 1;
    checkAgent(['list', index], id, item, keys, caps, issues);
  });
  if (defaults > 1) issues.push({ path: ['list'], message: `: ${defaults} agents are marked default; the host allows one` });
  return issues;
}

/** Values OpenClaw's `HeartbeatSchema` types as strings (every is also a duration). */
const HEARTBEAT_TEXT = ['every', 'model', 'session', 'target', 'to', 'accountId', 'prompt'];
const IDENTITY_TEXT = ['name', 'theme', 'emoji', 'avatar'];
/** Entry keys the dedicated columns write (and `id`/`default` of the list form), each checked above the free-form ones. */
const COLUMN_KEYS: ReadonlySet<string> = new Set(['id', 'default', 'model', 'subagents', 'thinkingDefault', 'heartbeat']);
const ENTRY_OBJECTS = ['tools', 'sandbox', 'params', 'groupChat', 'memory'];
const ENTRY_TEXT = ['name', 'description', 'workspace', 'cwd', 'agentDir', 'utilityModel', 'systemPromptOverride'];

/** Adds to `issues` what is wrong with one roster entry (pushed, not returned: one array for 10 000 entries). */
function checkAgent(path: (string | number)[], id: string, agent: unknown, allowed: ReadonlySet<string>, caps: HostCapabilities, issues: HostIssue[]): void {
  if (!isRecord(agent)) {
    issues.push({ path, message: 'is not an object' });
    return;
  }
  if (!AGENT_ID_PATTERN.test(id)) issues.push({ path, message: `: id ${quote(id)} is not a valid agent id` });
  // An entry holding only what the dedicated columns write (most of a big roster) skips the checks of free-form keys.
  let freeForm = false;
  for (const key of Object.keys(agent)) {
    if (!allowed.has(key)) issues.push({ path: [...path, key], message: 'is not an accepted key' });
    else if (!COLUMN_KEYS.has(key)) freeForm = true;
  }
  const model = agent.model;
  const modelOk =
    (typeof model === 'string' && model.trim() !== '') ||
    (isRecord(model) && typeof model.primary === 'string' && model.primary.trim() !== '' && isTextArray(model.fallbacks));
  if (!modelOk) issues.push({ path: [...path, 'model'], message: 'must be a non-empty string or {primary, fallbacks}' });
  if (agent.subagents !== undefined) {
    const sub = agent.subagents;
    if (!isRecord(sub)) issues.push({ path: [...path, 'subagents'], message: 'must be {allowAgents: string[]}' });
    else if (sub.allowAgents !== undefined && !isTextArray(sub.allowAgents)) issues.push({ path: [...path, 'subagents'], message: 'must be {allowAgents: string[]}' });
  }
  if (agent.thinkingDefault !== undefined && !(typeof agent.thinkingDefault === 'string' && caps.thinkingLevels.includes(agent.thinkingDefault))) {
    issues.push({ path: [...path, 'thinkingDefault'], message: `must be one of ${caps.thinkingLevels.join(', ')}` });
  }
  if (agent.heartbeat !== undefined) {
    const hb = agent.heartbeat;
    if (!isRecord(hb)) issues.push({ path: [...path, 'heartbeat'], message: 'must be an object (never a boolean)' });
    else {
      for (const key of HEARTBEAT_TEXT) if (hb[key] !== undefined && typeof hb[key] !== 'string') issues.push({ path: [...path, 'heartbeat', key], message: 'must be text' });
      if (typeof hb.every === 'string' && !isValidDuration(hb.every)) issues.push({ path: [...path, 'heartbeat', 'every'], message: 'is not a duration (use ms, s, m, h)' });
    }
  }
  if (!freeForm) return;
  if (agent.identity !== undefined) {
    const identity = agent.identity;
    if (!isRecord(identity)) issues.push({ path: [...path, 'identity'], message: 'must be an object' });
    else for (const key of IDENTITY_TEXT) if (identity[key] !== undefined && typeof identity[key] !== 'string') issues.push({ path: [...path, 'identity', key], message: 'must be text' });
  }
  for (const key of ENTRY_TEXT) if (agent[key] !== undefined && typeof agent[key] !== 'string') issues.push({ path: [...path, key], message: 'must be text' });
  if (agent.skills !== undefined && !(Array.isArray(agent.skills) && agent.skills.every((s) => typeof s === 'string'))) {
    issues.push({ path: [...path, 'skills'], message: 'must be an array of text' });
  }
  for (const key of ENTRY_OBJECTS) {
    if (agent[key] !== undefined && !isRecord(agent[key])) issues.push({ path: [...path, key], message: 'must be an object' });
  }
}

/** Integer settings of `agents.defaults.subagents` and their least value. */
const SUBAGENT_INTEGERS: Record<string, number> = {
  maxConcurrent: 1,
  maxSpawnDepth: 1,
  maxChildrenPerAgent: 1,
  archiveAfterMinutes: 0,
  runTimeoutSeconds: 0,
  announceTimeoutMs: 1,
};

function checkDefaults(defaults: unknown, caps: HostCapabilities): HostIssue[] {
  if (!isRecord(defaults)) return [{ path: ['defaults'], message: 'is not an object' }];
  const issues: HostIssue[] = [];
  for (const key of Object.keys(defaults)) {
    const value = defaults[key];
    const path = ['defaults', key];
    if (key === 'subagents') {
      if (!isRecord(value)) issues.push({ path, message: 'is not an object' });
      else issues.push(...checkSubagentDefaults(value, caps));
    } else if (key === 'thinkingDefault') {
      if (!(typeof value === 'string' && caps.thinkingLevels.includes(value))) issues.push({ path, message: `must be one of ${caps.thinkingLevels.join(', ')}` });
    } else if (DEFAULT_TARGETS.includes(key as DefaultTarget)) {
      if (!caps.systemAgent) issues.push({ path, message: 'is not accepted by this host (before 2026.8)' });
      else if (!isRecord(value) || typeof value.agentId !== 'string' || !AGENT_ID_PATTERN.test(value.agentId)) issues.push({ path, message: 'must be {agentId: <agent id>}' });
    } else {
      issues.push({ path, message: 'is not written by this plugin' });
    }
  }
  return issues;
}

function checkSubagentDefaults(sub: Record<string, unknown>, caps: HostCapabilities): HostIssue[] {
  const issues: HostIssue[] = [];
  for (const [key, value] of Object.entries(sub)) {
    const path = ['defaults', 'subagents', key];
    if (!caps.subagentDefaultKeys.has(key)) issues.push({ path, message: 'is not accepted by this host' });
    else if (Object.hasOwn(SUBAGENT_INTEGERS, key)) {
      const min = SUBAGENT_INTEGERS[key]!;
      if (!(typeof value === 'number' && Number.isInteger(value) && value >= min)) issues.push({ path, message: `must be a ${min === 1 ? 'positive' : 'non-negative'} integer` });
    } else if (key === 'requireAgentId') {
      if (typeof value !== 'boolean') issues.push({ path, message: 'must be a boolean' });
    } else if (key === 'delegationMode') {
      if (value !== 'suggest' && value !== 'prefer') issues.push({ path, message: 'must be "suggest" or "prefer"' });
    } else if (key === 'allowAgents') {
      if (!isTextArray(value)) issues.push({ path, message: 'must be an array of text' });
    } else if (typeof value !== 'string' && key !== 'model') issues.push({ path, message: 'must be text' });
  }
  return issues;
}

/** `path.key`, or `path["…"]` quoted and escaped when the key (read from the text) is not a plain name. */
function member(path: string, key: string): string {
  return /^[A-Za-z0-9_$-]+$/.test(key) ? `${path}.${key}` : `${path}[${quote(key)}]`;
}


function isTextArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
}
