import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { settleWithin } from '../db/sockets.js';
import type { Logger } from '../logger.js';
import { INSTANCE_ID } from './gatewayId.js';
import { makeStatusConnection } from './statusConnection.js';
import type { StatusRow } from './statusUpsert.js';
import { PLUGIN_VERSION } from './version.js';

export { GATEWAYS_TABLE } from './statusUpsert.js';

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

/**
 * The file holds a render: written now, or found already equal to the disk. `through` is the ledger id of
 * the snapshot it was rendered from (decimal text of a bigint; undefined without a readable ledger).
 */
export interface Synced {
  text: string;
  agentCount: number;
  through?: string;
  written: boolean;
}

/** Options of {@link makeStatusWriter}. */
export interface StatusWriterOptions {
  /** The sync's connection; the writer opens one of its own, named `agent_config_sync_status`, closed when idle. */
  connection: pg.ClientConfig;
  facts: () => GatewayFacts;
  /** The output file as it is on disk now (its hash is the row's roster_sha256). */
  readFile: () => string | undefined;
  logger: Required<Logger>;
  /** Longest time between two upserts of a quiet instance (the heartbeat). Defaults to 60000 ms. */
  intervalMs?: number;
  /**
   * After a sync or an error the upsert waits this long to twice as long (jitter), so a burst costs one
   * upsert and a fleet that one commit reached does not upsert all at once. Defaults to 1000 ms.
   */
  settleMs?: number;
  /** Least time between the starts of two upserts; what comes between is folded into the next. Defaults to 1000 ms. */
  minGapMs?: number;
  /**
   * Server-side bound of one upsert (`statement_timeout`; its `lock_timeout` is half of it). The client gives
   * up 2 s later still, destroying the connection, in case the server itself does not answer. Defaults to 3000 ms.
   */
  timeoutMs?: number;
  /** The pipeline's coalescing max wait, recorded so `fleet` knows how long a change may take to reach this gateway. */
  maxWaitMs?: number;
  /** This process's instance id. Defaults to {@link INSTANCE_ID} (tests run several instances in one process). */
  instanceId?: string;
  /** Told after each upsert, with when it started (performance.now()), for tests and the bench. */
  onUpserted?: (ok: boolean, startedAt: number) => void;
}

/** Records one gateway's state in the fleet table without ever holding up or failing the sync. */
export interface StatusWriter {
  /** The file holds a render (written, or found equal): the row gets its ledger id and sync time. */
  synced(synced: Synced): void;
  /** After a failure: the row gets the error; the next sync ends it. */
  failed(message: string): void;
  /** Marks the row stopped and closes the connection (within about 3 s). */
  stop(): Promise<void>;
}

/** How long a clean stop waits for its last upsert (the one that marks the row stopped), in ms. */
const STOP_UPSERT_MS = 1_500;

/** Whole ms since a monotonic mark, or null. */
const ageOf = (mark: number | undefined, now: number) => (mark === undefined ? null : Math.max(0, Math.round(now - mark)));

/** Compares two ledger ids (decimal text of bigints). */
const after = (a: string, b: string | undefined) => b === undefined || BigInt(a) > BigInt(b);

/**
 * The fleet status writer: upserts this gateway's row in `agent_config_sync_gateways` on start, about a
 * second after each sync that brought something new or each error, and at least every `intervalMs`
 * otherwise. Fire and forget: one upsert in flight at most, at most one started per `minGapMs` (newer
 * reasons are folded into the next), each bounded on the server (lock and statement timeouts in a
 * transaction) over the one connection of its own, closed when idle. A missing table, no permission or a
 * read-only server is one warning (and one info line when it works again); any other failure is debug
 * only, because the pipeline already reports its own connection trouble. Nothing here throws.
 */
