import type pg from 'pg';
import { filter, from, map, merge, share, Subscription, tap, type SchedulerLike } from 'rxjs';
import { diffJson, formatChange, parseJsonOrUndefined, type Change } from './domain/diff.js';
import { checkForHost } from './domain/hostRules.js';
import { makeProblemFilter } from './domain/problems.js';
import { countAgentsInText, type RenderOptions } from './domain/render.js';
import type { Rendered } from './domain/types.js';
import { makeSnapshotPool, readSnapshotFrom } from './db/snapshot.js';
import type { AgentsSource } from './db/source.js';
import { describeError, type Logger } from './logger.js';
import { coalesce } from './operators/coalesce.js';
import { distinct } from './operators/distinct.js';
import { guard } from './operators/guard.js';
import { reload } from './operators/reload.js';
import { render } from './operators/render.js';
import { snapshot } from './operators/snapshot.js';
import { writeAtomic } from './operators/writeAtomic.js';
import { makeFileSink } from './sinks/file.js';
import { makeNotificationSource } from './streams/notifications.js';
import { makeStartupTick } from './streams/startupTick.js';

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
  /** The reload side effect, run once after each write. */
  reload: () => Promise<void>;
  /** Allow a snapshot with zero agents to replace a file that has some. */
  allowEmpty: boolean;
  logger: Required<Logger>;
  /** Keep-alive interval of the listening connection, in ms. Defaults to 30000. */
  keepAliveMs?: number;
  /** Reconnect and query-retry schedule. Defaults to 5 s doubling to 60 s. */
  reconnectDelay?: (attempt: number) => number;
  /** Write-retry schedule. Defaults to 1 s doubling to 60 s. */
  writeRetryDelay?: (attempt: number) => number;
  /** Told after each write (and its reload), with what changed. */
  onWritten?: (written: WrittenFile) => void;
  /** Told after each successful snapshot is rendered, written or not (for tests and metrics). */
  onRendered?: (rendered: Rendered) => void;
  scheduler?: SchedulerLike;
}

/** A completed write. */
export interface WrittenFile {
  text: string;
  agentCount: number;
  changes: Change[];
  /** There was no file (or no readable one) before this write. */
  created: boolean;
}

/** A running pipeline. */
export interface RunningPipeline {
  /** Ends the pipeline and closes every connection; safe to call twice. */
  dispose(): Promise<void>;
}

/**
 * The whole flow, sources → operators → sinks (DESIGN §1):
 *
 *   startup tick ─┐
 *   (re)connected ┼─ coalesce ─ snapshot ─ render ─ guard ─ distinct ─ writeAtomic ─ reload ─ log
 *   notification ─┘
 *
 * Effects live in the sources (LISTEN connection), the snapshot pool and the sinks (file, reload).
 */
