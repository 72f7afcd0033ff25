/**
 * The change ledger (agent_config_changes) as the CLI and the write log line show it. Pure: rows
 * come in as the driver returned them, text goes out.
 *
 * Every value here was written by a database trigger from rows anyone with INSERT could shape, so
 * parsing is total (a row that does not fit is dropped, never thrown on) and every value shown goes
 * through showValue/quote: a name holding a newline or a terminal escape cannot split or forge a line.
 */
import { durationMs } from './duration.js';
import { quote, showValue } from './safeText.js';

export type LedgerOperation = 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';

/** One recorded row state: the mapped columns only, by name. */
export type LedgerRow = Readonly<Record<string, unknown>>;

/** One change, as recorded by the trigger in the writer's transaction. */
export interface LedgerChange {
  /** The ledger id, a bigint as decimal text. */
  readonly id: string;
  /** When the change was made (ISO 8601, UTC). */
  readonly at: string;
  /** Who it was for: the application's agent_config_sync.actor, else the login role. */
  readonly actor: string;
  /** The login role (session_user) that made it. */
  readonly role: string;
  readonly application: string | null;
  readonly clientAddr: string | null;
  /** The table: agents or agent_system_config. */
  readonly source: string;
  /** The agent name or config key (none for a TRUNCATE). */
  readonly key: string | null;
  readonly operation: LedgerOperation;
  /** The row before (UPDATE, DELETE), mapped columns only. */
  readonly old: LedgerRow | null;
  /** The row after (INSERT, UPDATE), mapped columns only. */
  readonly new: LedgerRow | null;
  /** The rows a TRUNCATE removed, mapped columns only (empty for other operations). */
  readonly removed: readonly LedgerRow[];
  /** Every column whose value changed, mapped or not (unmapped ones are recorded by name only). */
  readonly changed: readonly string[];
}

const OPERATIONS: readonly string[] = ['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'];

function isRow(value: unknown): value is LedgerRow {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function time(value: unknown): string | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'string') return null;
  const parsed = new Date(value);
  return Number.isNaN(parsed.getTime()) ? null : parsed.toISOString();
}

/**
 * One ledger row as node-postgres returns it (`SELECT id, at, actor, db_role, application_name,
 * client_addr, source, key, operation, old, new, changed`), or undefined when it does not fit.
 */
export function parseLedgerRow(raw: Readonly<Record<string, unknown>>): LedgerChange | undefined {
  const id = typeof raw.id === 'number' ? String(raw.id) : text(raw.id);
  const at = time(raw.at);
  const operation = text(raw.operation);
  const source = text(raw.source);
  if (id === null || !/^\d+$/.test(id) || at === null || operation === null || !OPERATIONS.includes(operation) || source === null) return undefined;
  const isTruncate = operation === 'TRUNCATE';
  return {
    id,
    at,
    actor: text(raw.actor) ?? '',
    role: text(raw.db_role) ?? '',
    application: text(raw.application_name),
    clientAddr: text(raw.client_addr),
    source,
    key: text(raw.key),
    operation: operation as LedgerOperation,
    old: !isTruncate && isRow(raw.old) ? raw.old : null,
    new: isRow(raw.new) ? raw.new : null,
    removed: isTruncate && Array.isArray(raw.old) ? raw.old.filter(isRow) : [],
    changed: Array.isArray(raw.changed) ? raw.changed.filter((c): c is string => typeof c === 'string') : [],
  };
}

/** Ledger ids compare as numbers (bigints as text): shorter is smaller, then by digits. */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * The part of a write's log line that says which changes it brought and who made them:
 * `(change 42 by alice via psql)`, `(changes 41–43 by alice, bob via psql, console)`; '' for none.
 * Actors and applications are listed once each, in the order of their first change. `through` (the
 * snapshot's high-water mark) ends the range when the list was cut short by a read limit; the
 * authors then end with "…", as the later changes' authors were not read.
 */
export function describeChanges(changes: readonly Pick<LedgerChange, 'id' | 'actor' | 'role' | 'application'>[], through?: string): string {
  if (changes.length === 0) return '';
  const ids = changes.map((c) => c.id).sort(compareIds);
  const first = ids[0]!;
  const read = ids[ids.length - 1]!;
  const cut = through !== undefined && /^\d+$/.test(through) && compareIds(through, read) > 0;
  const last = cut ? through : read;
  const which = first === last ? `change ${first}` : `changes ${first}–${last}`;
  const distinct = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null && v !== ''))].map((v) => shown(v));
  const actors = [...new Set(changes.filter((c) => c.actor !== '').map((c) => who(c.actor, c.role)))];
  const apps = distinct(changes.map((c) => c.application));
  const more = cut ? ', …' : '';
  return `(${which}${actors.length > 0 ? ` by ${actors.join(', ')}${more}` : ''}${apps.length > 0 ? ` via ${apps.join(', ')}${more}` : ''})`;
}