export function makeStatusWriter(options: StatusWriterOptions): StatusWriter {
  const intervalMs = options.intervalMs ?? STATUS_INTERVAL_MS;
  const minGapMs = options.minGapMs ?? 1_000;
  const instanceId = options.instanceId ?? INSTANCE_ID;
  const started = performance.now();
  const connection = makeStatusConnection(options.connection, options.timeoutMs ?? 3_000, options.logger);

  let lastWrite: { at: number; text: string; agents: number } | undefined;
  let lastSync: { at: number; text: string; agents: number } | undefined;
  let through: { id: string; at: number } | undefined;
  let error: { at: number; message: string } | undefined;
  let inFlight = false;
  let again = false;
  let stopped = false;
  let lastStart = -Infinity;
  let next: { timer: ReturnType<typeof setTimeout>; due: number } | undefined;

  const rowNow = (stopping: boolean): StatusRow => {
    const facts = options.facts();
    const disk = options.readFile();
    const now = performance.now();
    const known = [lastSync, lastWrite].find((r) => r !== undefined && r.text === disk);
    return {
      gatewayId: facts.gatewayId,
      hostVersion: facts.hostVersion ?? null,
      format: facts.format,
      layout: facts.layout,
      outputPath: facts.outputPath,
      agents: known?.agents ?? null,
      rosterSha256: disk === undefined ? null : createHash('sha256').update(disk).digest('hex'),
      lastWriteAgeMs: ageOf(lastWrite?.at, now),
      lastError: error?.message ?? null,
      lastErrorAgeMs: ageOf(error?.at, now),
      pluginVersion: PLUGIN_VERSION,
      stopping,
      syncedThrough: through?.id ?? null,
      syncedAgeMs: ageOf(through?.at, now),
      lastSyncAgeMs: ageOf(lastSync?.at, now),
      instanceId,
      instanceAgeMs: ageOf(started, now) ?? 0,
      // The interval it keeps in fact: a heartbeat shorter than the gap between upserts cannot be kept.
      intervalMs: Math.max(intervalMs, minGapMs),
      maxWaitMs: options.maxWaitMs ?? null,
    };
  };

  const upsert = (stopping = false): Promise<boolean> => connection.write(() => rowNow(stopping));

  const run = () => {
    next = undefined;
    if (stopped) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const startedAt = (lastStart = performance.now());
    void upsert().then((ok) => {
      inFlight = false;
      options.onUpserted?.(ok, startedAt);
      if (again) {
        again = false;
        schedule(0);
      }
    });
  };

  /** Runs an upsert in `delayMs`, or sooner when one is due sooner; never sooner than `minGapMs` after the last start. */
  const schedule = (delayMs: number) => {
    if (stopped) return;
    const now = performance.now();
    const due = Math.max(now + delayMs, lastStart + minGapMs);
    if (next && next.due <= due) return;
    if (next) clearTimeout(next.timer);
    const timer = setTimeout(run, Math.max(0, due - now));
    timer.unref();
    next = { timer, due };
  };

  // Jittered: a commit reaches every gateway of a fleet at once; their rows should not all follow at once.
  const soon = () => schedule((options.settleMs ?? 1_000) * (1 + Math.random()));

  const heartbeat = setInterval(() => schedule(0), intervalMs);
  heartbeat.unref();
  schedule(0);

  return {
    synced(s) {
      const now = performance.now();
      let news = error !== undefined || s.written;
      if (s.through !== undefined && /^\d+$/.test(s.through) && after(s.through, through?.id)) {
        through = { id: s.through, at: now };
        news = true;
      }
      lastSync = { at: now, text: s.text, agents: s.agentCount };
      if (s.written) lastWrite = lastSync;
      // The file holds a render newer than the error: the error is over.
      error = undefined;
      // A reconcile or a resync that found nothing new waits for the heartbeat.
      if (news) soon();
    },
    failed(message) {
      error = { at: performance.now(), message };
      soon();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(heartbeat);
      if (next) clearTimeout(next.timer);
      // A clean stop is the row's last word: "stopped", not stale, in `fleet`. Bounded: a database that
      // does not answer costs at most STOP_UPSERT_MS, and the row then goes stale as a crash's would.
      await settleWithin(upsert(true), STOP_UPSERT_MS);
      await connection.end();
    },
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
  /** The pipeline's coalescing max wait in ms (recorded in the row). */
  maxWaitMs?: number;
  intervalMs?: number;
  settleMs?: number;
  timeoutMs?: number;
  instanceId?: string;
  onUpserted?: (ok: boolean, startedAt: number) => void;
}

/** A status writer for one running sync, reading its output file for the roster hash. */
export function gatewayStatusWriter(setup: GatewayStatusSetup): StatusWriter {
  return makeStatusWriter({
    ...setup,
    facts: () => {
      const render = typeof setup.render === 'function' ? setup.render() : setup.render;
      return { gatewayId: setup.gatewayId, hostVersion: setup.hostVersion, format: render.format, layout: render.layout, outputPath: setup.outputPath };
    },
    readFile: () => readFileOrUndefined(setup.outputPath),
  });
}


/** The output file's text, or undefined when it cannot be read. */
export function readFileOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