export function runPipeline(options: PipelineOptions): RunningPipeline {
  const log = options.logger;
  const closing = new Set<Promise<unknown>>();
  const file = makeFileSink(options.outputPath);
  const stale = file.removeStaleTemps();
  if (stale.length > 0) log.info(`removed ${stale.length} stale temp file(s) beside ${file.path}: ${stale.join(', ')}`);

  const once = makeOnceLogger(log);
  const fresh = makeProblemFilter();
  const renderOptions = () => (typeof options.render === 'function' ? options.render() : options.render);
  let columns = '';
  let previousText = file.readCurrent();

  const pool = makeSnapshotPool(options.connection, (error) => log.debug(`idle snapshot connection failed: ${describeError(error)}`));

  const listen$ = makeNotificationSource({
    connection: options.connection,
    channel: options.channel,
    keepAliveMs: options.keepAliveMs,
    reconnectDelay: options.reconnectDelay,
    scheduler: options.scheduler,
    track: (p) => {
      closing.add(p);
      void p.finally(() => closing.delete(p));
    },
    onDisconnected: (error, attempt, ms) =>
      (attempt === 1 ? log.warn : log.debug)(
        `listening connection to PostgreSQL unavailable (${describeListenError(error)}); retry ${attempt} in ${Math.round(ms / 1000)} s`,
      ),
  }).pipe(share());

  const connected$ = listen$.pipe(
    filter((event) => event.type === 'connected'),
    tap((event) => log.info(event.first ? `listening on channel "${options.channel}"` : 'reconnected to PostgreSQL; resyncing')),
  );
  const notification$ = listen$.pipe(
    filter((event) => event.type === 'notification'),
    tap((event) => log.debug(`notification: ${event.payload ?? '(no payload)'}`)),
  );

  const rendered$ = merge(makeStartupTick(options.scheduler), connected$, notification$).pipe(
    coalesce(options.debounceMs, options.maxWaitMs, options.scheduler),
    snapshot(() => from(readSnapshotFrom(pool, options.agentsSource)), {
      retryDelay: options.reconnectDelay,
      scheduler: options.scheduler,
      onError: (error, attempt) => once.warn('snapshot', `reading the database failed (retry ${attempt}): ${describeError(error)}`),
    }),
    tap((s) => {
      once.clear('snapshot');
      const used = ['name', 'model', ...s.columns].join(', ');
      if (used !== columns) log.info(`agents source ${options.agentsSource.text}: using columns ${used}`);
      columns = used;
    }),
    render(renderOptions, (problems) => fresh(problems).forEach((p) => log.warn(p.message))),
    tap((r) => options.onRendered?.(r)),
  );

  const written$ = rendered$.pipe(
    guard(
      (r: Rendered) => refusals(r, renderOptions(), file.readCurrent(), options.allowEmpty),
      (reasons) => once.warn('refused', `not writing ${file.path}: ${reasons.join('; ')}`),
    ),
    tap(() => once.clear('refused')),
    distinct<Rendered>((r) => r.text, file.readCurrent),
    writeAtomic<Rendered>((r) => file.write(r.text), {
      retryDelay: options.writeRetryDelay,
      scheduler: options.scheduler,
      onError: (error) => once.warn('write', `writing ${file.path} failed; the old file stays (will retry): ${describeError(error)}`),
      onRecovered: () => {
        once.clear('write');
        log.info(`writing ${file.path} works again`);
      },
    }),
    reload<Rendered>(options.reload, (error) => log.warn(`reload after writing ${file.path} failed: ${describeError(error)}`)),
    map((r): WrittenFile => {
      const created = previousText === undefined;
      const changes = diffJson(parseJsonOrUndefined(previousText), parseJsonOrUndefined(r.text));
      previousText = r.text;
      return { text: r.text, agentCount: r.agentCount, changes, created };
    }),
  );

  const subscription = new Subscription();
  subscription.add(
    written$.subscribe({
      next: (written) => {
        log.info(`wrote ${file.path} (${written.agentCount} agents): ${written.created ? 'new file' : summarize(written.changes)}`);
        options.onWritten?.(written);
      },
      error: (error: unknown) => log.error(`pipeline stopped: ${describeError(error)}`),
    }),
  );

  let disposed: Promise<void> | undefined;
  return {
    dispose() {
      disposed ??= (async () => {
        subscription.unsubscribe();
        await Promise.all([...closing]);
        await pool.end().catch(() => undefined);
      })();
      return disposed;
    },
  };
}

/** Reasons not to replace the file: the host would reject it, or it would empty a non-empty roster. */
export function refusals(r: Rendered, render: RenderOptions, current: string | undefined, allowEmpty: boolean): string[] {
  const reasons = checkForHost(r.text, render.format, render.layout);
  const had = countAgentsInText(current);
  if (!allowEmpty && r.agentCount === 0 && had > 0) {
    reasons.push(`the database exports no agents while the file has ${had} (set allowEmpty to allow an empty roster)`);
  }
  return reasons;
}

/** At most this many changes are spelled out in the one info line of a write. */
const SHOWN_CHANGES = 8;

function summarize(changes: Change[]): string {
  if (changes.length === 0) return 'no semantic change';
  const shown = changes.slice(0, SHOWN_CHANGES).map(formatChange).join('; ');
  return changes.length > SHOWN_CHANGES ? `${shown}; … (+${changes.length - SHOWN_CHANGES} more)` : shown;
}

function describeListenError(error: unknown): string {
  const text = describeError(error);
  return text.startsWith('Re-initializing') ? 'connection lost' : text;
}

/** Warns once per episode of a kind of failure; `clear` ends the episode. */
function makeOnceLogger(log: Required<Logger>) {
  const open = new Set<string>();
  return {
    warn(kind: string, message: string) {
      if (open.has(kind)) log.debug(message);
      else log.warn(message);
      open.add(kind);
    },
    clear(kind: string) {
      open.delete(kind);
    },
  };
}
