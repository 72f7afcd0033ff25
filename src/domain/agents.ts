import { dropCollisions, literalText, readHeartbeat, readOpenclawConfig, readStatus, readThinking, type SettingsContext } from './agentSettings.js';
import { leaveOutConflicts } from './conflicts.js';
import { durationMs } from './duration.js';
import { capabilitiesFor } from './hostCapabilities.js';
import type { HostVersion } from './hostProfile.js';
import { hostEscapesEnv } from './literalText.js';
import { isPlainObject } from './records.js';
import { compilePolicy, type RowPolicy } from './rowPolicy.js';
import { makeRowReader, UNREPORTED, type RowReader } from './rowReader.js';
import { hasControlCharacters, kindOf, showThrown, showValue, valueKey } from './safeText.js';
import type { Agent, AgentRow, ModelSpec, Problem } from './types.js';

/** Agent ids the host accepts: lower case, starts with a letter or digit, at most 64 characters. */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Names accepted before lower-casing: ASCII only, so no Unicode case mapping (the Kelvin sign "K" → "k") makes an id. */
const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * At most this many elements of one list (`fallback_models`, `allowed_subagents`) are read; a longer
 * list is warned once and cut, so one row cannot make a resync slow (issue 11, item 5).
 */
export const MAX_LIST_ELEMENTS = 1_000;

/** Lists up to this long are checked for duplicates by a scan, longer ones with a Set. */
const SHORT_LIST = 8;

/** At most this many dropped elements of one list are warned one by one; the rest are counted in one more problem. */
export const MAX_ELEMENT_PROBLEMS = 10;

/** Longest model reference accepted, in characters; a longer text is bad data, not a model. */
export const MAX_MODEL_CHARS = 1_024;

/**
 * `instance_type` values that are exported; rows of any other type (e.g. 'peer') are not, except a
 * row with `is_default = true` (a scoped source such as upstream's `get_agent_export_rows()` returns
 * the gateway's own row, a 'peer' on peer gateways, as its default; docs/design.md §3).
 */
export const EXPORTED_INSTANCE_TYPES: ReadonlySet<string> = new Set(['primary', 'subagent']);

/** Wildcard accepted in `allowed_subagents` ("any agent"). */
const ANY_AGENT = '*';

/**
 * Normalises a raw agent name into a host agent id: trimmed and lower-cased.
 * Returns undefined when the result is not a valid id (the row is then skipped, not renamed).
 */
export function normalizeAgentId(raw: unknown): string | undefined {
  // Cheap bound first: a 1 MiB "name" is not trimmed, lower-cased or matched.
  if (typeof raw !== 'string' || raw.length > MAX_MODEL_CHARS) return undefined;
  const name = raw.trim();
  return AGENT_NAME_PATTERN.test(name) ? name.toLowerCase() : undefined;
}

/**
 * How a row is named in messages: its serial id when the source has one, and its raw name, both
 * escaped and bounded (a name with a newline or an ANSI escape cannot split or forge a log line).
 */
export function describeRow(row: AgentRow): string {
  const name = showValue(row.name);
  return row.id === undefined || row.id === null ? `agents row name=${name}` : `agents row id=${showId(row.id)} (name ${name})`;
}

/** What reading rows depends on: the host version (the thinking levels it accepts, whether it can escape `${`) and the operator's row policy. */
export interface ReadOptions {
  version?: HostVersion;
  /** Which `openclaw_config` paths a row may set, and the heartbeat floor. Defaults to the default policy (src/domain/rowPolicy.ts). */
  policy?: RowPolicy;
}

/**
 * Maps the rows of the agents source to validated agents, sorted by id.
 * Rows with a bad id, a missing or non-text model, or an id already taken are skipped with a problem;
 * rows whose `status` is not NULL/active, or whose `instance_type` is not exported (e.g. 'peer',
 * unless the row is the default), are left out silently.
 * Total: whatever the rows hold, nothing throws; the work is linear in the size of the rows
 * (plus the sort), with each list read up to {@link MAX_LIST_ELEMENTS}.
 */
