import type pg from 'pg';
import { ConfigError } from '../configError.js';

/** A validated agents source: a table, a view or a set-returning function without arguments. */
export interface AgentsSource {
  /** The SQL to put after FROM, every name quoted as an identifier. */
  sql: string;
  /** As the operator wrote it, for messages. */
  text: string;
  /** True for `name()`: run {@link checkAgentsSource} before selecting from it. */
  isFunction: boolean;
}

const PART = String.raw`(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")`;
const SOURCE = new RegExp(`^(${PART})(?:\\.(${PART}))?(\\(\\))?$`);

/**
 * Parses `agentsSource`: `agents`, `schema.view`, `get_agent_export_rows()` or `"Quoted Name"`.
 * Names are quoted as identifiers; nothing the operator typed is spliced into SQL as text.
 * Unquoted names fold to lower case, as PostgreSQL folds them.
 */
export function parseAgentsSource(text: string): AgentsSource {
  const match = SOURCE.exec(text.trim());
  if (!match) {
    throw new Error(
      `agentsSource: ${JSON.stringify(text)} is not a table, view or function name (allowed: name, schema.name, name() or schema.name()).`,
    );
  }
  const parts = [match[1], match[2]].filter((p): p is string => p !== undefined).map(quotePart);
  return { sql: `${parts.join('.')}${match[3] ?? ''}`, text: text.trim(), isFunction: match[3] !== undefined };
}

function quotePart(part: string): string {
  const name = part.startsWith('"') ? part.slice(1, -1).replace(/""/g, '"') : part.toLowerCase();
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Refuses a function source that is not set-returning, without calling it: `pg_reload_conf()` or any
 * other zero-argument function would otherwise run on every snapshot and every retry. Looks the
 * function up by its signature (`to_regprocedure`, a bound parameter, the names already quoted as
 * identifiers, resolved through the search path as the SELECT would) and throws one ConfigError
 * when no such function exists or when it returns a single value. Tables and views pass untouched
 * (no query). Call it in the snapshot transaction, before the SELECT.
 */
export async function checkAgentsSource(client: Pick<pg.ClientBase, 'query'>, source: AgentsSource): Promise<void> {
  if (!source.isFunction) return;
  const { rows } = await client.query<{ found: boolean; retset: boolean | null; kind: string | null }>(
    `SELECT p.oid IS NOT NULL AS found, p.proretset AS retset, p.prokind::text AS kind
       FROM (SELECT pg_catalog.to_regprocedure($1) AS oid) r LEFT JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) r.oid`,
    [source.sql],
  );
  const row = rows[0];
  const name = JSON.stringify(source.text);
  if (!row?.found) {
    throw new ConfigError(
      `agentsSource: function ${name} does not exist (no function of that name without arguments in the search path); ` +
        'name a table, a view or a set-returning function (RETURNS SETOF … or RETURNS TABLE (…)).',
    );
  }
  if (row.kind !== 'f' || row.retset !== true) {
    throw new ConfigError(
      `agentsSource: ${name} is not a set-returning function, so it was not called; ` +
        'name a table, a view or a function declared RETURNS SETOF … or RETURNS TABLE (…).',
    );
  }
}