/**
 * Who made a change: the actor, and the login role beside it when they differ. Any writer may set
 * agent_config_sync.actor to any text, another person's name included; the role is what PostgreSQL
 * authenticated, so a reader is never left with the writer's word alone.
 */
function who(actor: string, role: string): string {
  return `${shown(actor)}${actor !== role ? ` (role ${shown(role)})` : ''}`;
}

/** A name as a log line may show it: bare when it is plain, else quoted and escaped. */
function shown(value: string): string {
  const quoted = quote(value, 60);
  return /^"[\w.@:/+-]*"$/.test(quoted) ? quoted.slice(1, -1) : quoted;
}

/** What a change did, in words: `model: "m/one" → "m/two"; also changed: api_key (value not recorded)`. */
export function describeEffect(change: LedgerChange): string {
  if (change.operation === 'TRUNCATE') {
    const names = change.removed.map((row) => rowName(change.source, row));
    return `removed ${change.removed.length} row${change.removed.length === 1 ? '' : 's'}${names.length > 0 ? `: ${names.join(', ')}` : ''}`;
  }
  const parts: string[] = [];
  const unrecorded: string[] = [];
  for (const column of change.changed) {
    const inOld = change.old !== null && Object.hasOwn(change.old, column);
    const inNew = change.new !== null && Object.hasOwn(change.new, column);
    // Column names are the table owner's text (any name PostgreSQL allows, a newline or an escape
    // included): shown as names are, never raw.
    if (!inOld && !inNew) {
      unrecorded.push(shown(column));
      continue;
    }
    const before = inOld ? showValue(change.old![column]) : undefined;
    const after = inNew ? showValue(change.new![column]) : undefined;
    if (change.operation === 'UPDATE') parts.push(`${shown(column)}: ${before ?? 'null'} → ${after ?? 'null'}`);
    else parts.push(`${shown(column)}: ${change.operation === 'INSERT' ? after : before}`);
  }
  if (unrecorded.length > 0) parts.push(`${parts.length > 0 ? 'also ' : ''}changed: ${unrecorded.join(', ')} (value not recorded)`);
  if (parts.length === 0) parts.push('no column changed');
  return parts.join('; ');
}

function rowName(source: string, row: LedgerRow): string {
  const value = row[source === 'agent_system_config' ? 'key' : 'name'];
  return typeof value === 'string' ? shown(value) : showValue(value);
}

/** The history as text, one change per line (in the order given: newest first from the reader). */
export function formatHistory(changes: readonly LedgerChange[]): string {
  if (changes.length === 0) return 'no changes recorded (for this filter)\n';
  return changes
    .map((c) => {
      const by = `${who(c.actor, c.role)}${c.application ? ` via ${shown(c.application)}` : ''}`;
      const what = `${c.source}${c.key !== null ? ` ${shown(c.key)}` : ''} ${c.operation}`;
      return `${c.id}  ${c.at}  ${by}  ${what}: ${describeEffect(c)}\n`;
    })
    .join('');
}

/** One change as `history --json` prints it. */
export function historyEntry(change: LedgerChange): Record<string, unknown> {
  return {
    id: change.id,
    at: change.at,
    actor: change.actor,
    role: change.role,
    application: change.application,
    clientAddr: change.clientAddr,
    source: change.source,
    key: change.key,
    operation: change.operation,
    old: change.operation === 'TRUNCATE' ? change.removed : change.old,
    new: change.new,
    changed: change.changed,
  };
}

/**
 * `history --since`: a duration back from `now` (`30m`, `1h`, `2d`, `1h30m`; a unit is required) or an
 * ISO 8601 date or time (`2026-12-07`, `2026-12-07T17:00:00Z`), as an ISO instant; undefined when the
 * text is neither.
 */
export function sinceInstant(text: string, now: Date): string | undefined {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}(:?\d{2})?)?)?$/i.test(trimmed)) {
    const at = new Date(trimmed);
    return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
  }
  if (!/^(\d+(ms|s|m|h|d))+$/i.test(trimmed)) return undefined;
  const ms = durationMs(trimmed);
  if (ms === undefined) return undefined;
  const at = new Date(now.getTime() - ms);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}
