import { LEDGER_TABLE } from '../db/ledger.js';
import type pg from 'pg';
import type { GatewayRow } from '../domain/fleet.js';
import { GATEWAYS_TABLE } from './statusUpsert.js';


/** One status row as read, with its owner and setup for printing, and the database's clock. */
export interface StatusRecord extends GatewayRow {
  owner: string | null;
  hostVersion: string | null;
  format: string | null;
  layout: string | null;
  outputPath: string | null;
  agents: number | null;
  rosterSha256: string | null;
  lastWriteAt: Date | null;
  syncedThrough: string | null;
  syncedAt: Date | null;
  maxWaitMs: number | null;
  pluginVersion: string | null;
  dbNow: Date;
}

/** One ledger row as `fleet --change` names it. */
export interface ChangeFacts {
  id: string;
  at: Date;
  actor: string | null;
  /** The login role that made it (the actor is whatever the writer said). */
  role: string | null;
  source: string | null;
  key: string | null;
  operation: string | null;
}

/**
 * Every status row with the changes it owes: ledger rows above its synced_through made before
 * now − (its max wait + 5 s). One statement, so every row is judged against one ledger state and one clock.
 * Operators are pg_catalog's by name: `fleet` is often run by an operator's superuser session, and an
 * operator a role planted in a schema on its search path (public, before PostgreSQL 15) that matches the
 * argument types more exactly (integer / numeric) would be the one called.
 */
const FLEET_SQL = `SELECT g.*, g.synced_through::text AS synced_through_text, pg_catalog.now() AS db_now,
       o.n AS owed_count, o.oldest_id, o.oldest_at
  FROM ${GATEWAYS_TABLE} g
  LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*)::int AS n, pg_catalog.min(c.id)::text AS oldest_id, pg_catalog.min(c.at) AS oldest_at
      FROM ${LEDGER_TABLE} c
     WHERE c.id OPERATOR(pg_catalog.>) COALESCE(g.synced_through, 0::pg_catalog.int8)
       AND c.at OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs =>
             ((COALESCE(g.max_wait_ms, 0) OPERATOR(pg_catalog.+) 5000)::pg_catalog.float8 OPERATOR(pg_catalog./) 1000::pg_catalog.float8)))
  ) o ON true
 ORDER BY g.gateway_id`;

type Raw = Record<string, unknown>;
const date = (v: unknown): Date | null => (v instanceof Date ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Names the missing table or grant in words an operator can act on, or rethrows. */
function explain(error: unknown): never {
  const e = error as { code?: string; message?: string };
  if (e.code === '42P01') {
    const which = (e.message ?? '').includes(LEDGER_TABLE) ? `${LEDGER_TABLE} (the change ledger)` : GATEWAYS_TABLE;
    throw new Error(`there is no ${which} table: run "agent-config-sync migrate" (gateways record themselves there)`);
  }
  if (e.code === '42703') throw new Error(`${GATEWAYS_TABLE} lacks the columns fleet reads: run "agent-config-sync migrate"`);
  if (e.code === '42501') throw new Error(`no permission to read the fleet: GRANT SELECT ON ${GATEWAYS_TABLE}, ${LEDGER_TABLE} to this role (${e.message ?? ''})`);
  throw error;
}

/** Reads every gateway's row and what it owes. */
export async function readFleet(client: pg.ClientBase): Promise<StatusRecord[]> {
  let rows: Raw[];
  try {
    rows = (await client.query<Raw>(FLEET_SQL)).rows;
  } catch (error) {
    explain(error);
  }
  return rows.map((r) => ({
    gatewayId: String(r.gateway_id),
    owner: text(r.owner),
    hostVersion: text(r.host_version),
    format: text(r.format),
    layout: text(r.layout),
    outputPath: text(r.output_path),
    agents: int(r.agents),
    rosterSha256: text(r.roster_sha256),
    lastWriteAt: date(r.last_write_at),
    lastError: text(r.last_error),
    lastErrorAt: date(r.last_error_at),
    lastSeenAt: date(r.last_seen_at) ?? new Date(0),
    stoppedAt: date(r.stopped_at),
    lastSyncAt: date(r.last_sync_at),
    syncedThrough: text(r.synced_through_text),
    syncedAt: date(r.synced_at),
    instanceId: text(r.instance_id),
    instanceStartedAt: date(r.instance_started_at),
    previousInstanceId: text(r.previous_instance_id),
    previousInstanceSeenAt: date(r.previous_instance_seen_at),
    intervalMs: int(r.interval_ms),
    maxWaitMs: int(r.max_wait_ms),
    pluginVersion: text(r.plugin_version),
    owed: { count: int(r.owed_count) ?? 0, oldestId: text(r.oldest_id), oldestAt: date(r.oldest_at) },
    dbNow: date(r.db_now) ?? new Date(),
  }));
}

/** The ledger row of change `id`, or undefined when there is none (never made, or pruned). */
export async function readChange(client: pg.ClientBase, id: string): Promise<ChangeFacts | undefined> {
  let rows: Raw[];
  try {
    rows = (await client.query<Raw>(`SELECT id::text AS id, at, actor, db_role::text AS db_role, source, key, operation FROM ${LEDGER_TABLE} WHERE id OPERATOR(pg_catalog.=) $1::pg_catalog.int8`, [id])).rows;
  } catch (error) {
    explain(error);
  }
  const r = rows[0];
  if (!r) return undefined;
  return { id: String(r.id), at: date(r.at) ?? new Date(0), actor: text(r.actor), role: text(r.db_role), source: text(r.source), key: text(r.key), operation: text(r.operation) };
}
