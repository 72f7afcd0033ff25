/**
 * What `openclaw gateway call agent_config_sync.status` answers: the running pipeline's counters
 * and last events, with the settings it runs under. Pure: the facts and the pipeline status come in.
 * Never holds a password: the connection is its safe description (user@host:port/database).
 */
import { countersOf, type PipelineCounters } from '../domain/pipelineCounters.js';
import type { PipelineStatus } from '../pipeline.js';

/** The settings a started service runs under, as the service resolved them (nothing secret). */
export interface RunningFacts {
  /** user@host:port/database, never the password. */
  connection: string;
  /** Where the connection came from: plugin config, channels.agent_chat, ~/.openclaw/postgres.json, environment. */
  connectionSource: string;
  channel: string;
  /** The agents source as configured (table, view or function). */
  source: string;
  gatewayId?: string;
  outputPath: string;
  configPath: string;
  host: { version: string; format: string; layout: string; reload: string };
  /** Who checks each file for the host: "checked by OpenClaw 2026.9.6's own validator, in process (…), every render". */
  hostCheck?: string;
  startedAt: string;
}

/** The answer of the status method (JSON): the settings, the last events, then every counter of the pipeline. */
export interface SyncStatusReport extends PipelineCounters {
  plugin: 'agent_config_sync';
  /** A pipeline runs in this gateway process. */
  running: boolean;
  /** The listening connection is up. */
  connected: boolean;
  connection: string | null;
  connectionSource: string | null;
  channel: string | null;
  source: string | null;
  gatewayId: string | null;
  outputPath: string | null;
  openclawConfig: string | null;
  host: RunningFacts['host'] | null;
  /** Who checks each file for the host before it is written (docs/design.md §10). */
  hostCheck: string | null;
  startedAt: string | null;
  lastWrite: PipelineStatus['lastWrite'] | null;
  /** The change ledger id the file holds (`history` lists the changes up to it); null when unknown. */
  syncedThrough: string | null;
  lastError: { at: string; message: string } | null;
}

/**
 * The report of a running pipeline, or of none (`running: false`, with why it did not start when
 * that is known).
 */
export function buildStatusReport(
  facts: RunningFacts | undefined,
  status: PipelineStatus | undefined,
  startFailure?: { at: string; message: string },
): SyncStatusReport {
  const running = facts !== undefined && status !== undefined;
  return {
    plugin: 'agent_config_sync',
    running,
    connected: status?.connected ?? false,
    connection: facts?.connection ?? null,
    connectionSource: facts?.connectionSource ?? null,
    channel: facts?.channel ?? null,
    source: facts?.source ?? null,
    gatewayId: facts?.gatewayId ?? null,
    outputPath: facts?.outputPath ?? null,
    openclawConfig: facts?.configPath ?? null,
    host: facts?.host ?? null,
    hostCheck: facts?.hostCheck ?? null,
    startedAt: facts?.startedAt ?? null,
    lastWrite: status?.lastWrite ?? null,
    syncedThrough: status?.syncedThrough ?? null,
    lastError: (running ? status?.lastError : startFailure) ?? null,
    ...countersOf(status),
  };
}
