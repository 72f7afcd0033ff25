/**
 * Shared shapes of the pure domain: what a snapshot holds, what the renderer produces.
 * Nothing here performs I/O.
 */

/** One row of `agent_system_config` (or whatever the query returned for it). */
export interface SystemConfigRow {
  key: unknown;
  value: unknown;
  value_type?: unknown;
}

/** One row of the agents source: column name → value, exactly as pg returned it. */
export type AgentRow = Record<string, unknown>;

/** Both tables, read in one REPEATABLE READ transaction. */
export interface Snapshot {
  agents: AgentRow[];
  systemConfig: SystemConfigRow[];
  /** Optional agents columns that exist in the source (name and model are required). */
  columns: readonly string[];
  /**
   * The change ledger's high-water mark seen by this snapshot: the highest id of
   * agent_config_changes (a bigint as decimal text; '0' when the ledger is empty), read in the same
   * transaction, so the render is "through change N". Undefined when the ledger is missing or this
   * role may not read it (the render is the same; only the change ids are unknown).
   */
  through?: string;
  /**
   * The ledger's changes after the id the reader was asked about (the one the file held) up to
   * `through`, oldest first, at most 100: who made the changes this render brings, for the write's log
   * line. Undefined when not asked or the ledger is not readable.
   */
  changes?: readonly ChangeAuthor[];
}

/** Who made one recorded change: its ledger id, the actor it was made for, the login role and the application. */
export interface ChangeAuthor {
  id: string;
  actor: string;
  role: string;
  application: string | null;
}

/** Roster shape of the host: keyed `entries` (≥ 2026.8) or the legacy `list`. */
export type RosterFormat = 'entries' | 'list';

/** `root`: the file is `{"agents": {...}}`; `section`: the file is the agents object itself. */
export type Layout = 'root' | 'section';

/** Roster format option: `auto` follows the host version. */
export type FormatOption = RosterFormat | 'auto';
/** Layout option: `auto` follows how openclaw.json includes the file. */
export type LayoutOption = Layout | 'auto';

/** A problem found in the data. `key` identifies the problem, so it is reported once. */
export interface Problem {
  key: string;
  message: string;
}

/** The model of one agent: a string, or primary plus ordered fallbacks. */
export type ModelSpec = string | { primary: string; fallbacks: string[] };

/** `heartbeat` of one agent (docs/design.md §10): never a boolean. */
export interface Heartbeat {
  every: string;
  target?: string;
  to?: string;
}

/** One exported agent, already validated. */
export interface Agent {
  id: string;
  model: ModelSpec;
  isDefault: boolean;
  allowAgents: string[];
  /** From `thinking`: a level the host accepts. */
  thinkingDefault?: string;
  /** From `heartbeat_*`. */
  heartbeat?: Heartbeat;
  /**
   * Further entry settings from `openclaw_config` (JSON values only, blocked keys and leaves a
   * column also sets already removed); deep-merged under the column values when rendered.
   */
  settings?: Record<string, unknown>;
  /** How messages name the row this agent came from (escaped, bounded). */
  row?: string;
}

/** A value of the system-config whitelist. */
export type DefaultValue = number | string | boolean;

/** Values for `agents.defaults`, already validated (docs/design.md §3), in the whitelist's order. */
export interface Defaults {
  /** `agents.defaults.thinkingDefault`. */
  thinkingDefault?: string;
  /** `agents.defaults.subagents.<property>`. */
  subagents?: Record<string, DefaultValue>;
}

/** What a snapshot means, before it is laid out as text. */
export interface AgentsModel {
  agents: Agent[];
  defaults: Defaults;
}

/** The output of render: the exact bytes to write plus what they hold. */
export interface Rendered {
  text: string;
  agentCount: number;
  problems: Problem[];
  /** What the text holds, so a checker can leave out a setting the host rejects and render again. */
  model?: AgentsModel;
  /** What the host's own schema rejects and no single setting or agent could be left out for: the file is not written. */
  rejected?: string[];
  /**
   * What our own rules for the host find in exactly this text (empty: nothing), when the render found
   * it on the object the text was made from; the guard then need not parse the text again. A render
   * without it (e.g. after a checker left a setting out), or found for other render options
   * (`for`, see `rulesKey`), is checked from its text.
   */
  ourRules?: { reasons: string[]; for: string };
}

/** What a write did: replaced the file, or found the bytes already on disk. */
export type WriteOutcome = 'written' | 'unchanged';
