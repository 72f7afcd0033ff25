import { AGENT_ID_PATTERN } from './agents.js';
import { quote } from './safeText.js';
import type { Layout, RosterFormat } from './types.js';

/** OpenClaw refuses an `$include`d file larger than this (src/config/includes.ts). */
export const MAX_INCLUDE_BYTES = 2 * 1024 * 1024;

const AGENTS_KEYS: Record<RosterFormat, ReadonlySet<string>> = {
  entries: new Set(['defaults', 'ownership', 'entries']),
  list: new Set(['defaults', 'list']),
};
const ENTRY_KEYS: ReadonlySet<string> = new Set(['model', 'subagents']);
const LIST_ITEM_KEYS: ReadonlySet<string> = new Set(['id', 'default', 'model', 'subagents']);

/**
 * Checks a file's text against the rules of the host that will read it (DESIGN §4), before it
 * replaces the current file. Returns the reasons it would be rejected; empty means acceptable.
 * A file the host rejects is worse than no change: it can put an old gateway into a restore loop.
 */
export function checkForHost(text: string, format: RosterFormat, layout: Layout): string[] {
  const reasons: string[] = [];
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INCLUDE_BYTES) reasons.push(`file is ${bytes} bytes; OpenClaw includes at most ${MAX_INCLUDE_BYTES}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return [...reasons, `not valid JSON: ${(error as Error).message}`];
  }
  let agents: unknown = parsed;
  if (layout === 'root') {
    if (!isObject(parsed) || Object.keys(parsed).join() !== 'agents') return [...reasons, 'root layout must hold exactly one key, "agents"'];
    agents = parsed.agents;
  }
  if (!isObject(agents)) return [...reasons, 'agents is not an object'];
  for (const key of Object.keys(agents)) {
    if (!AGENTS_KEYS[format].has(key)) reasons.push(`${member('agents', key)} is not accepted by a host that reads the ${format} roster`);
  }
  if (agents.defaults !== undefined) reasons.push(...checkDefaults(agents.defaults));
  const roster = format === 'entries' ? checkEntries(agents) : checkList(agents.list);
  return [...reasons, ...roster];
}

function checkEntries(agents: Record<string, unknown>): string[] {
  const entries = agents.entries ?? {};
  if (!isObject(entries)) return ['agents.entries is not an object'];
  const reasons: string[] = [];
  const ids = Object.keys(entries);
  if (ids.length > 1 && agents.ownership !== 'explicit') {
    reasons.push('a roster of more than one agent needs agents.ownership = "explicit"');
  }
  for (const id of ids) {
    reasons.push(...checkAgent(member('agents.entries', id), id, entries[id], ENTRY_KEYS));
  }
  return reasons;
}

function checkList(list: unknown): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return ['agents.list is not an array'];
  const reasons: string[] = [];
  const seen = new Set<string>();
  let defaults = 0;
  list.forEach((item: unknown, index) => {
    const where = `agents.list[${index}]`;
    if (!isObject(item)) {
      reasons.push(`${where} is not an object`);
      return;
    }
    const id = typeof item.id === 'string' ? item.id : '';
    if (seen.has(id)) reasons.push(`${where}: id ${quote(id)} appears twice`);
    seen.add(id);
    if (item.default !== undefined && item.default !== true) reasons.push(`${where}.default must be true when present`);
    if (item.default === true) defaults += 1;
    reasons.push(...checkAgent(where, id, item, LIST_ITEM_KEYS));
  });
  if (defaults > 1) reasons.push(`${defaults} agents are marked default; the host allows one`);
  return reasons;
}

function checkAgent(where: string, id: string, agent: unknown, allowed: ReadonlySet<string>): string[] {
  if (!isObject(agent)) return [`${where} is not an object`];
  const reasons: string[] = [];
  if (!AGENT_ID_PATTERN.test(id)) reasons.push(`${where}: id ${quote(id)} is not a valid agent id`);
  for (const key of Object.keys(agent)) if (!allowed.has(key)) reasons.push(`${member(where, key)} is not an accepted key`);
  const model = agent.model;
  const modelOk =
    (typeof model === 'string' && model.trim() !== '') ||
    (isObject(model) && typeof model.primary === 'string' && model.primary.trim() !== '' && isTextArray(model.fallbacks));
  if (!modelOk) reasons.push(`${where}.model must be a non-empty string or {primary, fallbacks}`);
  if (agent.subagents !== undefined) {
    const sub = agent.subagents;
    if (!isObject(sub) || !isTextArray(sub.allowAgents) || Object.keys(sub).some((k) => k !== 'allowAgents')) {
      reasons.push(`${where}.subagents must be {allowAgents: string[]}`);
    }
  }
  return reasons;
}

function checkDefaults(defaults: unknown): string[] {
  if (!isObject(defaults)) return ['agents.defaults is not an object'];
  const sub = defaults.subagents;
  if (!isObject(sub)) return ['agents.defaults.subagents is not an object'];
  return Object.entries(sub)
    .filter(([, value]) => !(typeof value === 'number' && Number.isInteger(value) && value >= 1))
    .map(([key]) => `${member('agents.defaults.subagents', key)} must be a positive integer`);
}

/** `path.key`, or `path["…"]` quoted and escaped when the key (read from the text) is not a plain name. */
function member(path: string, key: string): string {
  return /^[A-Za-z0-9_$-]+$/.test(key) ? `${path}.${key}` : `${path}[${quote(key)}]`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTextArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
}
