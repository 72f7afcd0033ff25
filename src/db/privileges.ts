import pg from 'pg';
import { ConfigError } from '../config.js';
import { leastPrivilegeGrants, SERVER_PROGRAM_ROLES, sourceRefusal, type ForeignCode, type SessionRole } from '../domain/privileges.js';
import type { AgentsSource } from './source.js';

/** The relation every snapshot reads besides the agents source. */
const SYSTEM_CONFIG = 'agent_system_config';

/** What {@link sourcePrivileges} finds: the session's role, and the code of others a snapshot would run. */
export interface SourcePrivileges {
  session: SessionRole;
  foreign: ForeignCode[];
}

/**
 * The role facts and the foreign code, in one query, read-only and without calling anything it
 * inspects. Code counts as foreign when its owner is neither the session's role nor a superuser:
 *  - a view read (the source, `agent_system_config`, or any view beneath them), and every function or
 *    operator function those views call — a function runs as its caller, in a view too;
 *  - a function source, unless it is SECURITY DEFINER (it then runs as its owner, whoever calls it);
 *  - row-level security policies of a table read, when the role does not bypass them (superusers and
 *    BYPASSRLS roles do): policy expressions run as the reader.
 * A plain table runs no code of its owner on SELECT (triggers fire on writes only). Names resolve
 * through the session's search path, as the snapshot's SELECT resolves them.
 */
const QUERY = `
WITH RECURSIVE me AS (
  SELECT r.oid, r.rolname, r.rolsuper, r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER
), rels (oid) AS (
  SELECT pg_catalog.to_regclass(x)::pg_catalog.oid FROM pg_catalog.unnest($1::pg_catalog.text[]) AS x
   WHERE pg_catalog.to_regclass(x) IS NOT NULL
  UNION
  SELECT d.refobjid FROM rels
    JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) rels.oid
    JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass
     AND d.objid OPERATOR(pg_catalog.=) w.oid AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
     AND d.refobjid OPERATOR(pg_catalog.<>) rels.oid
), called (oid) AS (
  SELECT CASE WHEN d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass THEN d.refobjid ELSE o.oprcode::pg_catalog.oid END
    FROM rels
    JOIN pg_catalog.pg_rewrite w ON w.ev_class OPERATOR(pg_catalog.=) rels.oid
    JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) w.oid
    LEFT JOIN pg_catalog.pg_operator o ON d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_operator'::pg_catalog.regclass AND o.oid OPERATOR(pg_catalog.=) d.refobjid
   WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass OR o.oid IS NOT NULL
  UNION
  SELECT pg_catalog.to_regprocedure($2::pg_catalog.text)::pg_catalog.oid WHERE $2::pg_catalog.text IS NOT NULL
), foreign_code (what, owner) AS (
  SELECT 'view ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::pg_catalog.text, o.rolname::pg_catalog.text
    FROM rels JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) rels.oid
    JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner, me
   WHERE c.relkind OPERATOR(pg_catalog.=) 'v' AND o.oid OPERATOR(pg_catalog.<>) me.oid AND NOT o.rolsuper
  UNION ALL
  SELECT 'row-level security policies of table ' OPERATOR(pg_catalog.||) c.oid::pg_catalog.regclass::pg_catalog.text, o.rolname::pg_catalog.text
    FROM rels JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) rels.oid
    JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) c.relowner, me
   WHERE c.relrowsecurity AND NOT (me.rolsuper OR me.rolbypassrls) AND o.oid OPERATOR(pg_catalog.<>) me.oid AND NOT o.rolsuper
  UNION ALL
  SELECT 'function ' OPERATOR(pg_catalog.||) p.oid::pg_catalog.regprocedure::pg_catalog.text, o.rolname::pg_catalog.text
    FROM called JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) called.oid
    JOIN pg_catalog.pg_roles o ON o.oid OPERATOR(pg_catalog.=) p.proowner, me
   WHERE NOT p.prosecdef AND o.oid OPERATOR(pg_catalog.<>) me.oid AND NOT o.rolsuper
)
SELECT me.rolname::pg_catalog.text AS role, me.rolsuper AS superuser,
       ARRAY(SELECT r.rolname::pg_catalog.text FROM pg_catalog.pg_roles r
              WHERE r.rolname OPERATOR(pg_catalog.=) ANY ($3::pg_catalog.name[]) AND pg_catalog.pg_has_role(me.oid, r.oid, 'MEMBER')
              ORDER BY r.rolname) AS server_roles,
       COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_object('what', f.what, 'owner', f.owner) ORDER BY f.what) FROM foreign_code f), '[]') AS foreign
  FROM me`;

/**
 * Looks up, without running any of it, the code of other roles that reading `source` (and the
 * system config) would run in this session, and how privileged the session's role is.
 */
export async function sourcePrivileges(client: Pick<pg.ClientBase, 'query'>, source: AgentsSource): Promise<SourcePrivileges> {
  const relations = source.isFunction ? [SYSTEM_CONFIG] : [SYSTEM_CONFIG, source.sql];
  const { rows } = await client.query<{ role: string; superuser: boolean; server_roles: string[]; foreign: ForeignCode[] }>(QUERY, [
    relations,
    source.isFunction ? source.sql : null,
    [...SERVER_PROGRAM_ROLES],
  ]);
  const row = rows[0];
  if (!row) throw new Error('the session has no role in pg_roles (current_user not found)');
  return { session: { role: row.role, superuser: row.superuser, serverRoles: row.server_roles }, foreign: row.foreign };
}

/**
 * Throws one ConfigError, before anything is read, when a superuser (or a member of a server-program
 * role) would read a source whose code another, non-superuser role owns. Call it in the snapshot
 * transaction, first.
 */
export async function checkSourcePrivileges(client: Pick<pg.ClientBase, 'query'>, source: AgentsSource): Promise<void> {
  const facts = await sourcePrivileges(client, source);
  const refusal = sourceRefusal(facts.session, facts.foreign);
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

