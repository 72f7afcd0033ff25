import pg from 'pg';
import { compareIds, parseLedgerRow, type LedgerChange, type LedgerRow } from '../domain/ledger.js';
import { IDENTITY_COLUMN, REVERTIBLE_COLUMNS, type Restore, type RevertStep } from '../domain/ledgerRevert.js';
import { callAsOwner, ownerAdvice, tableOwner } from './asOwner.js';

/** The ledger table (sql/150-change-ledger.sql). */
export const LEDGER_TABLE = 'agent_config_changes';

/** The application name a revert's session sets, so the ledger records the revert as such. */
export const REVERT_APPLICATION = 'agent-config-sync revert';

const COLUMNS = 'id, at, actor, db_role, application_name, client_addr::pg_catalog.text AS client_addr, source, key, operation, old, new, changed';

function parsed(rows: readonly Record<string, unknown>[]): LedgerChange[] {
  return rows.flatMap((row) => {
    const change = parseLedgerRow(row);
    return change ? [change] : [];
  });
}

/** Filters of {@link readHistory}. */
export interface HistoryQuery {
  /** Only changes to this agent (by name, before or after a rename, or removed by a TRUNCATE). */
  agent?: string;
  /** Only changes at or after this instant (ISO 8601). */
  since?: string;
  /** At most this many. */
  limit: number;
}

/**
 * The newest changes first, filtered. Operators are pg_catalog's by name: `history` is often run by an
 * operator's superuser session, and an operator a role planted in a schema on its search path (public,
 * before PostgreSQL 15) that matches the argument types more exactly would be the one called.
 */
export async function readHistory(client: pg.ClientBase, query: HistoryQuery): Promise<LedgerChange[]> {
  const { rows } = await client.query(
    `SELECT ${COLUMNS} FROM ${LEDGER_TABLE}
      WHERE ($1::pg_catalog.text IS NULL OR (source OPERATOR(pg_catalog.=) 'agents'::pg_catalog.text
             AND (key OPERATOR(pg_catalog.=) $1::pg_catalog.text
             OR old OPERATOR(pg_catalog.->>) 'name'::pg_catalog.text OPERATOR(pg_catalog.=) $1::pg_catalog.text
             OR new OPERATOR(pg_catalog.->>) 'name'::pg_catalog.text OPERATOR(pg_catalog.=) $1::pg_catalog.text
             OR (operation OPERATOR(pg_catalog.=) 'TRUNCATE'::pg_catalog.text
                 AND old OPERATOR(pg_catalog.@>) pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object('name'::pg_catalog.text, $1::pg_catalog.text))))))
        AND ($2::pg_catalog.timestamptz IS NULL OR at OPERATOR(pg_catalog.>=) $2::pg_catalog.timestamptz)
      ORDER BY id DESC LIMIT $3::pg_catalog.int4`,
    [query.agent ?? null, query.since ?? null, query.limit],
  );
  return parsed(rows);
}

/** One change by id, or undefined. */
export async function readChange(client: pg.ClientBase, id: string): Promise<LedgerChange | undefined> {
  const { rows } = await client.query(`SELECT ${COLUMNS} FROM ${LEDGER_TABLE} WHERE id = $1::pg_catalog.int8`, [id]);
  return parsed(rows)[0];
}

/** Every change after `id`, oldest first (for a revert: what came since). */
export async function readChangesAfter(client: pg.ClientBase, id: string): Promise<LedgerChange[]> {
  const { rows } = await client.query(`SELECT ${COLUMNS} FROM ${LEDGER_TABLE} WHERE id > $1::pg_catalog.int8 ORDER BY id`, [id]);
  return parsed(rows).sort((a, b) => compareIds(a.id, b.id));
}

/** The oldest id the ledger still holds (older ones were pruned), or undefined when it is empty. */
export async function oldestChangeId(client: pg.ClientBase): Promise<string | undefined> {
  const { rows } = await client.query<{ oldest: string | null }>(`SELECT pg_catalog.min(id)::pg_catalog.text AS oldest FROM ${LEDGER_TABLE}`);
  return rows[0]?.oldest ?? undefined;
}