export function rowsToAgents(rows: readonly AgentRow[], options: ReadOptions = {}): { agents: Agent[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const levels = capabilitiesFor(options.version).thinkingLevels;
  const context: SettingsContext = { policy: compilePolicy(options.policy), escape: hostEscapesEnv(options.version) };
  const fallback = (text: string) => readModelText(text, context); // one closure per render, not per row
  const byId = new Map<string, Agent>();
  for (const row of orderRows(rows)) {
    let agent: Agent | undefined;
    try {
      agent = rowToAgent(row, levels, context, fallback, problems);
    } catch (error) {
      // Defence in depth: every coercion below is total, but a row that still manages to throw
      // costs only itself.
      problems.push({ key: `agents:unreadable:${rowKey(row)}`, message: `${describeRow(row)}: could not be read (${showThrown(error)}); row skipped` });
      continue;
    }
    if (!agent) continue;
    const taken = byId.get(agent.id);
    if (taken) {
      problems.push({
        key: `agents:duplicate:${agent.id}:${rowKey(row)}`,
        message: `${describeRow(row)}: agent id "${agent.id}" is already used by ${taken.row}; row skipped`,
      });
      continue;
    }
    byId.set(agent.id, agent);
  }
  // Ids sorted by the built-in sort (code-unit order, as compareText): no call into a comparator per pair.
  const agents = [...byId.keys()].sort().map((id) => byId.get(id)!);
  return { agents: keepOneDefault(leaveOutConflicts(agents, problems), problems), problems };
}

function rowToAgent(
  row: AgentRow,
  levels: readonly string[],
  context: SettingsContext,
  fallback: (text: string) => string | undefined,
  problems: Problem[],
): Agent | undefined {
  const reader = makeRowReader(describeRow(row), rowKey(row), problems);
  if (!readStatus(row.status, reader)) return undefined;
  const instanceType = row.instance_type;
  if (typeof instanceType === 'string') {
    if (!EXPORTED_INSTANCE_TYPES.has(instanceType.trim().toLowerCase()) && row.is_default !== true) return undefined;
  } else if (instanceType !== null && instanceType !== undefined) {
    reader.warn(`${reader.key('instance_type')}:${kindOf(instanceType)}`, `instance_type is not text (${kindOf(instanceType)}); row not exported`);
    return undefined;
  }
  const id = normalizeAgentId(row.name);
  if (id === undefined) {
    reader.warn(
      reader.key('bad-id'),
      'name is not a valid agent id (lower case letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit); row skipped',
    );
    return undefined;
  }
  const primary = readModel(row.model, reader, context);
  if (primary === undefined) return undefined;
  if (!isUsableId(row.id)) reader.warn(reader.key('serial-id'), `id is not a number or text (${kindOf(row.id)}); ignored (the row is ordered by its name)`);
  const fallbacks = textList(row.fallback_models, reader, 'fallback_models', 'fallbacks', fallback);
  const allowAgents = textList(row.allowed_subagents, reader, 'allowed_subagents', 'allow', (s) => (s === ANY_AGENT ? ANY_AGENT : normalizeAgentId(s))).sort(compareText);
  const model: ModelSpec = fallbacks.length > 0 ? { primary, fallbacks } : primary;
  const agent: Agent = { id, model, isDefault: readDefault(row.is_default, reader), allowAgents, row: reader.where };
  const thinkingDefault = readThinking(row.thinking, levels, reader);
  if (thinkingDefault !== undefined) agent.thinkingDefault = thinkingDefault;
  const heartbeat = readHeartbeat(row, reader, context);
  if (heartbeat !== undefined) agent.heartbeat = heartbeat;
  const settings = readOpenclawConfig(row.openclaw_config, reader, context);
  if (settings !== undefined) {
    if (settings.heartbeat !== undefined && Object.hasOwn(row, 'heartbeat_enabled') && heartbeat === undefined) {
      // The column decides whether there is a heartbeat at all: a disabled one must not come back through openclaw_config.
      delete settings.heartbeat;
      const why = row.heartbeat_enabled === true ? 'heartbeat_enabled is true but the heartbeat columns give no usable heartbeat' : 'heartbeat_enabled is not true';
      reader.warn(`${reader.key('openclaw_config')}:heartbeat-off`, `openclaw_config.heartbeat left out: ${why} (the heartbeat columns decide whether the agent has one)`);
    }
    dropCollisions(settings, columnValues(agent), columnOf, reader);
    if (Object.keys(settings).length > 0) agent.settings = settings;
  }
  raiseToFloor(agent, context, reader);
  return agent;
}

/**
 * `heartbeat.every` (from the column, or from openclaw_config when the table has no heartbeat columns)
 * shorter than the policy's floor is raised to the floor, warned: a row cannot make the host wake an
 * agent, and pay its model, more often than the operator allows.
 */
function raiseToFloor(agent: Agent, context: SettingsContext, row: RowReader): void {
  const { floorMs, floorText } = context.policy;
  if (floorMs <= 0) return;
  const fromSettings = isPlainObject(agent.settings?.heartbeat) ? (agent.settings.heartbeat as Record<string, unknown>) : undefined;
  const holder: { every?: unknown } | undefined = agent.heartbeat ?? fromSettings;
  const every = holder?.every;
  if (typeof every !== 'string') return;
  const ms = durationMs(every);
  if (ms === undefined || ms >= floorMs) return;
  holder!.every = floorText;
  row.warn(`${row.key('heartbeat-floor')}:${valueKey(every)}`, `heartbeat every ${showValue(every)} is shorter than minHeartbeatEvery (${showValue(floorText)}); raised to it`);
}

/**
 * The entry keys the dedicated columns set for this agent (what wins over `openclaw_config`), in the
 * entry's key order (`model` first, the rest sorted), so an agent without settings renders as this.
 */
export function columnValues(agent: Agent): Record<string, unknown> {
  const out: Record<string, unknown> = { model: agent.model };
  if (agent.heartbeat !== undefined) out.heartbeat = { ...agent.heartbeat };
  if (agent.allowAgents.length > 0) out.subagents = { allowAgents: agent.allowAgents };
  if (agent.thinkingDefault !== undefined) out.thinkingDefault = agent.thinkingDefault;
  return out;
}

/** The column that sets an entry path (for collision messages). */
function columnOf(path: readonly string[]): string {
  switch (path[0]) {
    case 'model':
      return 'model';
    case 'thinkingDefault':
      return 'thinking';
    case 'heartbeat':
      return path[1] === undefined ? 'heartbeat_*' : `heartbeat_${path[1]}`;
    default:
      return 'allowed_subagents';
  }
}

/** The primary model: non-empty text of at most {@link MAX_MODEL_CHARS} without control characters, literal for the host. */
function readModel(value: unknown, row: RowReader, context: SettingsContext): string | undefined {
  const key = row.key('model');
  if (typeof value !== 'string') {
    const what = value === null || value === undefined ? 'model is NULL' : `model is not text (${kindOf(value)})`;
    row.warn(`${key}:${what}`, `${what}; row not exported`);
    return undefined;
  }
  if (value.length > MAX_MODEL_CHARS) {
    row.warn(`${key}:long`, `model is longer than ${MAX_MODEL_CHARS} characters; row not exported`);
    return undefined;
  }
  const primary = value.trim();
  if (primary === '') {
    row.warn(`${key}:empty`, 'model is empty; row not exported');
    return undefined;
  }
  if (hasControlCharacters(primary)) {
    row.warn(`${key}:control:${valueKey(primary)}`, `model ${showValue(primary)} contains control characters; row not exported`);
    return undefined;
  }
  return primary.includes('${') ? literalText(primary, context, row, 'model') : primary;
}

/**
 * A fallback model reference (already trimmed and non-empty): bounded, no control characters, literal
 * for the host (else dropped, and the list reader warns about the element).
 */
function readModelText(text: string, context: SettingsContext): string | undefined {
  if (text.length > MAX_MODEL_CHARS || hasControlCharacters(text)) return undefined;
  return text.includes('${') ? literalText(text, context, UNREPORTED, 'fallback_models') : text;
}

/** `is_default`: true only for boolean true; NULL or missing is false; anything else is warned and false. */
function readDefault(value: unknown, row: RowReader): boolean {
  if (typeof value === 'boolean') return value;
  if (value !== null && value !== undefined) row.warn(`${row.key('is_default')}:${valueKey(value)}`, `is_default is not boolean (${showValue(value)}); treated as false`);
  return false;
}

/**
 * Reads a text[] column: NULL means empty; NULL, empty or invalid elements are dropped with a problem;
 * duplicates are dropped silently; order is kept (fallbacks are a priority list). Linear: at most
 * {@link MAX_LIST_ELEMENTS} elements are read (a longer list is warned once and cut), duplicates are
 * found by a scan of a short list (at most {@link SHORT_LIST}) or with a Set, and at most
 * {@link MAX_ELEMENT_PROBLEMS} dropped elements are warned one by one.
 */
function textList(
  value: unknown,
  // The column as messages name it, and the kind its problem keys carry (`agents:fallbacks:<row key>`).
  row: RowReader,
  column: string,
  kind: string,
  accept: (s: string) => string | undefined,
): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    row.warn(`${row.key(kind)}:not-array`, `${column} is not an array (${showValue(value)}); ignored`);
    return [];
  }
  const total = value.length;
  const read = Math.min(total, MAX_LIST_ELEMENTS);
  if (total > read) row.warn(`${row.key(kind)}:cut`, `${column} has ${total} elements; only the first ${MAX_LIST_ELEMENTS} are read`);
  const out: string[] = [];
  // Duplicates: a scan of the few kept so far; a Set only for a long list (linear either way).
  const seen = read > SHORT_LIST ? new Set<string>() : undefined;
  let dropped = 0;
  for (let index = 0; index < read; index += 1) {
    const element: unknown = value[index];
    const text = typeof element === 'string' ? element.trim() : '';
    const accepted = text !== '' ? accept(text) : undefined;
    if (accepted === undefined) {
      dropped += 1;
      if (dropped > MAX_ELEMENT_PROBLEMS) continue;
      row.warn(
        `${row.key(kind)}:${index}:${valueKey(element)}`,
        `${column}[${index + 1}] ${element === null ? 'is NULL' : `${showValue(element)} is not valid`}; element dropped`,
      );
    } else if (seen ? !seen.has(accepted) : !out.includes(accepted)) {
      seen?.add(accepted);
      out.push(accepted);
    }
  }
  if (dropped > MAX_ELEMENT_PROBLEMS) {
    row.warn(`${row.key(kind)}:more-dropped`, `${column}: ${dropped - MAX_ELEMENT_PROBLEMS} more invalid elements dropped (${dropped} in all)`);
  }
  return out;
}

