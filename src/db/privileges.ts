import pg from 'pg';
import { ConfigError } from '../config.js';
import { isPrivileged, leastPrivilegeGrants, SERVER_PROGRAM_ROLES, sourceRefusal, type ForeignCode, type SessionRole } from '../domain/privileges.js';
import type { AgentsSource } from './source.js';

/** The relation every snapshot reads besides the agents source. */
const SYSTEM_CONFIG = 'agent_system_config';

/** What {@link sourcePrivileges} finds: the session's role, and the code of others a snapshot would run. */
export interface SourcePrivileges {
  session: SessionRole;
  foreign: ForeignCode[];
}

/**
 * Code counts as foreign when its owner is neither the session's role nor a superuser:
 *  - a view read (the source, `agent_system_config`, or any view beneath them), and every function or
 *    operator function those views call — a function runs as its caller, in a view too;
 *  - a function source, unless it is SECURITY DEFINER (it then runs as its owner, whoever calls it);
 *  - row-level security policies of a table read, when the role does not bypass them (superusers and
 *    BYPASSRLS roles do): policy expressions run as the reader.
 * A plain table runs no code of its owner on SELECT (triggers fire on writes only). Names resolve
 * through the session's search path, as the snapshot's SELECT resolves them.
 *
 * Only a privileged role is looked at this closely (only it is refused), in three steps that each run
 * only when the one before finds something: the owners of what is read, the objects that may run
 * another role's code, and the walk beneath views.
 */
const FOREIGN = `(o.oid OPERATOR(pg_catalog.<>) me.oid AND NOT o.rolsuper)`;
const RLS = `c.relrowsecurity AND NOT (me.rolsuper OR me.rolbypassrls)`;

/**
 * The session's role, without parameters, so the snapshot sends it in the same round trip as its
 * BEGIN (and it costs next to nothing: no table is read): is_superuser is the server's own flag for
 * the current role; the server-program roles are this module's constants.
 */
export const SESSION_ROLE_SQL = `SELECT CURRENT_USER::pg_catalog.text AS role,
       pg_catalog.current_setting('is_superuser') OPERATOR(pg_catalog.=) 'on' AS superuser,
       pg_catalog.array_remove(ARRAY[${SERVER_PROGRAM_ROLES.map(
         (name) => `CASE WHEN pg_catalog.pg_has_role(CURRENT_USER, '${name}', 'MEMBER') THEN '${name}' END`,
       ).join(', ')}]::pg_catalog.text[], NULL) AS server_roles`;

/** The row of {@link SESSION_ROLE_SQL}. */
export function sessionRoleOf(row: { role: string; superuser: boolean; server_roles: string[] } | undefined): SessionRole {
  if (!row) throw new Error('the session has no role (CURRENT_USER returned nothing)');
  return { role: row.role, superuser: row.superuser, serverRoles: row.server_roles };
}

/**
 * What the objects a snapshot reads are and who owns them: index lookups on pg_class and pg_proc
 * only. When none may run another role's code (the usual case: tables, or a function of the role's
 * own) nothing more is asked.
 */
const OWNERS_QUERY = `
SELECT c.relkind::pg_catalog.text AS kind, pg_catalog.pg_get_userbyid(c.relowner)::pg_catalog.text AS owner, c.relrowsecurity AS rls, false AS definer
  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1::pg_catalog.text)
UNION ALL
SELECT c.relkind::pg_catalog.text, pg_catalog.pg_get_userbyid(c.relowner)::pg_catalog.text, c.relrowsecurity, false
  FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($2::pg_catalog.text)
UNION ALL
SELECT 'function', pg_catalog.pg_get_userbyid(p.proowner)::pg_catalog.text, false, p.prosecdef
  FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure($3::pg_catalog.text)`;

/** The session's own role, as both look-ups below need it (a CTE named `me`). */
const ME = `me AS (
  SELECT r.oid, r.rolsuper, r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER
)`;

/** Views, and tables whose RLS policies would apply, among the relations of CTE `from` that another role owns. */
function foreignRelations(from: 'named' | 'rels'): string {
  return `SELECT CASE WHEN c.relkind OPERATOR(pg_catalog.=) 'v' THEN 'view ' ELSE 'row-level security policies of table ' END
           OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::pg_catalog.text, o.rolname::pg_catalog.text
    FROM ${from} c JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner, me
   WHERE ${FOREIGN} AND (c.relkind OPERATOR(pg_catalog.=) 'v' OR (${RLS}))`;
}

