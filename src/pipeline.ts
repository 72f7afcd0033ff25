import { createHash } from 'node:crypto';
import type pg from 'pg';
import { debounceTime, defer, filter, map, merge, Observable, retry, share, Subject, Subscription, tap, timer, type SchedulerLike } from 'rxjs';
import { summarizeChanges } from './domain/changeSummary.js';
import { reconnectDelay } from './domain/backoff.js';
import { diffJson, parseJsonOrUndefined, type Change } from './domain/diff.js';
import { zeroCounters, type PipelineCounters } from './domain/pipelineCounters.js';
import { makeProblemFilter } from './domain/problems.js';
import { refusals } from './domain/refusals.js';
import { quote } from './domain/safeText.js';
import type { RenderOptions } from './domain/render.js';
import type { Rendered } from './domain/types.js';
import { makeSnapshotReader } from './db/snapshot.js';
import { settleWithin } from './db/sockets.js';
import type { AgentsSource } from './db/source.js';
import { makeOnceLogger } from './logOnce.js';
import { withHint } from './db/errorHints.js';
import { describeError, type Logger } from './logger.js';
import { coalesce } from './operators/coalesce.js';
import { guard } from './operators/guard.js';
import { reload } from './operators/reload.js';
import { repairBackoff } from './operators/repairBackoff.js';
import { render } from './operators/render.js';
import { snapshot } from './operators/snapshot.js';
import { writeLatest, type WriteOutcome } from './operators/writeLatest.js';
import { makeFileSink, type FileSink } from './sinks/file.js';
import { makeFileChangeSource } from './streams/fileChanges.js';
import { makeNotificationSource } from './streams/notifications.js';
import { makeReconcileTick } from './streams/reconcileTick.js';
import { makeStartupTick } from './streams/startupTick.js';

export { refusals } from './domain/refusals.js';

/** Everything the running pipeline needs; defaults are applied by the caller's config resolution. */
export interface PipelineOptions {
  /** The listening and snapshot connections use this (application_name included). */
  connection: pg.ClientConfig;
  channel: string;
  agentsSource: AgentsSource;
  outputPath: string;
  /** Quiet window of the coalescing step, in ms. */
  debounceMs: number;
  /** Longest a change waits for the coalescing step, in ms. */
  maxWaitMs: number;
  /** Roster format and layout, or a function asked at every render. */
  render: RenderOptions | (() => RenderOptions);
  /** The reload side effect, run once after each write that changed the file. */
  reload: () => Promise<void>;
  /** Allow a snapshot with zero agents to replace a file that has some. */
  allowEmpty: boolean;
  logger: Required<Logger>;
  /** A full snapshot on this interval writes only when the render differs from the disk. Defaults to 300000 ms; 0 turns it off. */
  reconcileMs?: number;
  /** The output file. Defaults to makeFileSink(outputPath, { configPath }). */
  file?: FileSink;
  /** The host's openclaw.json: no write replaces it, even through a symlink that appears later. Defaults to unknown. */
  configPath?: string;
  /** Keep-alive interval of the listening connection, in ms. Defaults to 30000 ms. */
  keepAliveMs?: number;
  /** A keep-alive with no answer within this bound replaces the listening connection. Defaults to 10000 ms. */
  keepAliveTimeoutMs?: number;
  /** Bound of opening a connection, in ms. Defaults to 10000 ms. */
  connectTimeoutMs?: number;
  /** Server-side statement and lock timeout of a snapshot; the client gives up 2 s later. Defaults to 15000 ms. */
  snapshotTimeoutMs?: number;
  /** Reconnect and snapshot-retry schedule. Defaults to 5 s doubling to 60 s. */
  reconnectDelay?: (attempt: number) => number;
  /** Write-retry schedule. Defaults to 1 s doubling to 60 s. */
  writeRetryDelay?: (attempt: number) => number;
  /** Delay before the pipeline restarts itself after an unexpected error. Defaults to 5 s doubling to 60 s. */
  restartDelay?: (attempt: number) => number;
  /** Told after each write (and its reload), with what changed. */
  onWritten?: (written: WrittenFile) => void;
  /**
   * Told whenever the file holds a render after the writer: written, or found equal to the disk. `through`
   * is the ledger id of the snapshot it came from (fleet status: how far this gateway has synced).
   */
  onSynced?: (synced: { text: string; agentCount: number; through?: string; written: boolean }) => void;
  /** Told after each successful snapshot is rendered, written or not (for tests and metrics). */
  onRendered?: (rendered: Rendered) => void;
  /**
   * The host's own schema (DESIGN §10): each render passes through it before the guard, at most one
   * check in flight (a newer render waits, the latest wins). Without it our own rules are the check.
   */
  hostCheck?: (rendered: Rendered) => Observable<Rendered>;
  /** Told of each failure recorded as `status().lastError` (connection, snapshot, write, restart). Must not throw. */
  onError?: (message: string) => void;
  /** This gateway's id, set as `agent_config_sync.gateway` in each snapshot transaction. Defaults to unset. */
  gatewayId?: string;
  /** Prove at each connect that LISTEN holds (a probe notification from the snapshot connection). Defaults to true. */
  probeSession?: boolean;
  /** How long the probe notification may take to arrive, in ms. Defaults to 3000 ms. */
  probeTimeoutMs?: number;
  /**
   * How long the first read waits for LISTEN, in ms (listen, then read: one read at start). A LISTEN
   * slower than this, or failing, does not hold the first file back. Defaults to 1000 ms.
   */
  startupWaitMs?: number;
  scheduler?: SchedulerLike;
}

