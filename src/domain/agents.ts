import type { Agent, AgentRow, ModelSpec, Problem } from './types.js';

/** Agent ids the host accepts: lower case, starts with a letter or digit, at most 64 characters. */
export const AGENT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `instance_type` values that are exported; rows of any other type (e.g. 'peer') are not. */
export const EXPORTED_INSTANCE_TYPES: ReadonlySet<string> = new Set(['primary', 'subagent']);

/** Wildcard accepted in `allowed_subagents` ("any agent"). */
const ANY_AGENT = '*';

/**
 * Normalises a raw agent name into a host agent id: trimmed and lower-cased.
 * Returns undefined when the result is not a valid id (the row is then skipped, not renamed).
 */
export function normalizeAgentId(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const id = raw.trim().toLowerCase();
  return AGENT_ID_PATTERN.test(id) ? id : undefined;
}

/** How a row is named in messages: its serial id when the source has one, and its raw name. */
export function describeRow(row: AgentRow): string {
  const name = typeof row.name === 'string' ? JSON.stringify(truncate(row.name, 80)) : String(row.name);
  return row.id === undefined || row.id === null ? `agents row name=${name}` : `agents row id=${String(row.id)} (name ${name})`;
}

/**
 * Maps the rows of the agents source to validated agents, sorted by id.
 * Rows with a bad id, a missing or non-text model, or an id already taken are skipped with a problem;
 * rows whose `instance_type` is not exported (e.g. 'peer') are left out silently.
 */
export function rowsToAgents(rows: readonly AgentRow[]): { agents: Agent[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const byId = new Map<string, { agent: Agent; row: AgentRow }>();
  for (const row of [...rows].sort(compareRows)) {
    const agent = rowToAgent(row, problems);
    if (!agent) continue;
    const taken = byId.get(agent.id);
    if (taken) {
      problems.push({
        key: `agents:duplicate:${agent.id}:${rowKey(row)}`,
        message: `${describeRow(row)}: agent id "${agent.id}" is already used by ${describeRow(taken.row)}; row skipped`,
      });
      continue;
    }
    byId.set(agent.id, { agent, row });
  }
  const agents = [...byId.values()].map((entry) => entry.agent).sort((a, b) => compareText(a.id, b.id));
  return { agents: keepOneDefault(agents, problems), problems };
}

function rowToAgent(row: AgentRow, problems: Problem[]): Agent | undefined {
  const where = describeRow(row);
  const rk = rowKey(row);
  const instanceType = row.instance_type;
  if (typeof instanceType === 'string' && !EXPORTED_INSTANCE_TYPES.has(instanceType.trim().toLowerCase())) {
    return undefined;
  }
  const id = normalizeAgentId(row.name);
  if (id === undefined) {
    problems.push({
      key: `agents:bad-id:${rk}`,
      message: `${where}: name is not a valid agent id (lower case letters, digits, "-" and "_", 1-64 characters, starting with a letter or digit); row skipped`,
    });
    return undefined;
  }
  if (typeof row.model !== 'string') {
    const what = row.model === null || row.model === undefined ? 'model is NULL' : `model is not text (${typeof row.model})`;
    problems.push({ key: `agents:model:${rk}:${what}`, message: `${where}: ${what}; row not exported` });
    return undefined;
  }
  const primary = row.model.trim();
  if (primary === '') {
    problems.push({ key: `agents:model:${rk}:empty`, message: `${where}: model is empty; row not exported` });
    return undefined;
  }
  const fallbacks = textList(row.fallback_models, `${where}: fallback_models`, `agents:fallbacks:${rk}`, problems, (s) => s);
  const allowAgents = textList(row.allowed_subagents, `${where}: allowed_subagents`, `agents:allow:${rk}`, problems, (s) =>
    s.trim() === ANY_AGENT ? ANY_AGENT : normalizeAgentId(s),
  ).sort(compareText);
  const model: ModelSpec = fallbacks.length > 0 ? { primary, fallbacks } : primary;
  return { id, model, isDefault: row.is_default === true, allowAgents };
}

/**
 * Reads a text[] column: NULL means empty; NULL, empty or invalid elements are dropped with a problem;
 * duplicates are dropped silently; order is kept (fallbacks are a priority list).
 */
function textList(
  value: unknown,
  where: string,
  key: string,
  problems: Problem[],
  accept: (s: string) => string | undefined,
): string[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push({ key: `${key}:not-array`, message: `${where} is not an array; ignored` });
    return [];
  }
  const out: string[] = [];
  value.forEach((element: unknown, index) => {
    const accepted = typeof element === 'string' && element.trim() !== '' ? accept(element.trim()) : undefined;
    if (accepted === undefined) {
      problems.push({
        key: `${key}:${index}:${String(element)}`,
        message: `${where}[${index + 1}] ${element === null ? 'is NULL' : `${JSON.stringify(element)} is not valid`}; element dropped`,
      });
    } else if (!out.includes(accepted)) {
      out.push(accepted);
    }
  });
  return out;
}

/** At most one default: the first by id wins, the others lose the flag with a problem. */
function keepOneDefault(agents: Agent[], problems: Problem[]): Agent[] {
  const defaults = agents.filter((a) => a.isDefault);
  if (defaults.length <= 1) return agents;
  const [kept, ...dropped] = defaults;
  problems.push({
    key: `agents:defaults:${defaults.map((a) => a.id).join(',')}`,
    message: `agents: ${defaults.length} rows have is_default = true (${defaults.map((a) => a.id).join(', ')}); only "${kept!.id}" is marked default`,
  });
  return agents.map((a) => (dropped.includes(a) ? { ...a, isDefault: false } : a));
}

/** Deterministic row order: by serial id when present, then by raw name. */
function compareRows(a: AgentRow, b: AgentRow): number {
  const ia = numericId(a.id);
  const ib = numericId(b.id);
  if (ia !== ib) return ia < ib ? -1 : 1;
  return compareText(String(a.name), String(b.name));
}

/** Serial ids arrive as numbers (int4) or digit strings (int8 / bigserial from a view). */
function numericId(id: unknown): number {
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'bigint') return Number(id);
  if (typeof id === 'string' && /^-?\d+$/.test(id)) return Number(id);
  return Number.POSITIVE_INFINITY;
}

function rowKey(row: AgentRow): string {
  return `${String(row.id)}/${String(row.name)}`;
}

/** Code-unit order, independent of locale, so the output is the same on every machine. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
