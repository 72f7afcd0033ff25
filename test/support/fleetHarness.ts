import pg from 'pg';
import { of } from 'rxjs';
import type { Rendered } from '../../src/domain/types.js';
import { gatewayStatusWriter, type StatusWriter, type Synced } from '../../src/fleet/statusWriter.js';
import { makeLogger } from '../../src/logger.js';
import type { PipelineOptions } from '../../src/pipeline.js';
import { runCli } from '../cli/cli.js';
import { startPipeline, type PipelineUnderTest } from './pipelineHarness.js';

/** A real pipeline with its status writer, wired as the plugin and `watch` wire them (onSynced, onError). */
export interface GatewayUnderTest {
  id: string;
  sync: PipelineUnderTest;
  writer: StatusWriter;
  upserts: boolean[];
  /** A clean stop: the row's last word is "stopped". */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  url: string;
  pipeline?: Partial<PipelineOptions>;
  format?: 'entries' | 'list';
  intervalMs?: number;
  timeoutMs?: number;
  instanceId?: string;
}

/** Starts one gateway of a fleet: its own pipeline, output file and status writer. */
export function startGateway(id: string, options: GatewayOptions): GatewayUnderTest {
  const upserts: boolean[] = [];
  let writer: StatusWriter | undefined;
  const render = { format: options.format ?? 'entries', layout: 'root' } as const;
  const sync = startPipeline(options.url, {
    gatewayId: id,
    render,
    maxWaitMs: 500,
    onError: (m: string) => writer?.failed(m),
    onSynced: (s: Synced) => writer?.synced(s),
    ...options.pipeline,
  });
  writer = gatewayStatusWriter({
    connection: { connectionString: options.url },
    gatewayId: id,
    hostVersion: '2026.8.2',
    outputPath: sync.outputPath,
    render,
    logger: makeLogger(sync.log),
    maxWaitMs: 500,
    settleMs: 50,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    instanceId: options.instanceId,
    onUpserted: (ok) => upserts.push(ok),
  });
  const w = writer;
  return {
    id,
    sync,
    writer: w,
    upserts,
    async stop() {
      await w.stop();
      await sync.stop();
    },
  };
}

/** A host check that leaves a setting out, as a real host's check may: the file then differs from a plain render. */
export const leavesThinkingOut = (r: Rendered) => of({ ...r, text: r.text.replace(/,\s*"thinkingDefault": "[^"]*"/g, '') });

/** A URL of the same database for another role. */
export function urlAs(url: string, role: string, password = 'pw'): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

/** The newest ledger id (decimal text), '0' when empty. */
export async function ledgerHighWater(client: pg.ClientBase): Promise<string> {
  return (await client.query<{ id: string }>(`SELECT COALESCE(max(id), 0)::text AS id FROM agent_config_changes`)).rows[0]!.id;
}

/** The status row of a gateway, as the database holds it. */
export async function statusRow(client: pg.ClientBase, id: string): Promise<Record<string, any> | undefined> {
  return (await client.query(`SELECT *, synced_through::text AS through FROM agent_config_sync_gateways WHERE gateway_id = $1`, [id])).rows[0];
}

/** True once the gateway's row says its file holds change `id` or later. */
export async function hasSynced(client: pg.ClientBase, gateway: string, id: string): Promise<boolean> {
  const row = await statusRow(client, gateway);
  return row?.through !== undefined && row.through !== null && BigInt(row.through) >= BigInt(id);
}

export interface FleetReport {
  code: number;
  stderr: string;
  report?: { gateways: { gatewayId: string; state: string; reason: string; owner: string | null }[] } & Record<string, unknown>;
}

/** Runs `fleet --json` (plus `args`) as the CLI does, as whichever role the URL names. */
export async function fleetJson(url: string, home: string, args: string[] = []): Promise<FleetReport> {
  const result = await runCli(['fleet', '--json', ...args, '--database-url', url], home);
  let report: FleetReport['report'];
  try {
    report = result.stdout ? JSON.parse(result.stdout) : undefined;
  } catch {
    report = undefined;
  }
  return { code: result.code, stderr: result.stderr, report };
}

/** Each gateway's id and state, as `fleet --json` says. */
export const statesOf = (r: FleetReport) => Object.fromEntries((r.report?.gateways ?? []).map((g) => [g.gatewayId, g.state]));