/** At most one default: the first by id wins, the others lose the flag with a problem. Linear. */
function keepOneDefault(agents: Agent[], problems: Problem[]): Agent[] {
  const defaults = agents.filter((a) => a.isDefault);
  if (defaults.length <= 1) return agents;
  const kept = defaults[0]!;
  const ids = defaults.map((a) => a.id);
  const shown = ids.length > SHOWN_IDS ? `${ids.slice(0, SHOWN_IDS).join(', ')}, … (+${ids.length - SHOWN_IDS} more)` : ids.join(', ');
  problems.push({
    key: `agents:defaults:${valueKey(ids.join(','))}`,
    message: `agents: ${defaults.length} rows have is_default = true (${shown}); only "${kept.id}" is marked default`,
  });
  return agents.map((a) => (a.isDefault && a !== kept ? { ...a, isDefault: false } : a));
}

/** Ids spelled out in one message before the rest are counted. */
const SHOWN_IDS = 10;

/**
 * Deterministic row order: by serial id when present, then by raw name, then by the values' keys.
 * Each row's sort keys are computed once (not per comparison), without calling into the values.
 */
function orderRows(rows: readonly AgentRow[]): readonly AgentRow[] {
  if (inOrder(rows)) return rows; // a table read in id order, the usual case: nothing to sort
  const keyed: { row: AgentRow; id: number; name: string; tie?: string }[] = rows.map((row) => ({ row, id: numericId(row.id), name: sortName(row.name) }));
  // The last tie-break (the values' keys) is needed only for rows whose id and name are equal: computed then, once per row.
  const tie = (k: (typeof keyed)[number]): string => (k.tie ??= rowKey(k.row));
  keyed.sort((a, b) => (a.id !== b.id ? (a.id < b.id ? -1 : 1) : compareText(a.name, b.name) || compareText(tie(a), tie(b))));
  return keyed.map((k) => k.row);
}

