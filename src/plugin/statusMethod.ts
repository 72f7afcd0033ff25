/**
 * The gateway method `agent_config_sync.status` (scope operator.read): what the pipeline of this
 * gateway process is doing, answered from its own counters, without touching the database.
 * `openclaw gateway call agent_config_sync.status --json` shows it.
 */
import type { PluginApi } from '../openclaw.js';
import type { PipelineStatus } from '../pipeline.js';
import { buildStatusReport, type RunningFacts, type SyncStatusReport } from './statusReport.js';

export const STATUS_METHOD = 'agent_config_sync.status';

/** Where the method reads from (the service's process-wide slot). */
export interface StatusSources {
  facts(): RunningFacts | undefined;
  status(): PipelineStatus | undefined;
  startFailure(): { at: string; message: string } | undefined;
}

/** The report now. */
export function currentStatus(sources: StatusSources): SyncStatusReport {
  const facts = sources.facts();
  return buildStatusReport(facts, facts ? sources.status() : undefined, sources.startFailure());
}

/** Registers the method when the host's API has `registerGatewayMethod` (2026.4.29+). */
export function registerStatusMethod(api: PluginApi, sources: StatusSources): void {
  if (typeof api.registerGatewayMethod !== 'function') return;
  api.registerGatewayMethod(
    STATUS_METHOD,
    ({ respond }) => {
      try {
        respond(true, currentStatus(sources));
      } catch (error) {
        respond(false, undefined, { code: 'UNAVAILABLE', message: `agent_config_sync: status failed: ${error instanceof Error ? error.message : String(error)}` });
      }
    },
    { scope: 'operator.read' },
  );
}
