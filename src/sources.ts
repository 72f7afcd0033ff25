import type pg from 'pg';
import { defer, EMPTY, merge, Subject, type Observable, type SchedulerLike } from 'rxjs';
import { makeSnapshotReader } from './db/snapshot.js';
import { settleWithin } from './db/sockets.js';
import type { AgentsSource } from './db/source.js';
import type { Snapshot } from './domain/types.js';
import { describeError, type Logger } from './logger.js';
import { makeFileSink, type FileSink } from './sinks/file.js';
import { makeWriterSink, type WriterSink } from './sinks/writer.js';
import { makeFileChangeSource, type FileChange } from './streams/fileChanges.js';
import { makeNotificationSource, type ListenEvent } from './streams/notifications.js';

/** What the listening connection reports, its losses included (each with the wait before the next attempt). */
export type ListenSourceEvent = ListenEvent | { type: 'disconnected'; error: unknown; attempt: number; delayMs: number };

/**
 * The effects the flow runs on, passed in as Cycle.js passes drivers to `run`: the flow only wires
 * them. Each stream is cold: the flow subscribes once per run, and a restart subscribes again.
 */
export interface Sources {
  /** The listening connection's events: connected, notification, disconnected (LISTEN, then events). */
  listen$: Observable<ListenSourceEvent>;
  /**
   * One read of the database (both tables in one snapshot); unsubscribing abandons it. With the ledger
   * id the file holds, the snapshot also names who made the changes since (`Snapshot.changes`).
   */
  read$(changesAfter?: string): Observable<Snapshot>;
  /** Changes of the output file that this process did not make. */
  drift$: Observable<FileChange>;
  /** The output file's writer, whose bookkeeping outlives a restart of the flow. */
  writer: WriterSink;
  /** Names for the log lines: the channel listened on and the agents source read. */
  labels: { channel: string; agentsSource: string };
  /** Ends what the sources hold open (connections), within about 5 s whatever the database does; safe to call twice. */
  dispose(): Promise<void>;
}

/** Options of {@link makePostgresSources}; defaults are applied by the caller's config resolution where it has them. */
export interface PostgresSourceOptions {
  /** The listening and snapshot connections use this (application_name included). */
  connection: pg.ClientConfig;
  channel: string;
  agentsSource: AgentsSource;
  outputPath: string;
  /** The host's openclaw.json: no write replaces it, even through a symlink that appears later. Defaults to unknown. */
  configPath?: string;
  /** The output file. Defaults to makeFileSink(outputPath, { configPath }). */
  file?: FileSink;
  /** Keep-alive interval of the listening connection, in ms. Defaults to 30000 ms. */
  keepAliveMs?: number;
  /** A keep-alive with no answer within this bound replaces the listening connection. Defaults to 10000 ms. */
  keepAliveTimeoutMs?: number;
  /** Bound of opening a connection, in ms. Defaults to 10000 ms. */
  connectTimeoutMs?: number;
  /** Server-side statement and lock timeout of a snapshot; the client gives up 2 s later. Defaults to 15000 ms. */
  snapshotTimeoutMs?: number;
  /** Reconnect schedule of the listening connection. Defaults to 5 s doubling to 60 s. */
  reconnectDelay?: (attempt: number) => number;
  /** This gateway's id, set as `agent_config_sync.gateway` in each snapshot transaction. Defaults to unset. */
  gatewayId?: string;
  /** Prove at each connect that LISTEN holds (a probe notification from the snapshot connection). Defaults to true. */
  probeSession?: boolean;
  /** How long the probe notification may take to arrive, in ms. Defaults to 3000 ms. */
  probeTimeoutMs?: number;
  /** Where the sources' own lines go (stale temp files, watch fallback, repairs); must not throw. */
  logger: Required<Logger>;
  scheduler?: SchedulerLike;
}

/**
 * The PostgreSQL and file sources of one pipeline: the listening connection, the snapshot reader,
 * the output file's writer and the watch on it. Temp files a killed writer left beside the file are
 * removed here, once. `dispose` waits (bounded) for the listening connections to close and ends the
 * snapshot connection.
 */
export function makePostgresSources(options: PostgresSourceOptions): Sources {
  const log = options.logger;
  const file = options.file ?? makeFileSink(options.outputPath, { configPath: options.configPath });
  const stale = file.removeStaleTemps();
  if (stale.length > 0) log.info(`removed ${stale.length} stale temp file(s) beside ${file.path}: ${stale.join(', ')}`);
  const writer = makeWriterSink(file, { log });
  const closing = new Set<Promise<unknown>>();
  const reader = makeSnapshotReader(options.connection, {
    timeoutMs: options.snapshotTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    gatewayId: options.gatewayId,
    onIdleError: (error) => log.debug(`idle snapshot connection failed: ${describeError(error)}`),
  });

  const listen$ = defer(() => {
    // The snapshot connection opens beside the listening one: the probe and the first read need it.
    reader.warm();
    const lost$ = new Subject<ListenSourceEvent>();
    const events$ = makeNotificationSource({
      connection: options.connection,
      channel: options.channel,
      keepAliveMs: options.keepAliveMs,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      reconnectDelay: options.reconnectDelay,
      scheduler: options.scheduler,
      probe: options.probeSession === false ? undefined : (channel, payload) => reader.notify(channel, payload, options.probeTimeoutMs ?? 3_000),
      probeTimeoutMs: options.probeTimeoutMs,
      track: (p) => {
        closing.add(p);
        void p.finally(() => closing.delete(p));
      },
      onDisconnected: (error, attempt, delayMs) => lost$.next({ type: 'disconnected', error, attempt, delayMs }),
    });
    return merge(lost$, events$);
  });

  const drift$ = defer(() =>
    makeFileChangeSource(file.path, {
      isOwn: writer.isOwn,
      onWatchError: (error) => log.debug(`watching ${file.path} failed (polling instead): ${describeError(error)}`),
    }),
  );

  let disposed: Promise<void> | undefined;
  return {
    listen$,
    read$: (changesAfter) => reader.read$(options.agentsSource, changesAfter),
    drift$,
    writer,
    labels: { channel: options.channel, agentsSource: options.agentsSource.text },
    dispose() {
      disposed ??= (async () => {
        await settleWithin(Promise.all([...closing]), 2_500);
        await reader.end();
      })();
      return disposed;
    },
  };
}

/** Options of {@link makeOneShotSources}. */
export interface OneShotSourceOptions {
  /** The one read (a command's own bounded connection). */
  read: () => Promise<Snapshot>;
  file: FileSink;
  /** Names for the log lines. */
  labels: Sources['labels'];
  logger: Required<Logger>;
}

/**
 * The sources of a one-shot sync (`sync --once`): one read when asked, the file's writer, and no
 * listening connection or watch (nothing to wait for). Nothing to dispose: the read closes its own
 * connection.
 */
export function makeOneShotSources(options: OneShotSourceOptions): Sources {
  return {
    listen$: EMPTY,
    read$: () => defer(options.read),
    drift$: EMPTY,
    writer: makeWriterSink(options.file, { log: options.logger }),
    labels: options.labels,
    dispose: async () => undefined,
  };
}