/** The named relations and the function source: the views and function others own, the policies that would apply. */
const NAMED_QUERY = `
WITH ${ME}, named AS (
  SELECT c.oid, c.relkind, c.relrowsecurity, c.relowner FROM pg_catalog.unnest($1::pg_catalog.text[]) AS x
    JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass(x)
), foreign_code (what, owner) AS (
  ${foreignRelations('named')}
  UNION ALL
  SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text, o.rolname::pg_catalog.text
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) p.proowner, me
   WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure($2::pg_catalog.text) AND NOT p.prosecdef AND ${FOREIGN}
)
SELECT EXISTS (SELECT 1 FROM named WHERE relkind OPERATOR(pg_catalog.=) 'v') AS has_view,
       COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object('what', f.what, 'owner', f.owner)) FROM foreign_code f), '[]') AS foreign`;

/** Beneath the named views: the views and tables they read (recursively) and the functions they call. */
const VIEW_QUERY = `
WITH RECURSIVE ${ME}, deps (classid, objid, depth) AS (
  SELECT 'pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid, pg_catalog.to_regclass(x)::pg_catalog.oid, 0
    FROM pg_catalog.unnest($1::pg_catalog.text[]) AS x WHERE pg_catalog.to_regclass(x) IS NOT NULL
  UNION
  SELECT d.refclassid, d.refobjid, deps.depth OPERATOR(pg_catalog.+) 1 FROM deps,
    LATERAL (SELECT w.oid FROM pg_catalog.pg_rewrite w WHERE w.ev_class OPERATOR(pg_catalog.=) deps.objid OFFSET 0) AS w,
    LATERAL (SELECT d.refclassid, d.refobjid FROM pg_catalog.pg_depend d
              WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) w.oid
                AND d.refclassid OPERATOR(pg_catalog.=) ANY (ARRAY['pg_catalog.pg_class'::pg_catalog.regclass, 'pg_catalog.pg_proc'::pg_catalog.regclass, 'pg_catalog.pg_operator'::pg_catalog.regclass]::pg_catalog.oid[])
                AND d.refobjid OPERATOR(pg_catalog.<>) deps.objid OFFSET 0) AS d
   WHERE deps.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass AND deps.depth OPERATOR(pg_catalog.<) 32
), rels AS (
  SELECT DISTINCT c.* FROM deps JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) deps.objid
   WHERE deps.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
), called AS (
  SELECT deps.objid AS oid FROM deps WHERE deps.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
  UNION
  SELECT o.oprcode::pg_catalog.oid FROM deps JOIN pg_catalog.pg_operator o ON o.oid OPERATOR(pg_catalog.=) deps.objid
   WHERE deps.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass
), foreign_code (what, owner) AS (
  ${foreignRelations('rels')}
  UNION ALL
  SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text, o.rolname::pg_catalog.text
    FROM called JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) called.oid
    JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) p.proowner, me
   WHERE NOT p.prosecdef AND ${FOREIGN}
)
SELECT f.what, f.owner FROM foreign_code f`;

/**
 * The code of other roles that reading `source` (and the system config) would run in a session of
 * `role`, looked up in the catalogs without running any of it. The detailed look runs only when an
 * object may run code (a view, or another role's function or row-level-secured table); the walk
 * beneath views only when a view is read.
 */
