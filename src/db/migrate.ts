import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Where the SQL files live: `sql/` at the package root, beside both `src/` and `dist/`. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/** Any number, the same for every process that migrates: serialises concurrent migrations. */
const MIGRATION_LOCK = 7_412_063_163;

export interface SqlFile {
  readonly name: string;
  readonly text: string;
}

/** The SQL files in the order they apply (file name order: 001-…, 162-…, 163-…). */
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
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
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
const DEFAULT_TRIGGER_CHANNEL = 'agent_config_changed';

/**
 * Makes the triggers of the connected database notify `channel`: an `ALTER DATABASE … SET` of
 * {@link CHANNEL_SETTING}, or a RESET for the default channel. Sessions opened afterwards see it.
 */
export async function setTriggerChannel(client: pg.ClientBase, channel: string): Promise<void> {
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  const db = pg.escapeIdentifier(rows[0]?.db ?? '');
  await client.query(
    channel === DEFAULT_TRIGGER_CHANNEL
      ? `ALTER DATABASE ${db} RESET ${CHANNEL_SETTING}`
      : `ALTER DATABASE ${db} SET ${CHANNEL_SETTING} = ${pg.escapeLiteral(channel)}`,
  );
}

/** The channel the triggers notify for sessions opened now (the database's setting, else the default). */
export async function triggerChannel(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ channel: string | null }>(
    `SELECT setting AS channel FROM pg_db_role_setting s, unnest(s.setconfig) AS c(entry),
            LATERAL (SELECT substr(entry, length($1) + 2) AS setting) x
      WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND s.setrole = 0 AND entry LIKE $1 || '=%'`,
    [CHANNEL_SETTING],
  );
  return rows[0]?.channel || DEFAULT_TRIGGER_CHANNEL;
}

/** What `migrate` creates, each as a name an operator can look for. */
export const EXPECTED_OBJECTS = [
  { kind: 'table', name: 'agents' },
  { kind: 'table', name: 'agent_system_config' },
  { kind: 'function', name: 'notify_agent_config_changed' },
  { kind: 'function', name: 'notify_system_config_changed' },
  { kind: 'trigger', name: 'agent_config_changed', table: 'agents' },
  { kind: 'trigger', name: 'agent_config_changed_truncate', table: 'agents' },
  { kind: 'trigger', name: 'system_config_changed', table: 'agent_system_config' },
  { kind: 'trigger', name: 'system_config_changed_truncate', table: 'agent_system_config' },
] as const;

export interface SchemaReport {
  readonly present: string[];
  readonly missing: string[];
  /** Columns of the agents table that the export reads (the required ones plus those that exist). */
  readonly agentColumns: string[];
}

function label(object: (typeof EXPECTED_OBJECTS)[number]): string {
  return object.kind === 'trigger' ? `trigger ${object.name} on ${object.table}` : `${object.kind} ${object.name}`;
}

/** Checks, read-only, that the tables, functions and triggers exist (in the search_path). */
export async function verifySchema(client: pg.ClientBase): Promise<SchemaReport> {
  const present: string[] = [];
  const missing: string[] = [];
  for (const object of EXPECTED_OBJECTS) {
    let found: boolean;
    if (object.kind === 'table') {
      const result = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [object.name]);
      found = result.rows[0]?.found === true;
    } else if (object.kind === 'function') {
      const result = await client.query<{ found: boolean }>(
        "SELECT to_regprocedure($1 || '()') IS NOT NULL AS found",
        [object.name],
      );
      found = result.rows[0]?.found === true;
    } else {
      const result = await client.query<{ found: boolean }>(
        `SELECT EXISTS (
           SELECT 1 FROM pg_trigger
           WHERE NOT tgisinternal AND tgname = $1 AND tgrelid = to_regclass($2)
         ) AS found`,
        [object.name, object.table],
      );
      found = result.rows[0]?.found === true;
    }
    (found ? present : missing).push(label(object));
  }
  const columns = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
     WHERE table_name = 'agents' AND table_schema = ANY (current_schemas(false))
     AND column_name IN ('name', 'model', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type')
     ORDER BY column_name`,
  );
  return { present, missing, agentColumns: columns.rows.map((row) => row.column_name) };
}
