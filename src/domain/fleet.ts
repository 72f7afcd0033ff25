/** What `agent-config-sync fleet` says of one gateway. */
export type GatewayState = 'current' | 'behind' | 'stale' | 'failing' | 'conflict' | 'stopped';

/** Every state, in the order a summary counts them. */
export const GATEWAY_STATES: readonly GatewayState[] = ['current', 'behind', 'stale', 'failing', 'conflict', 'stopped'];

/**
 * The changes a gateway owes: ledger rows above its synced_through, committed before now − (its max wait
 * + 5 s), so a change still inside its coalescing window is not held against it.
 */
export interface Owed {
  count: number;
  /** Id of the oldest one (decimal text of a bigint), and when it was made; null when count is 0. */
  oldestId: string | null;
  oldestAt: Date | null;
}

/** One row of agent_config_sync_gateways, with what the ledger says it owes. */
export interface GatewayRow {
  gatewayId: string;
  lastSeenAt: Date;
  /** Set by the instance's last upsert when it stopped cleanly; null while it runs (or after a crash). */
  stoppedAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** The newest sync of any kind (written, or found equal to the disk). */
  lastSyncAt: Date | null;
  instanceId: string | null;
  instanceStartedAt: Date | null;
  previousInstanceId: string | null;
  previousInstanceSeenAt: Date | null;
  /** The instance's status interval in ms; null (a row from before it) means the default 60000. */
  intervalMs: number | null;
  owed: Owed;
}

/** How many status intervals without a row update make a gateway stale; two instances within as many make a conflict. */
export const STALE_INTERVALS = 3;

/** The status interval a row was written with. */
export const intervalOf = (row: Pick<GatewayRow, 'intervalMs'>): number => (row.intervalMs !== null && row.intervalMs > 0 ? row.intervalMs : 60_000);

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/**
 * The state of one gateway, with a one-line reason, judged from its row and the ledger alone — never by
 * rendering its roster here, which depends on its host version, its openclaw.json and its host check. In
 * order: stopped (its last word was a clean stop: it reads everything when it starts again), stale (its
 * row was not refreshed for 3 of its intervals: what it says is old news), conflict (another instance
 * wrote the same gateway id's row after this one started, within 3 intervals), failing (an error newer
 * than its last sync), behind (it owes changes), else current.
 *
 * @param now The database's clock, so gateways' and the reader's clocks do not matter.
 */
export function classifyGateway(row: GatewayRow, now: Date): { state: GatewayState; reason: string } {
  const interval = intervalOf(row);
  if (row.stoppedAt !== null && row.stoppedAt.getTime() >= row.lastSeenAt.getTime()) {
    return { state: 'stopped', reason: `stopped cleanly at ${row.stoppedAt.toISOString()}; it syncs in full when it starts again ("fleet --forget ${row.gatewayId}" removes a retired gateway)` };
  }
  const silentMs = now.getTime() - row.lastSeenAt.getTime();
  if (silentMs > STALE_INTERVALS * interval) {
    return { state: 'stale', reason: `not seen for ${seconds(silentMs)} (more than ${STALE_INTERVALS} × ${seconds(interval)})` };
  }
  const conflict = conflictOf(row, now);
  if (conflict) return { state: 'conflict', reason: conflict };
  if (row.lastError !== null && (row.lastSyncAt === null || row.lastErrorAt === null || row.lastErrorAt > row.lastSyncAt)) {
    return { state: 'failing', reason: row.lastError };
  }
  if (row.owed.count > 0) {
    const n = row.owed.count;
    const age = row.owed.oldestAt === null ? '' : `, ${seconds(now.getTime() - row.owed.oldestAt.getTime())} ago`;
    return { state: 'behind', reason: `${n} change${n === 1 ? '' : 's'} behind, oldest ${row.owed.oldestId ?? '?'}${age}` };
  }
  return { state: 'current', reason: 'it has every change made before its max wait + 5 s' };
}

/** Why two instances look to share this gateway id, or undefined. */
function conflictOf(row: GatewayRow, now: Date): string | undefined {
  const { previousInstanceId: other, previousInstanceSeenAt: seen, instanceStartedAt: started } = row;
  if (other === null || seen === null || started === null || other === row.instanceId) return undefined;
  // A restart (clean or not) leaves the old instance last seen before the new one started; two live
  // instances take turns, so the other one was seen after this one started.
  if (seen.getTime() < started.getTime()) return undefined;
  if (now.getTime() - seen.getTime() > STALE_INTERVALS * intervalOf(row)) return undefined;
  return `two instances write this gateway id: ${row.instanceId ?? '?'} and ${other} (seen ${seconds(now.getTime() - seen.getTime())} ago); give each its own gatewayId`;
}

/** Exit code of `fleet`: 1 when any gateway is failing or in conflict, 2 when any is behind or stale, else 0 (current or stopped). */
export function fleetExitCode(states: readonly GatewayState[]): 0 | 1 | 2 {
  if (states.some((s) => s === 'failing' || s === 'conflict')) return 1;
  if (states.some((s) => s === 'behind' || s === 'stale')) return 2;
  return 0;
}

/** Whether a gateway whose file holds `syncedThrough` has change `id` (both decimal text of bigints). */
export function hasChange(syncedThrough: string | null, id: string): boolean {
  return syncedThrough !== null && /^\d+$/.test(syncedThrough) && BigInt(syncedThrough) >= BigInt(id);
}
