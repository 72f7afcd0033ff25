import type { Layout, RosterFormat } from './types.js';
import { isRecord } from './records.js';

/** What an agents file holds, read back from its text (for `status` and `doctor`). */
export interface RosterSummary {
  /** False when the text is not JSON or not an agents file of either layout. */
  readable: boolean;
  /** `root` when the text is `{"agents": {...}}`, `section` when it is the agents object itself. */
  layout?: Layout;
  /** `entries` or `list`; undefined for an agents object with neither. */
  format?: RosterFormat;
  /** Agent ids in file order. */
  agentIds: string[];
  /** `agents.defaults`, when set. */
  defaults?: unknown;
}

const AGENTS_OBJECT_KEYS = new Set(['defaults', 'ownership', 'entries', 'list']);

/** Summarises an agents file's text, whatever its layout and roster shape. Never throws. */
export function summarizeRoster(text: string | undefined): RosterSummary {
  const unreadable: RosterSummary = { readable: false, agentIds: [] };
  if (text === undefined) return unreadable;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return unreadable;
  }
  if (!isRecord(parsed)) return unreadable;
  let layout: Layout;
  let agents: unknown;
  if (Object.hasOwn(parsed, 'agents')) {
    layout = 'root';
    agents = parsed.agents;
  } else if (Object.keys(parsed).every((k) => AGENTS_OBJECT_KEYS.has(k))) {
    layout = 'section';
    agents = parsed;
  } else {
    return unreadable;
  }
  if (!isRecord(agents)) return { readable: false, layout, agentIds: [] };
  const defaults = agents.defaults;
  if (Array.isArray(agents.list)) {
    const agentIds = agents.list.map((item) => (isRecord(item) && typeof item.id === 'string' ? item.id : '?'));
    return { readable: true, layout, format: 'list', agentIds, defaults };
  }
  if (isRecord(agents.entries)) return { readable: true, layout, format: 'entries', agentIds: Object.keys(agents.entries), defaults };
  return { readable: true, layout, agentIds: [], defaults };
}