/** Whether the rows are already strictly ordered by serial id (finite, distinct numbers), so the sort would change nothing. */
function inOrder(rows: readonly AgentRow[]): boolean {
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    const id = numericId(row.id);
    if (!(id > last) || id === Number.POSITIVE_INFINITY) return false;
    last = id;
  }
  return true;
}

/** Serial ids arrive as numbers (int4) or digit strings (int8 / bigserial from a view). */
function numericId(id: unknown): number {
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'bigint') return Number(id);
  if (typeof id === 'string' && id.length <= 40 && /^-?\d+$/.test(id)) return Number(id);
  return Number.POSITIVE_INFINITY;
}

/** A serial id the row can be ordered and named by: a finite number, a bigint, or text (uuid, int8). */
function isUsableId(id: unknown): boolean {
  return id === null || id === undefined || typeof id === 'string' || typeof id === 'bigint' || (typeof id === 'number' && Number.isFinite(id));
}

/** Digits are shown as they are; anything else quoted and escaped. */
function showId(id: unknown): string {
  if (typeof id === 'number' || typeof id === 'bigint') return showValue(id);
  if (typeof id === 'string' && id.length <= 40 && /^-?\d+$/.test(id)) return id;
  return showValue(id, 40);
}

function sortName(name: unknown): string {
  return typeof name === 'string' ? name : `\uffff${valueKey(name)}`;
}

/** Identifies a row in problem keys, bounded and total: `<id>/<name>` as the values read. */
function rowKey(row: AgentRow): string {
  return `${keyPart(row.id)}/${keyPart(row.name)}`;
}

function keyPart(value: unknown): string {
  return typeof value === 'number' || typeof value === 'bigint' ? showValue(value) : valueKey(value);
}

/** Code-unit order, independent of locale, so the output is the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