/** What started a read of the database. */
export type Trigger = 'startup' | 'connected' | 'notification' | 'drift' | 'reconcile';

/** A completed write. */
export interface WrittenFile {
  text: string;
  agentCount: number;
  changes: Change[];
  /** There was no file (or no readable one) before this write. */
  created: boolean;
  /** What started the read that led to this write. */
  trigger: Trigger;
  /** The ledger id of the snapshot written (decimal text), when the ledger is readable. */
  through?: string;
}

/** Counters (named once, in domain/pipelineCounters.ts) and last events of a running pipeline (for status and tests). */
export interface PipelineStatus extends PipelineCounters {
  connected: boolean;
  lastWrite?: { at: string; sha256: string; agents: number; changes: number; trigger: Trigger };
  lastError?: { at: string; message: string };
}

/** A running pipeline. */
export interface RunningPipeline {
  /** Ends the pipeline and closes every connection, within 5 s whatever the database does; safe to call twice. */
  dispose(): Promise<void>;
  status(): PipelineStatus;
}

/**
 * The whole flow, sources → operators → sinks (DESIGN §1, §8):
 *
 *   startup tick ───┐
 *   (re)connected ──┤
 *   notification ───┼─ coalesce ─ snapshot ─ render ─ guard ─ writeLatest ─ reload ─ log
 *   file drift ─────┤   (one read in flight,            (one write in flight, newest wins,
 *   reconcile tick ─┘    one more when dirty)             "equal to disk" decided there)
 *
 * Effects live in the sources (LISTEN connection, file watch), the snapshot reader and the sinks
 * (file, reload). An unexpected error anywhere restarts the whole flow with backoff.
 */
