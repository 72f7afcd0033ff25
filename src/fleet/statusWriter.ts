import { createHash } from 'node:crypto';
import fs from 'node:fs';
import pg from 'pg';
import { listenToEveryClient } from '../db/poolClients.js';
import { settleWithin } from '../db/sockets.js';
import type { Rendered } from '../domain/types.js';
import { describeError, type Logger } from '../logger.js';
import type { RunningPipeline, WrittenFile } from '../pipeline.js';
import { PLUGIN_VERSION } from './version.js';

/** The fleet status table (sql/200-gateway-status.sql). */
export const GATEWAYS_TABLE = 'agent_config_sync_gateways';
/** How often a quiet instance refreshes its row, in ms; `fleet` calls a row stale after 3 of these. */
export const STATUS_INTERVAL_MS = 60_000;

/** What a gateway's row says about its setup (asked at each upsert: the render settings may change). */
export interface GatewayFacts {
  gatewayId: string;
  hostVersion?: string;
  format: string;
  layout: string;
  outputPath: string;
}

/** Options of {@link makeStatusWriter}. */
export interface StatusWriterOptions {
  /** The sync's connection; the writer opens its own, named `agent_config_sync_status`, closed when idle. */
  connection: pg.ClientConfig;
  facts: () => GatewayFacts;
  /** The output file as it is on disk now (its hash is the row's roster_sha256). */
  readFile: () => string | undefined;
  logger: Required<Logger>;
  /** Longest time between two upserts of a quiet instance. Defaults to 60000 ms. */
  intervalMs?: number;
  /**
   * After a write or an error the upsert waits this long to twice as long (jitter), so a burst costs
   * one upsert, stays off the sync's own path, and a fleet that one commit reached does not upsert all
   * at once. Defaults to 1000 ms.
   */
  settleMs?: number;
  /** Client-side bound of connecting and of one upsert. Defaults to 5000 ms. */
  timeoutMs?: number;
  /** Told after each upsert (for tests). */
  onUpserted?: (ok: boolean) => void;
}

/** Records one gateway's state in the fleet table without ever holding up or failing the sync. */
export interface StatusWriter {
  /** After a write: the row gets its time, hash and agent count now. */
  written(written: Pick<WrittenFile, 'text' | 'agentCount'>): void;
  /** After a failure: the row gets the error now. */
  failed(message: string): void;
  /** After a render: when an error is outstanding and the disk already holds this render, the error is over. */
  rendered(rendered: Pick<Rendered, 'text' | 'agentCount'>): void;
  /** Stops the timer and closes the connection (within about a second). */
  stop(): Promise<void>;
}

const UPSERT = `INSERT INTO ${GATEWAYS_TABLE} AS g
    (gateway_id, host_version, format, layout, output_path, agents, roster_sha256, last_write_at, last_error, last_error_at, last_seen_at, plugin_version, stopped_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, pg_catalog.now(), $11, CASE WHEN $12::boolean THEN pg_catalog.now() END)
  ON CONFLICT (gateway_id) DO UPDATE SET
    host_version = EXCLUDED.host_version, format = EXCLUDED.format, layout = EXCLUDED.layout,
    output_path = EXCLUDED.output_path, agents = EXCLUDED.agents, roster_sha256 = EXCLUDED.roster_sha256,
    last_write_at = COALESCE(EXCLUDED.last_write_at, g.last_write_at), last_error = EXCLUDED.last_error,
    last_error_at = COALESCE(EXCLUDED.last_error_at, g.last_error_at), last_seen_at = EXCLUDED.last_seen_at,
    plugin_version = EXCLUDED.plugin_version, stopped_at = EXCLUDED.stopped_at`;

/** The same upsert on a table created before `stopped_at` (migrate adds it): the row is kept up to date, a stop is not recorded. */
const UPSERT_WITHOUT_STOP = UPSERT.replace(', stopped_at)', ')').replace(', CASE WHEN $12::boolean THEN pg_catalog.now() END)', ')').replace(', stopped_at = EXCLUDED.stopped_at', '');

/** How long a clean stop waits for its last upsert (the one that marks the row stopped), in ms. */
const STOP_UPSERT_MS = 1_500;

/** SQLSTATEs that mean "this database does not take our row": no table, no permission, read-only. */
const REFUSED = new Map([
  ['42P01', `run "agent-config-sync migrate" to create it`],
  ['42501', `GRANT SELECT, INSERT, UPDATE ON ${GATEWAYS_TABLE} to this gateway's role`],
  ['25006', 'the connection is read-only (a hot standby, or default_transaction_read_only)'],
]);

/**
 * The fleet status writer (DESIGN §9): upserts this gateway's row in `agent_config_sync_gateways` on
 * start, about a second after each write or error, and at least every `intervalMs` otherwise. Fire and forget: one
 * upsert in flight at most (a newer reason waits and is folded into one more), each bounded in time,
 * over a connection of its own that closes when idle. A missing table, no permission or a read-only
 * server is one warning (and one info line when it works again); any other failure is debug only,
 * because the pipeline already reports its own connection trouble. Nothing here throws.
 */
