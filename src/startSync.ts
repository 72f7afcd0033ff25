import type pg from 'pg';
import type { Observable } from 'rxjs';
import type { SyncSettings } from './config.js';
import type { AgentsSource } from './db/source.js';
import type { OutputPlan } from './domain/plan.js';
import type { Rendered } from './domain/types.js';
import { gatewayStatusWriter } from './fleet/statusWriter.js';
import { makeLedgerPruner } from './db/ledgerPruner.js';
import type { Logger } from './logger.js';
import { startPipeline, type RunningPipeline, type WrittenFile } from './pipeline.js';

/** What the plugin service and the CLI's `watch` resolved before starting a sync. */
export interface SyncSetup {
  /** The listening, snapshot and status connections use this (application_name included). */
  connection: pg.ClientConfig;
  settings: Pick<SyncSettings, 'channel' | 'debounceMs' | 'maxWaitMs' | 'allowEmpty' | 'reconcileMs' | 'historyDays'>;
  source: AgentsSource;
  plan: Pick<OutputPlan, 'outputPath' | 'render'>;
  /** The host's openclaw.json, which no write replaces. Defaults to unknown. */
  configPath?: string;
  /** The host version as text (e.g. 2026.8.2), when known; for the fleet's status row. */
  hostVersion?: string;
  gatewayId: string;
  /** The reload side effect after each write that changed the file. */
  reload: () => Promise<void>;
  /** The host's own schema, when there is one to ask. */
  hostCheck?: (rendered: Rendered) => Observable<Rendered>;
  logger: Required<Logger>;
  /** Wait before the ledger's first prune, in ms. Defaults to a random moment in the first 10 minutes. */
  pruneFirstDelayMs?: number;
  /** Told after each write, after the fleet status has been. */
  onWritten?: (written: WrittenFile) => void;
}

/**
 * The one way a long-running sync starts, for the plugin service and the CLI alike: the pipeline
 * over PostgreSQL and the file, with this gateway's row in the fleet status told of every sync and
 * failure, and the change ledger pruned to historyDays; disposing it stops all three.
 */
export function startSync(setup: SyncSetup): RunningPipeline {
  const fleet = gatewayStatusWriter({
    connection: setup.connection,
    gatewayId: setup.gatewayId,
    hostVersion: setup.hostVersion,
    outputPath: setup.plan.outputPath,
    render: setup.plan.render,
    logger: setup.logger,
    maxWaitMs: setup.settings.maxWaitMs,
  });
  const pipeline = startPipeline({
    connection: setup.connection,
    channel: setup.settings.channel,
    agentsSource: setup.source,
    outputPath: setup.plan.outputPath,
    configPath: setup.configPath,
    debounceMs: setup.settings.debounceMs,
    maxWaitMs: setup.settings.maxWaitMs,
    render: setup.plan.render,
    reload: setup.reload,
    allowEmpty: setup.settings.allowEmpty,
    reconcileMs: setup.settings.reconcileMs,
    logger: setup.logger,
    hostCheck: setup.hostCheck,
    gatewayId: setup.gatewayId,
    onError: fleet.failed,
    onSynced: fleet.synced,
    onWritten: setup.onWritten,
  });
  // The change ledger kept to historyDays by every running sync (one prune at a time across the fleet).
  const pruner = makeLedgerPruner({ connection: setup.connection, historyDays: setup.settings.historyDays, logger: setup.logger, firstDelayMs: setup.pruneFirstDelayMs });
  pruner.start();
  // Disposing stops all three at once (each is bounded on its own); safe to call twice.
  let disposed: Promise<void> | undefined;
  return {
    status: () => pipeline.status(),
    dispose: () => (disposed ??= Promise.all([pipeline.dispose(), fleet.stop(), pruner.stop()]).then(() => undefined)),
  };
}
