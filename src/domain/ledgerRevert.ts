/**
 * Planning a revert from the change ledger. Pure: the CLI reads the changes and the rows as they are
 * now, this decides what each row must become, and the CLI writes it in one transaction.
 *
 * A revert works on the columns the ledger records (the ones the sync maps): that is everything the
 * rendered file depends on, so a revert restores the file exactly. Other columns are not recorded:
 * an update leaves them as they are, a re-inserted row gets their defaults.
 */
import { compareIds, type LedgerChange, type LedgerRow } from './ledger.js';

/** The column that identifies a row of each source: the agent name, the config key. */
export const IDENTITY_COLUMN: Readonly<Record<string, string>> = { agents: 'name', agent_system_config: 'key' };

/**
 * The columns a revert may write, per source: those the triggers record (the sync's mapped columns).
 * A ledger value under any other name is ignored, so a forged or odd row cannot make a revert write
 * a column nobody maps.
 */
export const REVERTIBLE_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  agents: [
    'name', 'model', 'id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type',
    'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config',
  ],
  agent_system_config: ['key', 'value', 'value_type'],
};

/** Make the row of `source` identified (now) by `key` equal `state`, or absent when `state` is null. */
export interface Restore {
  readonly source: string;
  readonly key: string;
  readonly state: LedgerRow | null;
  /** The row does not exist now under any name (its name is another row's): it is inserted. */
  readonly absent?: boolean;
}

export type RevertPlan =
  | { readonly ok: true; readonly restores: readonly Restore[] }
  | { readonly ok: false; readonly reason: string; readonly later: readonly LedgerChange[] };

/** The identity values a change touched: its key, the names in its old and new rows, every row a TRUNCATE removed. */
export function touchedKeys(change: LedgerChange): Set<string> {
  const column = IDENTITY_COLUMN[change.source] ?? 'name';
  const keys = new Set<string>();
  const add = (value: unknown) => {
    if (typeof value === 'string') keys.add(value);
  };
  add(change.key);
  add(change.old?.[column]);
  add(change.new?.[column]);
  for (const row of change.removed) add(row[column]);
  return keys;
}

