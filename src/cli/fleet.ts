import { classifyGateway, fleetExitCode, GATEWAY_STATES, hasChange, type GatewayState } from '../domain/fleet.js';
import { readChange, readFleet, type ChangeFacts, type StatusRecord } from '../fleet/fleetQuery.js';
import { GATEWAYS_TABLE } from '../fleet/statusUpsert.js';
import { printable } from '../logger.js';
import { textFlag, UsageError, type Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { withClient } from './sync.js';

/** One gateway as `fleet --json` prints it. */
export interface FleetEntry {
  gatewayId: string;
  state: GatewayState;
  reason: string;
  /** The database role that writes this gateway's row (null: a row from before owners). */
  owner: string | null;
  hostVersion: string | null;
  format: string | null;
  layout: string | null;
  outputPath: string | null;
  agents: number | null;
  rosterSha256: string | null;
  /** The ledger id the gateway's file holds, and when it first held it. */
  syncedThrough: string | null;
  syncedAt: string | null;
  /** The changes it owes (made before now − its max wait + 5 s). */
  behindBy: number;
  oldestOwed: string | null;
  instanceId: string | null;
  lastWriteAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  lastSeenAt: string;
  stoppedAt: string | null;
  pluginVersion: string | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A status record judged and shaped for printing. */
export function fleetEntry(r: StatusRecord): FleetEntry {
  const { state, reason } = classifyGateway(r, r.dbNow);
  return {
    gatewayId: r.gatewayId,
    state,
    reason,
    owner: r.owner,
    hostVersion: r.hostVersion,
    format: r.format,
    layout: r.layout,
    outputPath: r.outputPath,
    agents: r.agents,
    rosterSha256: r.rosterSha256,
    syncedThrough: r.syncedThrough,
    syncedAt: iso(r.syncedAt),
    behindBy: r.owed.count,
    oldestOwed: r.owed.oldestId,
    instanceId: r.instanceId,
    lastWriteAt: iso(r.lastWriteAt),
    lastError: r.lastError,
    lastErrorAt: iso(r.lastErrorAt),
    lastSeenAt: r.lastSeenAt.toISOString(),
    stoppedAt: iso(r.stoppedAt),
    pluginVersion: r.pluginVersion,
  };
}

/**
 * `fleet [--json]`: every gateway in agent_config_sync_gateways, judged from its row and the change ledger
 * alone (the CLI never renders another gateway's roster: that depends on its host version, openclaw.json
 * and host check). `--change ID` lists which gateways have that change; `--forget ID` removes a row.
 * Exit 0 all current or stopped (or none reported), 2 some behind or stale, 1 some failing or in conflict, or an error.
 */
export async function fleetCommand(flags: Flags): Promise<number> {
  const forget = textFlag(flags, 'forget');
  if (forget !== undefined) return forgetGateway(flags, forget);
  const change = textFlag(flags, 'change');
  if (change !== undefined && !/^[1-9]\d{0,18}$/.test(change)) throw new UsageError(`--change: expected a change id (a positive whole number, as "history" prints it), got ${JSON.stringify(change)}`);
  const connection = connectionFromFlags(flags);
  if (change !== undefined) return changeCommand(flags, connection, change);
  const entries = (await withClient({ connection }, readFleet)).map(fleetEntry);
  const exit = fleetExitCode(entries.map((e) => e.state));
  if (flags.json === true) {
    const counts = Object.fromEntries(GATEWAY_STATES.map((s) => [s, entries.filter((e) => e.state === s).length]));
    process.stdout.write(`${JSON.stringify({ connection: connection.description, ...counts, gateways: entries }, null, 2)}\n`);
  } else {
    process.stdout.write(formatFleet(entries));
  }
  return exit;
}

/**
 * A name from a status row or the ledger as one cell of a line: bare when it is a plain name, else
 * quoted and escaped. Each gateway's role writes its own row's text, so an id of its choosing
 * (`gw-b  current  owner gw_b …`) must not read as another gateway's line.
 */
function cell(text: string): string {
  return /^[\w.@:/+-]+$/.test(text) ? text : printable(JSON.stringify(text));
}

/** Who made a change: the actor, and the login role beside it when the writer named someone else. */
function author(change: Pick<ChangeFacts, 'actor' | 'role'>): string {
  const actor = change.actor === null ? '?' : cell(change.actor);
  return change.role !== null && change.role !== change.actor ? `${actor} (role ${cell(change.role)})` : actor;
}

/** The human table: one line per gateway, then a summary line (the reason, free text, ends each line). */
export function formatFleet(entries: readonly FleetEntry[]): string {
  if (entries.length === 0) return 'no gateway has reported yet (each running sync records itself within a minute)\n';
  const lines = entries.map((e) =>
    [cell(e.gatewayId), e.state, `owner ${e.owner === null ? '?' : cell(e.owner)}`, `${e.agents ?? '?'} agents`, `through ${e.syncedThrough ?? '-'}`, `seen ${e.lastSeenAt}`, printable(e.reason)].join('  '),
  );
  lines.push(`${entries.length} gateway(s): ${GATEWAY_STATES.map((s) => `${entries.filter((e) => e.state === s).length} ${s}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** One gateway as `fleet --change ID` lists it. */
export interface ChangeEntry {
  gatewayId: string;
  owner: string | null;
  state: GatewayState;
  has: boolean;
  /** When its file first held a ledger id at or past the change (its synced_at); null when it has not got it. */
  syncedAt: string | null;
  syncedThrough: string | null;
}

/**
 * `fleet --change ID`: which gateways have change ID (their file holds a snapshot through it or later) and
 * when each got there, and which have not. A cleanly stopped gateway is listed but not waited for.
 * Exit 0 every running gateway has it, 2 some do not yet, 1 no such change in the ledger (never made, or pruned).
 */
async function changeCommand(flags: Flags, connection: ReturnType<typeof connectionFromFlags>, id: string): Promise<number> {
  const { change, records } = await withClient({ connection }, async (client) => ({ change: await readChange(client, id), records: await readFleet(client) }));
  if (change === undefined) {
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ change: id, found: false })}\n`);
    else process.stdout.write(`no change ${id} in the ledger (never made, or older than historyDays and pruned)\n`);
    return 1;
  }
  const entries: ChangeEntry[] = records.map((r) => {
    const has = hasChange(r.syncedThrough, id);
    return { gatewayId: r.gatewayId, owner: r.owner, state: classifyGateway(r, r.dbNow).state, has, syncedAt: has ? iso(r.syncedAt) : null, syncedThrough: r.syncedThrough };
  });
  const waiting = entries.filter((e) => !e.has && e.state !== 'stopped');
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ change: { ...change, at: change.at.toISOString() }, found: true, have: entries.filter((e) => e.has).length, missing: waiting.length, gateways: entries }, null, 2)}\n`);
  } else {
    process.stdout.write(formatChange(change, entries));
  }
  return waiting.length === 0 ? 0 : 2;
}

/** The human listing of `fleet --change`. */
export function formatChange(change: ChangeFacts, entries: readonly ChangeEntry[]): string {
  const head = `change ${change.id}: ${change.operation ?? '?'} ${printable(change.source ?? '?')} ${printable(JSON.stringify(change.key ?? ''))} by ${author(change)} at ${change.at.toISOString()}`;
  const lines = entries.map((e) => {
    const after = e.syncedAt === null ? '' : ` (${Math.max(0, Math.round((Date.parse(e.syncedAt) - change.at.getTime()) / 100) / 10)} s after the change)`;
    const what = e.has ? `has it since ${e.syncedAt ?? '?'}${after}` : e.state === 'stopped' ? 'stopped; gets it when it starts again' : `not yet (${e.state}, through ${e.syncedThrough ?? '-'})`;
    return `  ${cell(e.gatewayId)}  owner ${e.owner === null ? '?' : cell(e.owner)}  ${what}`;
  });
  const have = entries.filter((e) => e.has).length;
  return `${head}\n${lines.join('\n')}${lines.length ? '\n' : ''}${have} of ${entries.length} gateway(s) have it\n`;
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
