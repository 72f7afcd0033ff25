/**
 * Who the sync runs as, and whose code it would run: the rule that no session of ours runs code a
 * less privileged role owns with more privileges than that role has. Pure: the facts are gathered
 * by src/db/privileges.ts.
 *
 * A function runs with the privileges of whoever calls it (unless it is SECURITY DEFINER), and so do
 * the functions a view calls and a table's row-level security policies. A sync connected as a
 * superuser that reads a view or function an application role owns therefore runs that role's code
 * as superuser: `COPY … TO PROGRAM` in it is a shell on the database host. Reading a plain table runs
 * no code of its owner (triggers do not fire on SELECT; superusers and BYPASSRLS roles skip policies).
 */

/** Built-in roles that turn SQL into files or programs on the database host. */
export const SERVER_PROGRAM_ROLES = ['pg_execute_server_program', 'pg_write_server_files'] as const;

/** The sync's database role, as the server sees it. */
export interface SessionRole {
  /** current_user. */
  role: string;
  superuser: boolean;
  /** Which of {@link SERVER_PROGRAM_ROLES} the role is a member of (directly or through other roles). */
  serverRoles: readonly string[];
}

/** Code another role owns that reading the agents source (or the system config) would run in this session. */
export interface ForeignCode {
  /** What it is, for messages: `function public.export_rows()`, `view public.agents_v`, `row-level security policies of table public.agents`. */
  what: string;
  /** The role that owns it (and wrote it). */
  owner: string;
}

/** True when the role can do more than read and write rows: a superuser, or a member of a server-program role. */
export function isPrivileged(session: SessionRole): boolean {
  return session.superuser || session.serverRoles.length > 0;
}

/** How the role is privileged, for messages: `a superuser` or `a member of pg_execute_server_program`. */
export function describePrivilege(session: SessionRole): string {
  return session.superuser ? 'a superuser' : `a member of ${session.serverRoles.join(' and ')}`;
}

/**
 * The least-privileged grants a sync role needs, as SQL an operator can run (the role and schema
 * quoted only when they need it). `ledger` adds, when the ledger exists, EXECUTE on the two functions a sync calls: the ledger's mark
 * and authors (ids and who, never a row's values: no SELECT on the ledger, which holds every roster's
 * recorded columns) and its pruning.
 */
export function leastPrivilegeGrants(role = 'agent_config_sync', schema = 'public', ledger = false): string[] {
  const r = quoteIdent(role);
  const s = quoteIdent(schema);
  return [
    `CREATE ROLE ${r} LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE;`,
    `GRANT USAGE ON SCHEMA ${s} TO ${r};`,
    `GRANT SELECT ON ${s}.agents, ${s}.agent_system_config TO ${r};`,
    `GRANT SELECT, INSERT, UPDATE ON ${s}.agent_config_sync_gateways TO ${r};`,
    ...(ledger ? [`GRANT EXECUTE ON FUNCTION ${s}.agent_config_sync_changes_since(bigint), ${s}.agent_config_sync_prune_changes(integer, integer) TO ${r};`] : []),
    `-- a function source: GRANT EXECUTE ON FUNCTION ${s}.get_agent_export_rows() TO ${r}; LISTEN needs no grant`,
  ];
}

/** The grants on one line, for a log line or doctor's advice. */
export function grantsInOneLine(role?: string): string {
  return leastPrivilegeGrants(role)
    .slice(1)
    .map((line) => line.replace(/^-- /, ''))
    .join(' ');
}

/**
 * Why the sync must not read its sources as this role, or undefined when it may: refused when the
 * role is privileged and reading would run code another, non-superuser role owns.
 */
export function sourceRefusal(session: SessionRole, foreign: readonly ForeignCode[]): string | undefined {
  if (!isPrivileged(session) || foreign.length === 0) return undefined;
  const first = foreign[0]!;
  const more = foreign.length > 1 ? ` (and ${foreign.length - 1} more: ${foreign.slice(1).map((f) => `${f.what} of "${f.owner}"`).join(', ')})` : '';
  return (
    `refusing to read the agents source as "${session.role}", ${describePrivilege(session)}: ${first.what} belongs to role "${first.owner}"${more}, ` +
    `and reading it would run that role's code with "${session.role}"'s privileges. ` +
    `Connect as a least-privileged role (${grantsInOneLine()}), ` +
    `or have the source owned by "${session.role}" or a superuser (a SECURITY DEFINER function runs as its owner and is accepted).`
  );
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