export function runPipeline(options: PipelineOptions): RunningPipeline {
  const log = totalLogger(options.logger);
  const scheduler = options.scheduler;
  const file = options.file ?? makeFileSink(options.outputPath, { configPath: options.configPath });
  const stale = file.removeStaleTemps();
  if (stale.length > 0) log.info(`removed ${stale.length} stale temp file(s) beside ${file.path}: ${stale.join(', ')}`);

  const status: PipelineStatus = { connected: false, ...zeroCounters() };
  const failed = (message: string) => {
    status.lastError = { at: new Date().toISOString(), message };
    options.onError?.(message);
  };
  const once = makeOnceLogger(log);
  /** The file holds this render now (written, or found equal): told to onSynced, whose throw never reaches the flow. */
  const synced = (r: Rendered, written: boolean) => {
    try {
      options.onSynced?.({ text: r.text, agentCount: r.agentCount, ...(r.through === undefined ? {} : { through: r.through }), written });
    } catch (error) {
      log.error(`after syncing ${file.path}: ${describeError(error)}`);
    }
  };
  const fresh = makeProblemFilter();
  const renderOptions = () => (typeof options.render === 'function' ? options.render() : options.render);
  const closing = new Set<Promise<unknown>>();
  const reader = makeSnapshotReader(options.connection, {
    timeoutMs: options.snapshotTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    gatewayId: options.gatewayId,
    onIdleError: (error) => log.debug(`idle snapshot connection failed: ${describeError(error)}`),
  });
  /** The text this process last wrote (or found equal on disk) and the one it is writing: not drift. */
  const own: { written: string | undefined; writing: string | undefined } = { written: file.readCurrent(), writing: undefined };
  const triggerOf = new WeakMap<Rendered, Trigger>();
  /** The text a write replaced, for the change summary. */
  const replaced = new WeakMap<Rendered, string | undefined>();
  /**
   * Settles when the last write started by this pipeline has. A write in flight cannot be cut short,
   * so one started before a restart may still be running when the restarted flow writes: waiting for
   * it keeps the writer serialized across restarts (a stale write never lands after a newer one).
   */
  let lastWrite: Promise<unknown> = Promise.resolve();
  const afterLastWrite = (write: () => Promise<WriteOutcome>) =>
    new Observable<WriteOutcome>((subscriber) => {
      const run = lastWrite.then(() => (subscriber.closed ? ('unchanged' as const) : write()));
      lastWrite = run.catch(() => undefined);
      run.then(
        (outcome) => {
          subscriber.next(outcome);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });
  let reading: Trigger = 'startup';
  let columns = '';
  /** Drift repairs in a row that the other writer undid at once (1: none). */
  let fight = 1;
  let lastDriftWarning = Number.NEGATIVE_INFINITY;
  /** A write replaced bytes this process had not written: another writer's change was undone. */
  const repaired = (ours: string | undefined, theirs: string | undefined) => {
    status.driftRepairs += 1;
    const what = theirs === undefined ? 'deleted it' : summarizeChanges(diffJson(parseJsonOrUndefined(ours), parseJsonOrUndefined(theirs)));
    // One warning a minute at most (a fight is said once by repairBackoff); the others are info lines.
    const now = Date.now();
    const level = fight > 1 ? log.debug : now - lastDriftWarning >= 60_000 ? log.warn : log.info;
    if (level === log.warn) lastDriftWarning = now;
    level(`${file.path} was changed by another writer (${what}); restored what the database renders`);
  };

  const flow$ = defer(() => {
    // The snapshot connection opens beside the listening one: the probe and the first read need it.
    reader.warm();
    const listenFailed$ = new Subject<void>();
    const listen$ = makeNotificationSource({
      connection: options.connection,
      channel: options.channel,
      keepAliveMs: options.keepAliveMs,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs,
      reconnectDelay: options.reconnectDelay,
      scheduler,
      probe: options.probeSession === false ? undefined : (channel, payload) => reader.notify(channel, payload, options.probeTimeoutMs ?? 3_000),
      probeTimeoutMs: options.probeTimeoutMs,
      track: (p) => {
        closing.add(p);
        void p.finally(() => closing.delete(p));
      },
      onDisconnected: (error, attempt, ms) => {
        status.connected = false;
        listenFailed$.next();
        failed(`listening connection: ${describeListenError(error)}`);
        (attempt === 1 ? log.warn : log.debug)(
          `listening connection to PostgreSQL unavailable (${describeListenError(error)}); retry ${attempt} in ${Math.round(ms / 1000)} s`,
        );
      },
    }).pipe(share());

    const connected$ = listen$.pipe(
      filter((event) => event.type === 'connected'),
      tap((event) => {
        status.connected = true;
        if (!event.first) status.reconnects += 1;
        log.info(event.first ? `listening on channel "${options.channel}"` : 'reconnected to PostgreSQL; resyncing');
      }),
      map((): Trigger => 'connected'),
      share(),
    );
    const startup$ = makeStartupTick({ connected$, failed$: listenFailed$, waitMs: options.startupWaitMs ?? 1_000, scheduler });
    const notification$ = listen$.pipe(
      filter((event) => event.type === 'notification'),
      // Payloads are informational and untrusted: quoted, so a newline or an escape cannot forge a log line.
      tap((event) => log.debug(`notification: ${event.payload === undefined ? '(no payload)' : quote(event.payload, 300)}`)),
      map((): Trigger => 'notification'),
    );
    const drift$ = makeFileChangeSource(file.path, {
      isOwn: (text) => text === own.written || (own.writing !== undefined && text === own.writing),
      onWatchError: (error) => log.debug(`watching ${file.path} failed (polling instead): ${describeError(error)}`),
    }).pipe(
      // Only a hint: whether anything is undone (and so warned and counted) is decided by the writer,
      // against the database's render — the other writer may have written exactly that.
      tap((change) => log.debug(`${file.path} ${change.text === undefined ? 'was deleted' : 'was changed'} by another writer; comparing with the database`)),
      // One edit can be several file events (an editor truncates, then writes): one drift, not a repeat.
      debounceTime(100, scheduler),
      // A writer that undoes every repair at once (a second sync with other settings) is answered ever
      // more slowly instead of twice a second forever; said once per episode.
      repairBackoff({
        scheduler,
        onStreak: (streak, delayMs) => {
          fight = streak;
          if (streak === 1) once.clear('fight');
          else
            once.warn(
              'fight',
              `another writer keeps rewriting ${file.path} right after each repair (a second agent-config-sync with other settings?); repairs now wait ${delayMs / 1000} s, doubling up to 60 s`,
            );
        },
      }),
      map((): Trigger => 'drift'),
    );
    const reconcile$ = makeReconcileTick(options.reconcileMs ?? 300_000, scheduler);

    const rendered$ = merge(startup$, connected$, notification$, drift$, reconcile$).pipe(
      coalesce(options.debounceMs, options.maxWaitMs, scheduler),
      snapshot((trigger: Trigger) => reader.read$(options.agentsSource).pipe(map((s) => ({ trigger, s }))), {
        retryDelay: options.reconnectDelay,
        scheduler,
        onError: (error, attempt) => {
          failed(`snapshot: ${describeError(error)}`);
          once.warn('snapshot', `reading the database failed (retry ${attempt}): ${withHint(describeError(error))}`);
        },
      }),
      map(({ trigger, s }) => {
        status.snapshots += 1;
        if (trigger === 'reconcile') status.reconciles += 1;
        once.clear('snapshot');
        const used = ['name', 'model', ...s.columns].join(', ');
        if (used !== columns) log.info(`agents source ${options.agentsSource.text}: using columns ${used}`);
        columns = used;
        reading = trigger;
        return s;
      }),
      render(renderOptions, (problems) => fresh(problems).forEach((p) => log.warn(p.message))),
      // render is synchronous: the trigger of the snapshot just read is still `reading`.
      tap((r) => triggerOf.set(r, reading)),
      tap((r) => options.onRendered?.(r)),
      options.hostCheck
        ? snapshot((r: Rendered) => options.hostCheck!(r).pipe(map((c) => (c.through === undefined && r.through !== undefined ? { ...c, through: r.through } : c)), tap((c) => triggerOf.set(c, triggerOf.get(r) ?? 'notification'))), { scheduler })
        : (same$: Observable<Rendered>) => same$,
    );

    return rendered$.pipe(
      guard(
        (r: Rendered) => refusals(r, renderOptions(), () => file.readCurrent(), options.allowEmpty),
        (reasons) => once.warn('refused', `not writing ${file.path}: ${reasons.join('; ')}`),
      ),
      tap(() => once.clear('refused')),
      writeLatest(
        (r: Rendered) =>
          afterLastWrite(async () => {
            own.writing = r.text;
            const ours = own.written;
            const before = file.readCurrent();
            try {
              const outcome = await file.write(r.text, { text: before });
              own.written = r.text;
              synced(r, outcome === 'written');
              if (outcome === 'written') {
                replaced.set(r, before);
                if (before !== ours) repaired(ours, before);
              }
              return outcome;
            } finally {
              own.writing = undefined;
            }
          }),
        {
          retryDelay: options.writeRetryDelay,
          scheduler,
          onError: (error) => {
            failed(`write: ${describeError(error)}`);
            once.warn('write', `writing ${file.path} failed; the old file stays (will retry): ${describeError(error)}`);
          },
          onRecovered: () => {
            if (once.clear('write')) log.info(`writing ${file.path} works again`);
          },
        },
      ),
      reload<Rendered>(options.reload, (error) => log.warn(`reload after writing ${file.path} failed: ${describeError(error)}`)),
      map((r): WrittenFile => {
        const before = replaced.get(r);
        const trigger = triggerOf.get(r) ?? 'notification';
        return {
          text: r.text,
          agentCount: r.agentCount,
          // A new file is summarised as such: no leaf-by-leaf diff of a whole roster against nothing.
          changes: before === undefined ? [] : diffJson(parseJsonOrUndefined(before), parseJsonOrUndefined(r.text)),
          created: before === undefined,
          trigger,
          ...(r.through === undefined ? {} : { through: r.through }),
        };
      }),
    );
  }).pipe(
    retry({
      delay: (error: unknown, attempt: number) => {
        status.restarts += 1;
        const ms = (options.restartDelay ?? reconnectDelay)(attempt);
        failed(`pipeline: ${describeError(error)}`);
        log.error(`pipeline failed: ${describeError(error)}; restarting in ${Math.round(ms / 100) / 10} s`);
        return timer(ms, scheduler);
      },
    }),
  );

  const subscription = new Subscription();
  subscription.add(
    flow$.subscribe({
      next: (written) => {
        status.writes += 1;
        status.lastWrite = {
          at: new Date().toISOString(),
          sha256: createHash('sha256').update(written.text).digest('hex'),
          agents: written.agentCount,
          changes: written.changes.length,
          trigger: written.trigger,
        };
        const why = written.trigger === 'drift' ? ' (undoing another writer)' : written.trigger === 'reconcile' ? ' (reconcile: the file differed from the database)' : '';
        log.info(`wrote ${file.path} (${written.agentCount} agents)${why}: ${written.created ? 'new file' : summarizeChanges(written.changes)}`);
        try {
          options.onWritten?.(written);
        } catch (error) {
          log.error(`after writing ${file.path}: ${describeError(error)}`);
        }
      },
    }),
  );

  let disposed: Promise<void> | undefined;
  return {
    dispose() {
      disposed ??= (async () => {
        subscription.unsubscribe();
        await settleWithin(Promise.all([...closing]), 2_500);
        await reader.end();
      })();
      return disposed;
    },
    status: () => ({ ...status }),
  };
}

/**
 * The logger with every call made safe: the host's logger is part of the world (a closed transport,
 * a full disk), and a throw from it inside the flow would kill the pipeline, or reach the host's
 * event loop as an uncaught exception from the final subscriber.
 */
function totalLogger(target: Required<Logger>): Required<Logger> {
  const safe = (write: (message: string) => void) => (message: string) => {
    try {
      write(message);
    } catch {
      // Nowhere left to report it; the sync goes on.
    }
  };
  return { debug: safe((m) => target.debug(m)), info: safe((m) => target.info(m)), warn: safe((m) => target.warn(m)), error: safe((m) => target.error(m)) };
}

function describeListenError(error: unknown): string {
  const text = describeError(error);
  return text.startsWith('Re-initializing') ? 'connection lost' : withHint(text);
}
