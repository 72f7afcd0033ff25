/** What `agent-config-sync fleet` says of one gateway (DESIGN §9). */
export type GatewayState = 'current' | 'behind' | 'stale' | 'failing' | 'stopped';

/** One row of agent_config_sync_gateways, as the domain needs it. */
export interface GatewayRow {
  gatewayId: string;
  rosterSha256: string | null;
  lastWriteAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  lastSeenAt: Date;
  /** Set by the instance's last upsert when it stopped cleanly; null while it runs (or after a crash). */
  stoppedAt?: Date | null;
}

/** How many status intervals without a row update make a gateway stale. */
export const STALE_INTERVALS = 3;

/**
 * The state of one gateway, with a one-line reason. In order: stopped (its last word was a clean stop:
 * neither behind nor stale — it reads everything when it starts again), stale (its row was not refreshed for
 * 3 intervals: what it says is old news), failing (an error newer than its last write, not yet over),
 * behind (its roster hash differs from what the database renders for it now), else current.
 *
 * @param expectedSha256 sha256 of what the database renders for this gateway now; undefined when it could not be rendered.
 * @param now The database's clock, so gateways' and the reader's clocks do not matter.
 * @param intervalMs The status interval. Defaults to 60000 ms.
 */
export function classifyGateway(row: GatewayRow, expectedSha256: string | undefined, now: Date, intervalMs = 60_000): { state: GatewayState; reason: string } {
  if (row.stoppedAt !== undefined && row.stoppedAt !== null && row.stoppedAt.getTime() >= row.lastSeenAt.getTime()) {
    return { state: 'stopped', reason: `stopped cleanly at ${row.stoppedAt.toISOString()}; it syncs in full when it starts again ("fleet --forget ${row.gatewayId}" removes a retired gateway)` };
  }
  const silentMs = now.getTime() - row.lastSeenAt.getTime();
  if (silentMs > STALE_INTERVALS * intervalMs) {
    return { state: 'stale', reason: `not seen for ${Math.round(silentMs / 1000)} s (more than ${STALE_INTERVALS} × ${intervalMs / 1000} s)` };
  }
  if (row.lastError !== null && (row.lastErrorAt === null || row.lastWriteAt === null || row.lastErrorAt > row.lastWriteAt)) {
    return { state: 'failing', reason: row.lastError };
  }
  if (expectedSha256 === undefined) return { state: 'behind', reason: 'the database cannot render a roster for its format and layout' };
  if (row.rosterSha256 !== expectedSha256) {
    return { state: 'behind', reason: row.rosterSha256 === null ? 'it has no file yet' : 'its file differs from what the database renders for it now' };
  }
  return { state: 'current', reason: 'its file equals what the database renders for it now' };
}

/** Exit code of `fleet`: 1 when any gateway is failing, 2 when any is behind or stale, else 0 (current or stopped). */
export function fleetExitCode(states: readonly GatewayState[]): 0 | 1 | 2 {
  if (states.includes('failing')) return 1;
  if (states.some((s) => s === 'behind' || s === 'stale')) return 2;
  return 0;
}
