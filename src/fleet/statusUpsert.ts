import type pg from 'pg';

/** The fleet status table (sql/200-gateway-status.sql). */
export const GATEWAYS_TABLE = 'agent_config_sync_gateways';

/**
 * One upsert of a gateway's row. Times are ages in ms ("this long ago", by this process's monotonic
 * clock) that the server turns into timestamps on its own clock: the fleet is judged against the
 * ledger's times, which are the server's, so a gateway whose clock is off cannot look current or behind.
 */
export interface StatusRow {
  gatewayId: string;
  hostVersion: string | null;
  format: string;
  layout: string;
  outputPath: string;
  agents: number | null;
  rosterSha256: string | null;
  lastWriteAgeMs: number | null;
  lastError: string | null;
  lastErrorAgeMs: number | null;
  pluginVersion: string;
  stopping: boolean;
  /** The ledger id the file holds (decimal text of a bigint), and how long ago it first held it. */
  syncedThrough: string | null;
  syncedAgeMs: number | null;
  lastSyncAgeMs: number | null;
  instanceId: string;
  instanceAgeMs: number;
  intervalMs: number;
  maxWaitMs: number | null;
}

/**
 * "This long ago" on the server's clock. pg_catalog's operators by name, both sides typed: float8 / integer
 * has no exact match there, so an operator planted in a schema on the gateway role's search path (public,
 * before PostgreSQL 15) would be the one called, as the gateway's role, on every status write.
 */
const AGO = (n: number) =>
  `(pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => $${n}::pg_catalog.float8 OPERATOR(pg_catalog./) 1000::pg_catalog.float8))`;

/**
 * The upsert. The owner is never sent: a new row takes the column default (session_user) and an update
 * claims an unowned row from before owners; row-level security refuses every other row, so one gateway's
 * role cannot write another's. synced_through and synced_at only move forward; an instance id that differs
 * from the row's moves the row's one into previous_instance_id with the time it was last seen.
 */
export const UPSERT = `INSERT INTO ${GATEWAYS_TABLE} AS g
    (gateway_id, host_version, format, layout, output_path, agents, roster_sha256, last_write_at, last_error, last_error_at,
     last_seen_at, plugin_version, stopped_at, synced_through, synced_at, last_sync_at, instance_id, instance_started_at,
     interval_ms, max_wait_ms)
  VALUES ($1, $2, $3, $4, $5, $6, $7, ${AGO(8)}, $9, ${AGO(10)},
     pg_catalog.now(), $11, CASE WHEN $12::boolean THEN pg_catalog.now() END, $13::bigint, ${AGO(14)}, ${AGO(15)}, $16, ${AGO(17)},
     $18, $19)
  ON CONFLICT (gateway_id) DO UPDATE SET
    host_version = EXCLUDED.host_version, format = EXCLUDED.format, layout = EXCLUDED.layout,
    output_path = EXCLUDED.output_path, agents = EXCLUDED.agents, roster_sha256 = EXCLUDED.roster_sha256,
    last_write_at = COALESCE(EXCLUDED.last_write_at, g.last_write_at), last_error = EXCLUDED.last_error,
    last_error_at = COALESCE(EXCLUDED.last_error_at, g.last_error_at), last_seen_at = EXCLUDED.last_seen_at,
    plugin_version = EXCLUDED.plugin_version, stopped_at = EXCLUDED.stopped_at,
    synced_at = CASE WHEN EXCLUDED.synced_through > g.synced_through OR g.synced_through IS NULL THEN COALESCE(EXCLUDED.synced_at, g.synced_at) ELSE g.synced_at END,
    synced_through = GREATEST(g.synced_through, EXCLUDED.synced_through),
    last_sync_at = GREATEST(g.last_sync_at, EXCLUDED.last_sync_at),
    previous_instance_id = CASE WHEN g.instance_id IS DISTINCT FROM EXCLUDED.instance_id THEN g.instance_id ELSE g.previous_instance_id END,
    previous_instance_seen_at = CASE WHEN g.instance_id IS DISTINCT FROM EXCLUDED.instance_id THEN g.last_seen_at ELSE g.previous_instance_seen_at END,
    instance_id = EXCLUDED.instance_id, instance_started_at = EXCLUDED.instance_started_at,
    interval_ms = EXCLUDED.interval_ms, max_wait_ms = EXCLUDED.max_wait_ms,
    owner = session_user`;

/** The upsert's parameters, in order. */
export function upsertValues(row: StatusRow): unknown[] {
  return [
    row.gatewayId, row.hostVersion, row.format, row.layout, row.outputPath, row.agents, row.rosterSha256,
    row.lastWriteAgeMs, row.lastError, row.lastErrorAgeMs, row.pluginVersion, row.stopping,
    row.syncedThrough, row.syncedAgeMs, row.lastSyncAgeMs, row.instanceId, row.instanceAgeMs,
    Math.round(row.intervalMs), row.maxWaitMs === null ? null : Math.round(row.maxWaitMs),
  ];
}

/** Server-side bounds of one status write, in ms. */
export interface WriteBounds {
  /** How long the upsert may wait for a lock on the row or table (`lock_timeout`). */
  lockTimeoutMs: number;
  /** How long the upsert may run in all (`statement_timeout`). */
  statementTimeoutMs: number;
}

/**
 * Runs the upsert in a transaction of its own whose timeouts the server enforces:
 * `BEGIN; SET LOCAL lock_timeout …; SET LOCAL statement_timeout …; upsert; COMMIT`. A status row locked by
 * someone else (an open psql transaction, a non-concurrent CREATE INDEX) then costs one backend for at most
 * the lock timeout, instead of a backend left waiting behind each client-side timeout. SET LOCAL inside the
 * transaction works through PgBouncer in transaction mode, where startup parameters are refused.
 * A failure rolls back (when the connection still answers) and rethrows.
 */
export async function upsertBounded(client: pg.ClientBase, row: StatusRow, bounds: WriteBounds): Promise<void> {
  const ms = (n: number) => `'${Math.max(1, Math.round(n))}ms'`;
  await client.query(`BEGIN; SET LOCAL lock_timeout = ${ms(bounds.lockTimeoutMs)}; SET LOCAL statement_timeout = ${ms(bounds.statementTimeoutMs)}`);
  try {
    await client.query(UPSERT, upsertValues(row));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
