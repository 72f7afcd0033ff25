import pg from 'pg';

/**
 * Writing to a table runs code its owner chose (triggers, defaults, policies) with the writer's
 * privileges. When a superuser writes to a table an application role owns, that code must run as the
 * owner, or the owner can make itself superuser (a trigger doing `ALTER ROLE … SUPERUSER`).
 *
 * A plain `SET ROLE owner` is not a boundary: the owner's code can `RESET ROLE` back to the session's
 * superuser. Inside a SECURITY DEFINER function PostgreSQL refuses any change of role, so the write
 * runs in one, owned by the table's owner, created in pg_temp and dropped right after. sql/163 does the
 * same for the install's seed row.
 */

/** Who owns a table, and what that means for a write by this session. */
export interface TableOwner {
  /** The table, schema-qualified and quoted, as the search path resolves its name. */
  qualified: string;
  owner: string;
  /** current_user. */
  sessionRole: string;
  /** The owner is another role, not a superuser: its code must not run as this session. */
  mustSwitch: boolean;
  /** This session may act as the owner (a superuser, or a member of the owner role). */
  canSwitch: boolean;
}

/** The owner facts of `table` (resolved through the search path), or undefined when there is no such table. */
export async function tableOwner(client: Pick<pg.ClientBase, 'query'>, table: string): Promise<TableOwner | undefined> {
  const { rows } = await client.query<{ qualified: string; owner: string; session_role: string; owner_is_superuser: boolean; member: boolean }>(
    `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS qualified, r.rolname::pg_catalog.text AS owner,
            CURRENT_USER::pg_catalog.text AS session_role, r.rolsuper AS owner_is_superuser,
            pg_catalog.pg_has_role(r.oid, 'MEMBER') AS member
       FROM pg_catalog.pg_class c
       JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
       JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) c.relowner
      WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($1::pg_catalog.text)`,
    [table],
  );
  const row = rows[0];
  if (!row) return undefined;
  const mustSwitch = row.owner !== row.session_role && !row.owner_is_superuser;
  return { qualified: row.qualified, owner: row.owner, sessionRole: row.session_role, mustSwitch, canSwitch: row.member };
}

/** The refusal when this session must not write `table` and cannot act as its owner. */
export function ownerAdvice(table: string, owner: TableOwner): string {
  return (
    `${table} is owned by role "${owner.owner}", whose triggers must not run as "${owner.sessionRole}": ` +
    `run this as "${owner.owner}" (or as a superuser, or a member of "${owner.owner}")`
  );
}

/**
 * Runs `body` (PL/pgSQL statements; they set the text variable `result`, and may use the variables
 * `declare` adds) as `owner`, and returns `result`. Call it inside the caller's transaction; deferred
 * triggers the body queues fire before it returns (SET CONSTRAINTS ALL IMMEDIATE), still as the owner
 * (PostgreSQL before 18 would fire them at COMMIT as the caller).
 */
export async function callAsOwner(client: Pick<pg.ClientBase, 'query'>, owner: string, body: string, declare = ''): Promise<string> {
  const name = `pg_temp.agent_config_sync_as_owner_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const code = `DECLARE result pg_catalog.text; ${declare} BEGIN ${body} SET CONSTRAINTS ALL IMMEDIATE; RETURN result; END`;
  await client.query(
    `CREATE FUNCTION ${name}() RETURNS pg_catalog.text LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS ${pg.escapeLiteral(code)}`,
  );
  try {
    await client.query(`ALTER FUNCTION ${name}() OWNER TO ${pg.escapeIdentifier(owner)}`);
    const { rows } = await client.query<{ result: string | null }>(`SELECT ${name}() AS result`);
    return rows[0]?.result ?? '';
  } finally {
    // In a failed transaction this fails too, and the ROLLBACK removes the function instead.
    await client.query(`DROP FUNCTION IF EXISTS ${name}()`).catch(() => undefined);
  }
}
