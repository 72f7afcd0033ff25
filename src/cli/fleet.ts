import { createHash } from 'node:crypto';
import type pg from 'pg';
import { readSnapshot } from '../db/snapshot.js';
import { parseAgentsSource, type AgentsSource } from '../db/source.js';
import { classifyGateway, fleetExitCode, type GatewayState } from '../domain/fleet.js';
import { renderSnapshot } from '../domain/render.js';
import type { Layout, RosterFormat } from '../domain/types.js';
import { GATEWAYS_TABLE, STATUS_INTERVAL_MS } from '../fleet/statusWriter.js';
import { printable } from '../logger.js';
import { textFlag, UsageError, type Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { withClient } from './sync.js';

/** One gateway as `fleet --json` prints it. */
export interface FleetEntry {
  gatewayId: string;
  state: GatewayState;
  reason: string;
  hostVersion: string | null;
  format: string | null;
  layout: string | null;
  outputPath: string | null;
  agents: number | null;
  rosterSha256: string | null;
  /** sha256 of what the database renders for this gateway now (its id, format and layout). */
  expectedSha256: string | null;
  lastWriteAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSeenAt: string;
  stoppedAt: string | null;
  pluginVersion: string | null;
}

interface Row {
  gateway_id: string;
  host_version: string | null;
  format: string | null;
  layout: string | null;
  output_path: string | null;
  agents: number | null;
  roster_sha256: string | null;
  last_write_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  last_seen_at: Date;
  plugin_version: string | null;
  stopped_at?: Date | null;
  db_now: Date;
}

/**
 * `fleet [--json]`: every gateway in agent_config_sync_gateways and whether it is current (its roster
 * hash equals what the database renders for it now, with its gateway id, format and layout), behind,
 * stale (not seen for 3 status intervals) or failing (an error newer than its last write).
 * Exit 0 all current (or none reported), 2 some behind or stale, 1 some failing or an error.
 */
export async function fleetCommand(flags: Flags): Promise<number> {
  const forget = textFlag(flags, 'forget');
  if (forget !== undefined) return forgetGateway(flags, forget);
  let source: AgentsSource;
  try {
    source = parseAgentsSource(textFlag(flags, 'agents-source') ?? 'agents');
  } catch (error) {
    throw new UsageError(`--agents-source: ${(error as Error).message.replace(/^agentsSource: /, '')}`);
  }
  const connection = connectionFromFlags(flags);
  const entries = await withClient({ connection }, (client) => fleetEntries(client, source));
  const exit = fleetExitCode(entries.map((e) => e.state));
  if (flags.json === true) {
    const counts = { current: 0, behind: 0, stale: 0, failing: 0, stopped: 0 };
    for (const e of entries) counts[e.state] += 1;
    process.stdout.write(`${JSON.stringify({ connection: connection.description, agentsSource: source.text, ...counts, gateways: entries }, null, 2)}\n`);
  } else {
    process.stdout.write(formatFleet(entries));
  }
  return exit;
}

/** Reads the table and classifies each gateway against what the database renders for it now. */
export async function fleetEntries(client: pg.ClientBase, source: AgentsSource): Promise<FleetEntry[]> {
  let rows: Row[];
  try {
    rows = (await client.query<Row>(`SELECT g.*, pg_catalog.now() AS db_now FROM ${GATEWAYS_TABLE} g ORDER BY g.gateway_id`)).rows;
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') throw new Error(`there is no ${GATEWAYS_TABLE} table: run "agent-config-sync migrate" (gateways record themselves there)`);
    throw error;
  }
  const entries: FleetEntry[] = [];
  for (const row of rows) {
    const stoppedAt = row.stopped_at ?? null;
    // A stopped gateway is not judged against a render: it reads everything when it starts again.
    const expected = stoppedAt !== null && stoppedAt >= row.last_seen_at ? undefined : await expectedSha(client, source, row);
    const { state, reason } = classifyGateway(
      { gatewayId: row.gateway_id, rosterSha256: row.roster_sha256, lastWriteAt: row.last_write_at, lastError: row.last_error, lastErrorAt: row.last_error_at, lastSeenAt: row.last_seen_at, stoppedAt },
      expected,
      row.db_now,
      STATUS_INTERVAL_MS,
    );
    entries.push({
      gatewayId: row.gateway_id,
      state,
      reason,
      hostVersion: row.host_version,
      format: row.format,
      layout: row.layout,
      outputPath: row.output_path,
      agents: row.agents,
      rosterSha256: row.roster_sha256,
      expectedSha256: expected ?? null,
      lastWriteAt: row.last_write_at?.toISOString() ?? null,
      lastError: row.last_error,
      lastErrorAt: row.last_error_at?.toISOString() ?? null,
      lastSeenAt: row.last_seen_at.toISOString(),
      stoppedAt: stoppedAt?.toISOString() ?? null,
      pluginVersion: row.plugin_version,
    });
  }
  return entries;
}

async function expectedSha(client: pg.ClientBase, source: AgentsSource, row: Row): Promise<string | undefined> {
  const format = row.format === 'entries' || row.format === 'list' ? (row.format as RosterFormat) : undefined;
  const layout = row.layout === 'root' || row.layout === 'section' ? (row.layout as Layout) : undefined;
  if (!format || !layout) return undefined;
  const rendered = renderSnapshot(await readSnapshot(client, source, { gatewayId: row.gateway_id }), { format, layout });
  return createHash('sha256').update(rendered.text).digest('hex');
}

/** The human table: one line per gateway, then a summary line. */
export function formatFleet(entries: readonly FleetEntry[]): string {
  if (entries.length === 0) return 'no gateway has reported yet (each running sync records itself within a minute)\n';
  const cell = (text: string) => printable(text);
  const lines = entries.map((e) =>
    [cell(e.gatewayId), e.state, `${e.agents ?? '?'} agents`, `seen ${e.lastSeenAt}`, cell(e.reason)].join('  '),
  );
  const count = (s: GatewayState) => entries.filter((e) => e.state === s).length;
  lines.push(`${entries.length} gateway(s): ${count('current')} current, ${count('behind')} behind, ${count('stale')} stale, ${count('failing')} failing, ${count('stopped')} stopped`);
  return `${lines.join('\n')}\n`;
}

/**
 * `fleet --forget ID`: removes a retired gateway's row (exit 0), or says there is none (exit 1). A
 * gateway that still runs records itself again within a minute. Needs DELETE on the table, which the
 * grants for gateways' own roles leave out.
 */
async function forgetGateway(flags: Flags, gatewayId: string): Promise<number> {
  const connection = connectionFromFlags(flags);
  const removed = await withClient({ connection }, async (client) => {
    try {
      return (await client.query(`DELETE FROM ${GATEWAYS_TABLE} WHERE gateway_id = $1`, [gatewayId])).rowCount ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code === '42501') throw new Error(`no permission to delete from ${GATEWAYS_TABLE}: run "fleet --forget" as the operator's role (gateways' roles have no DELETE)`);
      throw error;
    }
  });
  const id = printable(JSON.stringify(gatewayId));
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ forgot: gatewayId, removed: removed > 0 })}\n`);
  else process.stdout.write(removed > 0 ? `forgot gateway ${id}: its row is removed (a gateway still running records itself again within a minute)\n` : `no gateway ${id} in ${GATEWAYS_TABLE}\n`);
  return removed > 0 ? 0 : 1;
}