export async function foreignSourceCode(client: Pick<pg.ClientBase, 'query'>, source: AgentsSource, role: string): Promise<ForeignCode[]> {
  const fn = source.isFunction ? source.sql : null;
  const owners = await client.query<{ kind: string; owner: string; rls: boolean; definer: boolean }>(OWNERS_QUERY, [
    SYSTEM_CONFIG,
    source.isFunction ? null : source.sql,
    fn,
  ]);
  const mayRunCode = owners.rows.some((o) => o.kind === 'v' || (o.owner !== role && (o.rls || (o.kind === 'function' && !o.definer))));
  if (!mayRunCode) return [];
  const relations = source.isFunction ? [SYSTEM_CONFIG] : [SYSTEM_CONFIG, source.sql];
  const { rows } = await client.query<{ has_view: boolean; foreign: ForeignCode[] }>(NAMED_QUERY, [relations, fn]);
  const named = rows[0]?.foreign ?? [];
  if (rows[0]?.has_view !== true) return named;
  const beneath = await client.query<ForeignCode>(VIEW_QUERY, [relations]);
  const seen = new Set<string>();
  const all = [...named, ...beneath.rows].filter((f) => !seen.has(f.what) && seen.add(f.what) !== undefined);
  return all.sort((x, y) => (x.what < y.what ? -1 : x.what > y.what ? 1 : 0));
}

/** The session's role and, for a privileged role (only it is refused), the foreign code of `source`. */
export async function sourcePrivileges(client: Pick<pg.ClientBase, 'query'>, source: AgentsSource): Promise<SourcePrivileges> {
  const session = sessionRoleOf((await client.query(SESSION_ROLE_SQL)).rows[0]);
  return { session, foreign: isPrivileged(session) ? await foreignSourceCode(client, source, session.role) : [] };
}

/**
 * Throws one ConfigError, before anything is read, when `session` — a superuser or a member of a
 * server-program role — would read a source whose code another, non-superuser role owns. Nothing is
 * asked of the server for a least-privileged role. Call it in the snapshot transaction, first.
 */
export async function checkSourcePrivileges(client: Pick<pg.ClientBase, 'query'>, source: AgentsSource, session: SessionRole): Promise<void> {
  if (!isPrivileged(session)) return;
  const refusal = sourceRefusal(session, await foreignSourceCode(client, source, session.role));
  if (refusal !== undefined) throw new ConfigError(`agentsSource ${JSON.stringify(source.text)}: ${refusal}`);
}

/** The table a running sync writes (its status row), whose triggers run as the sync. */
const STATUS_TABLE = 'agent_config_sync_gateways';

/**
 * Triggers on the status table whose functions another, non-superuser role owns (SECURITY DEFINER
 * ones excepted): the sync's status upsert would run them with the sync's privileges.
 */
export async function statusTableForeignCode(client: Pick<pg.ClientBase, 'query'>): Promise<ForeignCode[]> {
  const { rows } = await client.query<ForeignCode>(
    `SELECT 'trigger ' OPERATOR(pg_catalog.||) t.tgname::pg_catalog.text OPERATOR(pg_catalog.||) ' on ' OPERATOR(pg_catalog.||) t.tgrelid::pg_catalog.regclass::pg_catalog.text
            OPERATOR(pg_catalog.||) ' (function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text OPERATOR(pg_catalog.||) ')' AS what,
            o.rolname::pg_catalog.text AS owner
       FROM pg_catalog.pg_trigger t
       JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid
       JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) p.proowner
      WHERE t.tgrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1::pg_catalog.text) AND NOT t.tgisinternal AND t.tgenabled OPERATOR(pg_catalog.<>) 'D'
        AND NOT p.prosecdef AND NOT o.rolsuper AND o.rolname OPERATOR(pg_catalog.<>) CURRENT_USER
      ORDER BY t.tgname`,
    [STATUS_TABLE],
  );
  return rows;
}

/**
 * Makes `role` a login role with `password` and exactly the grants a sync needs (those of
 * leastPrivilegeGrants, in `public`), creating it or resetting its password: run it twice and
 * nothing else changes. Run as an administrator, after migrate.
 */
export async function ensureSyncRole(client: Pick<pg.ClientBase, 'query'>, role: string, password: string): Promise<void> {
  const { rows } = await client.query<{ found: boolean; ledger: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name) AS found,
            pg_catalog.to_regclass('public.agent_config_changes') IS NOT NULL AS ledger`,
    [role],
  );
  const ident = pg.escapeIdentifier(role);
  await client.query(
    `${rows[0]?.found ? 'ALTER' : 'CREATE'} ROLE ${ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${pg.escapeLiteral(password)}`,
  );
  for (const grant of leastPrivilegeGrants(role, 'public', rows[0]?.ledger === true).filter((line) => line.startsWith('GRANT '))) {
    await client.query(grant);
  }
}

