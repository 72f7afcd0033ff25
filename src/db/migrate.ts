import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkChannel, DEFAULT_CHANNEL, triggerChannelFor } from '../domain/channel.js';
import { OPTIONAL_AGENT_COLUMNS, REQUIRED_AGENT_COLUMNS } from './snapshot.js';

/** Where the SQL files live: `sql/` at the package root, beside both `src/` and `dist/`. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Any number, the same for every process that migrates: serialises concurrent migrations. */
const MIGRATION_LOCK = 7_412_063_163;

export interface SqlFile {
  readonly name: string;
  readonly text: string;
}

/** The SQL files in the order they apply (file name order: 001-…, 150-…, 162-…, 163-…, 200-…). */
export async function sqlFiles(dir: string = SQL_DIR): Promise<SqlFile[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await readFile(`${dir}/${name}`, 'utf8') })));
}

/**
 * Applies every SQL file in one transaction, under an advisory lock so two installers never
 * interleave. The files are idempotent: running this twice changes nothing.
 */
export async function migrate(client: pg.ClientBase, dir?: string): Promise<{ applied: string[] }> {
  const files = await sqlFiles(dir);
  await client.query('BEGIN');
  try {
    // Typed and qualified: the migration runs as the DBA, and an untyped $1 would let a role that can
    // CREATE in public plant a better-matching pg_advisory_xact_lock(text) and run as the DBA.
    await client.query('SELECT pg_catalog.pg_advisory_xact_lock($1::pg_catalog.int8)', [MIGRATION_LOCK]);
    for (const file of files) {
      try {
        await client.query(file.text);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`${file.name}: ${reason}`);
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return { applied: files.map((file) => file.name) };
}

/** The database setting the shipped triggers read for their channel. */
export const CHANNEL_SETTING = 'agent_config_sync.channel';

/**
 * Makes the triggers of the connected database notify `channel` (trimmed; 1 to 63 bytes, else it
 * throws): an `ALTER DATABASE … SET` of {@link CHANNEL_SETTING}, or a RESET for the default
 * channel. Sessions opened afterwards see it.
 */
export async function setTriggerChannel(client: pg.ClientBase, channel: string): Promise<void> {
  const checked = checkChannel(channel);
  if (!checked.ok) throw new Error(`channel ${checked.reason}`);
  const { rows } = await client.query<{ db: string }>('SELECT pg_catalog.current_database() AS db');
  const db = pg.escapeIdentifier(rows[0]?.db ?? '');
  await client.query(
    checked.channel === DEFAULT_CHANNEL
      ? `ALTER DATABASE ${db} RESET ${CHANNEL_SETTING}`
      : `ALTER DATABASE ${db} SET ${CHANNEL_SETTING} = ${pg.escapeLiteral(checked.channel)}`,
  );
}

/**
 * The channel the triggers notify for sessions opened now: the database's setting as the trigger
 * functions read it (trimmed; the default when it is unset, blank or longer than 63 bytes).
 */
export async function triggerChannel(client: pg.ClientBase): Promise<string> {
  return triggerChannelFor(await triggerChannelSetting(client));
}

/** The database's raw {@link CHANNEL_SETTING} (ALTER DATABASE … SET), or null when it has none. */
export async function triggerChannelSetting(client: pg.ClientBase): Promise<string | null> {
  const { rows } = await client.query<{ channel: string | null }>(
    `SELECT pg_catalog.substr(entry, $2::pg_catalog.int4) AS channel
       FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) AS c(entry)
      WHERE s.setdatabase = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
        AND s.setrole OPERATOR(pg_catalog.=) 0::pg_catalog.oid AND pg_catalog.starts_with(entry, $1::pg_catalog.text)`,
    [`${CHANNEL_SETTING}=`, CHANNEL_SETTING.length + 2],
  );
  return rows[0]?.channel ?? null;
}

/** What `migrate` creates, each as a name an operator can look for. */
export const EXPECTED_OBJECTS = [
  { kind: 'table', name: 'agents' },
  { kind: 'table', name: 'agent_system_config' },
  { kind: 'table', name: 'agent_config_changes' },
  { kind: 'function', name: 'notify_agent_config_changed' },
  { kind: 'function', name: 'notify_system_config_changed' },
  { kind: 'trigger', name: 'agent_config_changed', table: 'agents' },
  { kind: 'trigger', name: 'agent_config_changed_truncate', table: 'agents' },
  { kind: 'trigger', name: 'system_config_changed', table: 'agent_system_config' },
  { kind: 'trigger', name: 'system_config_changed_truncate', table: 'agent_system_config' },
] as const;

/** How the shipped trigger functions pin their search_path (sql/162, sql/163), as pg_proc.proconfig shows it. */
export const PINNED_SEARCH_PATH = 'search_path=pg_catalog, pg_temp';
const HARDENED = 'hardened (search_path pinned)';

export interface SchemaReport {
  readonly present: string[];
  readonly missing: string[];
  /** Columns of the agents table that the export reads (the required ones plus those that exist). */
  readonly agentColumns: string[];
}

function label(object: (typeof EXPECTED_OBJECTS)[number]): string {
  return object.kind === 'trigger' ? `trigger ${object.name} on ${object.table}` : `${object.kind} ${object.name}`;
}

/**
 * Checks, read-only, that the tables, functions and triggers exist (in the search_path), and that the
 * trigger functions are the hardened ones: one from an older install is reported missing as
 * `function … hardened (search_path pinned)`, which `migrate` fixes in place.
 */
export async function verifySchema(client: pg.ClientBase): Promise<SchemaReport> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const object of EXPECTED_OBJECTS) {
    let found: boolean;
    if (object.kind === 'table') {
      const result = await client.query<{ found: boolean }>('SELECT pg_catalog.to_regclass($1::pg_catalog.text) IS NOT NULL AS found', [object.name]);
      found = result.rows[0]?.found === true;
    } else if (object.kind === 'function') {
      const result = await client.query<{ config: string[] | null }>(
        `SELECT proconfig AS config FROM pg_catalog.pg_proc
          WHERE oid = pg_catalog.to_regprocedure($1::pg_catalog.text)::pg_catalog.oid`,
        [`${object.name}()`],
      );
      found = result.rows.length > 0;
      // An install from before the hardening: the function exists but runs on the writer's search_path.
      if (found && !(result.rows[0]?.config ?? []).includes(PINNED_SEARCH_PATH)) missing.push(`${label(object)} ${HARDENED}`);
    } else {
      const result = await client.query<{ found: boolean }>(
        `SELECT EXISTS (
           SELECT 1 FROM pg_catalog.pg_trigger
           WHERE NOT tgisinternal AND tgname = $1::pg_catalog.name AND tgrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2::pg_catalog.text)
         ) AS found`,
        [object.name, object.table],
      );
      found = result.rows[0]?.found === true;
    }
    (found ? present : missing).push(label(object));
  }
  const columns = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_name = 'agents' AND table_schema = ANY (pg_catalog.current_schemas(false))
     AND column_name = ANY ($1::pg_catalog.text[])
     ORDER BY column_name`,
    [[...REQUIRED_AGENT_COLUMNS, ...OPTIONAL_AGENT_COLUMNS].filter((c) => c !== 'id')],
  );
  return { present, missing, agentColumns: columns.rows.map((row) => row.column_name) };
}