function identityOf(source: string, row: LedgerRow | null): string | undefined {
  const value = row?.[IDENTITY_COLUMN[source] ?? 'name'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Undoing one change: an insert deleted, an update restored, a delete re-inserted, a TRUNCATE's rows
 * put back. Refused, naming them, when a later change (`later`: every change after it, any source)
 * touched one of the same rows, unless `force`.
 */
export function planRevert(target: LedgerChange, later: readonly LedgerChange[], force: boolean): RevertPlan {
  if (IDENTITY_COLUMN[target.source] === undefined) {
    return { ok: false, reason: `change ${target.id} is on ${JSON.stringify(target.source)}, which revert does not know`, later: [] };
  }
  const keys = touchedKeys(target);
  const conflicts = later.filter(
    (c) => compareIds(c.id, target.id) > 0 && c.source === target.source && [...touchedKeys(c)].some((k) => keys.has(k)),
  );
  if (conflicts.length > 0 && !force) {
    const ids = conflicts.map((c) => c.id).join(', ');
    return {
      ok: false,
      reason: `change ${target.id} touched a row that later change${conflicts.length === 1 ? '' : 's'} ${ids} changed again; revert those first, or use --force to restore the row as it was before ${target.id} anyway`,
      later: conflicts,
    };
  }
  const restore = (key: string | undefined, state: LedgerRow | null): Restore[] => (key === undefined ? [] : [{ source: target.source, key, state }]);
  switch (target.operation) {
    case 'INSERT':
      return { ok: true, restores: restore(identityOf(target.source, target.new), null) };
    case 'UPDATE':
      return { ok: true, restores: restore(identityOf(target.source, target.new), target.old) };
    case 'DELETE':
      return { ok: true, restores: restore(identityOf(target.source, target.old), target.old) };
    case 'TRUNCATE':
      return { ok: true, restores: target.removed.flatMap((row) => restore(identityOf(target.source, row), row)) };
  }
}

/**
 * Going back to how things were at one change: every row that a later change touched (`later`,
 * every change after it) is restored to its state before the first of them. Renames are followed,
 * so a row renamed twice is found by its newest name and given its old one back.
 */
export function planRevertTo(later: readonly LedgerChange[]): Restore[] {
  // Per source, the row's name now → its state as of the target change (null: it did not exist).
  const tracked = new Map<string, Map<string, LedgerRow | null>>();
  // Rows that existed at the target and whose name another row took since: put back as new rows.
  const detached: Restore[] = [];
  const sorted = [...later].sort((a, b) => compareIds(a.id, b.id));
  for (const change of sorted) {
    if (IDENTITY_COLUMN[change.source] === undefined) continue;
    let rows = tracked.get(change.source);
    if (!rows) tracked.set(change.source, (rows = new Map()));
    const track = (key: string | undefined, state: LedgerRow | null) => {
      if (key !== undefined && !rows!.has(key)) rows!.set(key, state);
    };
    switch (change.operation) {
      case 'INSERT':
        track(identityOf(change.source, change.new), null);
        break;
      case 'DELETE':
        track(identityOf(change.source, change.old), change.old);
        break;
      case 'TRUNCATE':
        for (const row of change.removed) track(identityOf(change.source, row), row);
        break;
      case 'UPDATE': {
        const before = identityOf(change.source, change.old);
        const after = identityOf(change.source, change.new);
        if (before === undefined || after === undefined) break;
        if (before === after) {
          track(after, change.old);
          break;
        }
        // A rename: what is known moves under the row's new name. A row known under that name
        // before was gone by then (the name was free), so it comes back as a row of its own.
        const state = rows.has(before) ? rows.get(before)! : change.old;
        rows.delete(before);
        const displaced = rows.get(after);
        if (displaced) detached.push({ source: change.source, key: identityOf(change.source, displaced) ?? after, state: displaced, absent: true });
        rows.set(after, state);
        break;
      }
    }
  }
  return [...[...tracked].flatMap(([source, rows]) => [...rows].map(([key, state]) => ({ source, key, state }))), ...detached];
}

/** What one restore does to the row as it is now. */
export interface RevertStep {
  readonly source: string;
  readonly key: string;
  readonly action: 'insert' | 'update' | 'delete' | 'none';
  /** The row now (its revertible columns), or null when it does not exist. */
  readonly before: LedgerRow | null;
  /** The row after the step, or null when it is deleted. */
  readonly after: LedgerRow | null;
  /** The columns the step writes (update: only those that differ; insert: all it sets). */
  readonly columns: readonly string[];
}

/** The revertible columns of a recorded state, in a fixed order. */
export function revertibleColumns(source: string, state: LedgerRow): string[] {
  return (REVERTIBLE_COLUMNS[source] ?? []).filter((c) => Object.hasOwn(state, c));
}

/** Compares recorded values as JSON (jsonb round-trips arrays, objects and numbers the same way). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The step that takes `current` (the row now, as jsonb, or null) to the restore's state. */
export function stepFor(restore: Restore, current: LedgerRow | null): RevertStep {
  const base = { source: restore.source, key: restore.key, before: current };
  if (restore.state === null) return { ...base, action: current === null ? 'none' : 'delete', after: null, columns: [] };
  const columns = revertibleColumns(restore.source, restore.state);
  if (current === null) return { ...base, action: 'insert', after: restore.state, columns };
  const differing = columns.filter((c) => !same(current[c], restore.state![c]));
  return { ...base, action: differing.length === 0 ? 'none' : 'update', after: { ...current, ...restore.state }, columns: differing };
}

/** The order steps run in: deletes, then updates, then inserts, so a name freed by one is free for the next. */
export function orderSteps(steps: readonly RevertStep[]): RevertStep[] {
  const rank = { delete: 0, update: 1, insert: 2, none: 3 } as const;
  return [...steps].sort((a, b) => rank[a.action] - rank[b.action]);
}