export function makeStatusWriter(options: StatusWriterOptions): StatusWriter {
  const log = options.logger;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const pool = new pg.Pool({
    ...options.connection,
    application_name: 'agent_config_sync_status',
    max: 1,
    idleTimeoutMillis: 2_000,
    allowExitOnIdle: true,
    connectionTimeoutMillis: timeoutMs,
    // Client-side only: a statement_timeout startup parameter would be refused by PgBouncer.
    query_timeout: timeoutMs,
  } as pg.PoolConfig);
  const lost = (error: Error) => log.debug(`fleet status connection failed: ${describeError(error)}`);
  pool.on('error', lost);
  listenToEveryClient(pool, lost);

  let lastWrite: { at: Date; text: string; agents: number } | undefined;
  let error: { at: Date; message: string; over: boolean } | undefined;
  let lastRendered: { at: Date; text: string; agents: number } | undefined;
  let inFlight = false;
  let again = false;
  let stopped = false;
  let warned = false;
  let settling: ReturnType<typeof setTimeout> | undefined;

  let withStop = true;
  const upsert = async (stopping = false): Promise<boolean> => {
    const facts = options.facts();
    const disk = options.readFile();
    // A render equal to the disk and newer than the error: the gateway has recovered.
    if (error && !error.over && disk !== undefined && lastRendered && lastRendered.at >= error.at && lastRendered.text === disk) error.over = true;
    const known = [lastWrite, lastRendered].find((r) => r !== undefined && r.text === disk);
    try {
      const values = [
        facts.gatewayId,
        facts.hostVersion ?? null,
        facts.format,
        facts.layout,
        facts.outputPath,
        known?.agents ?? null,
        disk === undefined ? null : createHash('sha256').update(disk).digest('hex'),
        lastWrite?.at ?? null,
        error && !error.over ? error.message : null,
        error?.at ?? null,
        PLUGIN_VERSION,
      ];
      try {
        await pool.query(withStop ? UPSERT : UPSERT_WITHOUT_STOP, withStop ? [...values, stopping] : values);
      } catch (e) {
        // 42703: no stopped_at column yet (a table from before it; "agent-config-sync migrate" adds it).
        if (!withStop || (e as { code?: string }).code !== '42703') throw e;
        withStop = false;
        log.debug(`fleet status: ${GATEWAYS_TABLE} has no stopped_at column (run "agent-config-sync migrate"); a clean stop is not recorded`);
        await pool.query(UPSERT_WITHOUT_STOP, values);
      }
      if (warned) log.info(`fleet status: ${GATEWAYS_TABLE} takes this gateway's row again`);
      warned = false;
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code;
      const advice = code === undefined ? undefined : REFUSED.get(code);
      if (advice && !warned) {
        warned = true;
        log.warn(`fleet status: cannot record gateway "${facts.gatewayId}" in ${GATEWAYS_TABLE} (${describeError(e)}); ${advice}. The sync goes on.`);
      } else {
        log.debug(`fleet status: upsert failed: ${describeError(e)}`);
      }
      return false;
    }
  };

  const kick = () => {
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    void upsert().then((ok) => {
      inFlight = false;
      options.onUpserted?.(ok);
      if (again) {
        again = false;
        kick();
      }
    });
  };

  const kickSoon = () => {
    if (stopped || settling) return;
    settling = setTimeout(() => {
      settling = undefined;
      kick();
      // Jittered: a commit reaches every gateway of a fleet at once; their rows should not all follow at once.
    }, (options.settleMs ?? 1_000) * (1 + Math.random()));
    settling.unref();
  };

  const timer = setInterval(kick, options.intervalMs ?? STATUS_INTERVAL_MS);
  timer.unref();
  kick();

  return {
    written(w) {
      lastWrite = { at: new Date(), text: w.text, agents: w.agentCount };
      if (error) error.over = true;
      kickSoon();
    },
    failed(message) {
      error = { at: new Date(), message, over: false };
      kickSoon();
    },
    rendered(r) {
      lastRendered = { at: new Date(), text: r.text, agents: r.agentCount };
      // Only worth an upsert when it may end an outstanding error; otherwise the next one carries it.
      if (error && !error.over) kickSoon();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      clearTimeout(settling);
      // A clean stop is the row's last word: "stopped", not stale, in `fleet`. Bounded: a database that
      // does not answer costs at most STOP_UPSERT_MS, and the row then goes stale as a crash's would.
      await settleWithin(upsert(true), STOP_UPSERT_MS);
      await settleWithin(pool.end(), 1_000);
    },
  };
}

/** A pipeline whose dispose also stops its status writer. */
export function withStatusWriter(running: RunningPipeline, writer: StatusWriter): RunningPipeline {
  let disposed: Promise<void> | undefined;
  return {
    status: () => running.status(),
    dispose: () => (disposed ??= Promise.all([running.dispose(), writer.stop()]).then(() => undefined)),
  };
}

/** What {@link gatewayStatusWriter} needs from the caller's resolved settings. */
export interface GatewayStatusSetup {
  connection: pg.ClientConfig;
  gatewayId: string;
  /** The host version as text (e.g. 2026.8.2), when known. */
  hostVersion?: string;
  outputPath: string;
  render: { format: string; layout: string } | (() => { format: string; layout: string });
  logger: Required<Logger>;
  intervalMs?: number;
  onUpserted?: (ok: boolean) => void;
}

/** A status writer for one running sync, reading its output file for the roster hash. */
export function gatewayStatusWriter(setup: GatewayStatusSetup): StatusWriter {
  return makeStatusWriter({
    connection: setup.connection,
    logger: setup.logger,
    intervalMs: setup.intervalMs,
    onUpserted: setup.onUpserted,
    facts: () => {
      const render = typeof setup.render === 'function' ? setup.render() : setup.render;
      return { gatewayId: setup.gatewayId, hostVersion: setup.hostVersion, format: render.format, layout: render.layout, outputPath: setup.outputPath };
    },
    readFile: () => {
      try {
        return fs.readFileSync(setup.outputPath, 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}