/**
 * The revertible columns of a source's row now (jsonb, as the ledger records them), locked for the
 * revert; null when there is none.
 *
 * Read as the table's owner when that is another, less-privileged role (as {@link applyStep} writes):
 * converting a row to jsonb calls its column types' casts to json, which the owner may have written, and
 * an operator's superuser session must not run them. The name is compared with pg_catalog's `=`, so an
 * operator planted in a schema on the search path is not the one called.
 */
export async function readCurrentRow(client: pg.ClientBase, restore: Restore): Promise<LedgerRow | null> {
  if (restore.absent === true) return null;
  const owner = await tableOwner(client, tableOf(restore.source));
  if (!owner) throw new Error(`there is no table ${restore.source} to revert`);
  const identity = pg.escapeIdentifier(IDENTITY_COLUMN[restore.source]!);
  const query = `SELECT pg_catalog.to_jsonb(t)::pg_catalog.text %INTO% FROM ${owner.qualified} t
    WHERE t.${identity} OPERATOR(pg_catalog.=) ${pg.escapeLiteral(restore.key)}::pg_catalog.text FOR UPDATE`;
  let text: string;
  if (!owner.mustSwitch) {
    const { rows } = await client.query<{ row: string }>(query.replace('%INTO%', 'AS row'));
    text = rows[0]?.row ?? '';
  } else {
    if (!owner.canSwitch) throw new Error(ownerAdvice(restore.source, owner));
    text = await callAsOwner(client, owner.owner, `${query.replace('%INTO%', 'INTO result')};`);
  }
  if (text === '') return null;
  const row = JSON.parse(text) as LedgerRow;
  const columns = REVERTIBLE_COLUMNS[restore.source] ?? [];
  return Object.fromEntries(Object.entries(row).filter(([c]) => columns.includes(c)));
}

function tableOf(source: string): string {
  if (IDENTITY_COLUMN[source] === undefined) throw new Error(`revert does not know the source ${JSON.stringify(source)}`);
  return pg.escapeIdentifier(source);
}

/**
 * Runs one step (in the caller's transaction). Values go through jsonb_populate_record, so each
 * column gets its own type back from the recorded JSON (text[], jsonb, boolean …); OVERRIDING SYSTEM
 * VALUE lets a re-inserted row keep its recorded id even on an identity column.
 *
 * Writing a table runs its owner's triggers with the writer's privileges: when the table belongs to
 * another role (not a superuser), the write runs as that owner, or is refused naming the role to
 * run as, so an operator's superuser session never runs an application role's code.
 */
export async function applyStep(client: pg.ClientBase, step: RevertStep): Promise<void> {
  if (step.action === 'none') return;
  const owner = await tableOwner(client, tableOf(step.source));
  if (!owner) throw new Error(`there is no table ${step.source} to revert`);
  const statement = stepStatement(step, owner.qualified);
  if (!owner.mustSwitch) {
    await client.query(statement);
    return;
  }
  if (!owner.canSwitch) throw new Error(ownerAdvice(step.source, owner));
  await callAsOwner(client, owner.owner, `${statement};`);
}

/** The step as one statement, values as literals (it may run inside a function as the table's owner). */
export function stepStatement(step: RevertStep, qualified: string): string {
  const identity = pg.escapeIdentifier(IDENTITY_COLUMN[step.source]!);
  const key = `${pg.escapeLiteral(step.key)}::pg_catalog.text`;
  // pg_catalog's `=` by name (the statement may run in the operator's session, on its search path).
  if (step.action === 'delete') return `DELETE FROM ${qualified} WHERE ${identity} OPERATOR(pg_catalog.=) ${key}`;
  const list = step.columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const record = `pg_catalog.jsonb_populate_record(NULL::${qualified}, ${pg.escapeLiteral(JSON.stringify(step.after))}::pg_catalog.jsonb)`;
  if (step.action === 'update') return `UPDATE ${qualified} t SET (${list}) = (SELECT ${list} FROM ${record}) WHERE t.${identity} OPERATOR(pg_catalog.=) ${key}`;
  return `INSERT INTO ${qualified} (${list}) OVERRIDING SYSTEM VALUE SELECT ${list} FROM ${record}`;
}

/** The ledger ids this transaction wrote (a revert's own changes), oldest first. */
export async function changesOfThisTransaction(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT id::pg_catalog.text AS id FROM ${LEDGER_TABLE} WHERE txid = pg_catalog.pg_current_xact_id_if_assigned() ORDER BY id`,
  );
  return rows.map((r) => r.id);
}
