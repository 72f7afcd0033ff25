import { createHash } from 'node:crypto';
import { debounceTime, defer, filter, identity, map, merge, retry, share, Subscription, tap, timer, type MonoTypeOperatorFunction, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { zeroCounters, type PipelineCounters } from './domain/pipelineCounters.js';
import { summarizeChanges } from './domain/changeSummary.js';
import { reconnectDelay } from './domain/backoff.js';
import { diffJson, parseJsonOrUndefined, type Change } from './domain/diff.js';
import { makeProblemFilter } from './domain/problems.js';
import { refusals } from './domain/refusals.js';
import { quote } from './domain/safeText.js';
import type { RenderOptions } from './domain/render.js';
import { describeChanges } from './domain/ledger.js';
import type { ChangeAuthor, Rendered, Snapshot } from './domain/types.js';
import { makeOnceLogger, type OnceLogger } from './logOnce.js';
import { withHint } from './db/errorHints.js';
import { describeError, totalLogger, type Logger } from './logger.js';
import { coalesce } from './operators/coalesce.js';
import { guard } from './operators/guard.js';
import { hostCheck } from './operators/hostCheck.js';
import { reload } from './operators/reload.js';
import { renderer } from './operators/render.js';
import { repairBackoff } from './operators/repairBackoff.js';
import { snapshot } from './operators/snapshot.js';
import { writeLatest } from './operators/writeLatest.js';
import { makePostgresSources, type ListenSourceEvent, type PostgresSourceOptions, type Sources } from './sources.js';
import { makeReconcileTick } from './streams/reconcileTick.js';
import { makeStartupTick } from './streams/startupTick.js';

export { refusals } from './domain/refusals.js';

/** What the flow does with what the sources report: stages' settings and callbacks, each with its default and unit. */
export interface PipelinePolicy {
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
  /** Snapshot-retry schedule, in ms; undefined gives up (a one-shot run fails). Defaults to 5 s doubling to 60 s. */
  reconnectDelay?: (attempt: number) => number | undefined;
  /** Write-retry schedule, in ms; undefined gives up (a one-shot run fails). Defaults to 1 s doubling to 60 s. */
  writeRetryDelay?: (attempt: number) => number | undefined;
  /** Delay before the pipeline restarts itself after an unexpected error, in ms. Defaults to 5 s doubling to 60 s. */
  restartDelay?: (attempt: number) => number;
  /**
   * How long the first read waits for LISTEN, in ms (listen, then read: one read at start). A LISTEN
   * slower than this, or failing, does not hold the first file back. Defaults to 1000 ms.
   */
  startupWaitMs?: number;
  /**
   * The host's own schema: each render passes through it before the guard, at most one check in
   * flight (a newer render waits, the latest wins). Defaults to none: our own rules are the check.
   */
  hostCheck?: (rendered: Rendered) => Observable<Rendered>;
  /** Told after each write (and its reload), with what changed. Defaults to nothing. */
  onWritten?: (written: WrittenFile) => void;
  /** Told after each successful snapshot is rendered, written or not (for tests and metrics). Defaults to nothing. */
  onRendered?: (rendered: Rendered) => void;
  /** Told whenever the file holds a render after the writer: written (after its reload), or found equal to the disk. Defaults to nothing. */
  onSynced?: (synced: Synced) => void;
  /** Told of each failure recorded as `status().lastError` (connection, snapshot, write, restart). Must not throw. Defaults to nothing. */
  onError?: (message: string) => void;
  /** Schedules every timer of the flow. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/** Everything a pipeline on PostgreSQL and a file needs: its sources' options and its policy. */
export type PipelineOptions = PostgresSourceOptions & PipelinePolicy;

/**
 * The pipeline of the plugin service, the CLI's watch and the tests: the PostgreSQL and file sources
 * built from `options`, then the flow over them. Disposing it disposes the sources too.
 */
export function startPipeline(options: PipelineOptions): RunningPipeline {
  return runPipeline(makePostgresSources({ ...options, logger: totalLogger(options.logger) }), options);
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
  /** The change ledger's high-water mark of the snapshot this file was rendered from, when it was readable. */
  through?: string;
}

/** The file holds a render (after a write, or found equal to the disk). */
export interface Synced {
  text: string;
  agentCount: number;
  through?: string;
  written: boolean;
}

/** Counters (named once, in domain/pipelineCounters.ts) and last events of a running pipeline (for status and tests). */
export interface PipelineStatus extends PipelineCounters {
  connected: boolean;
  lastWrite?: { at: string; sha256: string; agents: number; changes: number; trigger: Trigger };
  lastError?: { at: string; message: string };
  /** The ledger id the file holds: the `through` of the last render written or found equal on disk. */
  syncedThrough?: string;
}

/** A running pipeline. */
export interface RunningPipeline {
  /** Ends the pipeline and closes every connection, within 5 s whatever the database does; safe to call twice. */
  dispose(): Promise<void>;
  status(): PipelineStatus;
}

/** A read and what started it. */
export interface Read {
  trigger: Trigger;
  snapshot: Snapshot;
}
/** A render on its way to the file, with the context of its read. */
export interface Candidate {
  trigger: Trigger;
  through?: string;
  /** Who made the changes since the ledger id the file held when it was read (for the write's log line). */
  changes?: readonly ChangeAuthor[];
  rendered: Rendered;
}
/** What the writer did with a candidate. */
export interface Outcome extends Candidate {
  written: boolean;
  /** The text the write replaced (undefined: no readable file before). */
  replaced: string | undefined;
  repaired: boolean;
}

/**
 * The whole flow, sources → operators → sinks:
 *
 *   startup tick ───┐
 *   (re)connected ──┤
 *   notification ───┼─ coalesce ─ read ─ render ─ check ─ guard ─ write ─ reload ─ report
 *   file drift ─────┤   (one read in flight,          (one write in flight, newest wins,
 *   reconcile tick ─┘    one more when dirty)           "equal to disk" decided there)
 *
 * Effects live in the sources, passed in (LISTEN connection, snapshot reader, file watch, the
 * file's writer) and in the policy's reload and host check; this function only wires them. Each
 * value carries its context (the trigger, the ledger mark, what a write replaced) from the read to
 * the report. An unexpected error anywhere restarts the whole flow with backoff.
 */
export function runPipeline(sources: Sources, policy: PipelinePolicy): RunningPipeline {
  const stage = makeStages(sources, policy);
  const flow$ = defer(() =>
    stage
      .triggers$()
      .pipe(coalesce(policy.debounceMs, policy.maxWaitMs, policy.scheduler), stage.read, stage.render, stage.check, stage.guard, stage.write, stage.reload),
  ).pipe(stage.restartOnError);

  const subscription = new Subscription();
  subscription.add(flow$.subscribe({ next: stage.report }));

  let disposed: Promise<void> | undefined;
  return {
    dispose() {
      disposed ??= (async () => {
        subscription.unsubscribe();
        await sources.dispose();
      })();
      return disposed;
    },
    status: stage.status,
  };
}

/** The flow's stages over one set of sources and one policy, sharing its status and logging. */
export interface Stages {
  /** Everything that starts a read: the start, each (re)connect, each notification, drift, the reconcile tick. */
  triggers$(): Observable<Trigger>;
  /** One read in flight; a trigger during it means exactly one more. */
  read: OperatorFunction<Trigger, Read>;
  /** The snapshot as the file's text, its problems warned once each. */
  render: OperatorFunction<Read, Candidate>;
  /** The host's own schema, one check in flight (the identity without a host check). */
  check: OperatorFunction<Candidate, Candidate>;
  /** Our own rules: a refused render is warned and not written. */
  guard: OperatorFunction<Candidate, Candidate>;
  /** One write in flight, the newest waiting render next. */
  write: OperatorFunction<Candidate, Outcome>;
  /** The reload after each write that changed the file. */
  reload: OperatorFunction<Outcome, Outcome>;
  /** The end of the flow: counts, the write's log line, the callbacks. */
  report(outcome: Outcome): void;
  /** An unexpected error anywhere restarts the flow after the restart delay. */
  restartOnError: MonoTypeOperatorFunction<Outcome>;
  status(): PipelineStatus;
}

/**
 * The stages of the flow, for the live pipeline and for `sync --once` (one trigger through the same
 * stages; a policy whose retry schedules give up turns a failed read or write into the run's error).
 */
export function makeStages(sources: Sources, policy: PipelinePolicy): Stages {
  const log = totalLogger(policy.logger);
  const status: PipelineStatus = { connected: false, ...zeroCounters() };
  const failed = (message: string) => {
    status.lastError = { at: new Date().toISOString(), message };
    policy.onError?.(message);
  };
  const ctx: StageContext = { sources, policy, log, once: makeOnceLogger(log), status, failed };
  return {
    triggers$: () => triggers$(ctx),
    read: readStage(ctx),
    render: renderStage(ctx),
    // A check that errors is retried on the read's schedule (and, in a one-shot run, ends it the same way).
    check: policy.hostCheck ? hostCheck<Candidate>(policy.hostCheck, { retryDelay: policy.reconnectDelay, scheduler: policy.scheduler }) : identity,
    guard: guardStage(ctx),
    write: writeStage(ctx),
    reload: reload<Outcome>(
      (o) => (o.written ? policy.reload() : undefined),
      (error) => log.warn(`reload after writing ${sources.writer.path} failed: ${describeError(error)}`),
    ),
    report: (outcome) => report(ctx, outcome),
    restartOnError: restartOnError(ctx),
    status: () => ({ ...status }),
  };
}

/** What every stage may use: the sources, the policy, the logging and the status. */
interface StageContext {
  sources: Sources;
  policy: PipelinePolicy;
  log: Required<Logger>;
  once: OnceLogger;
  status: PipelineStatus;
  failed: (message: string) => void;
}

/** Everything that starts a read: the start, each (re)connect, each notification, drift, the reconcile tick. */
function triggers$({ sources, policy, log, status, failed }: StageContext): Observable<Trigger> {
  const scheduler = policy.scheduler;
  const listen$ = sources.listen$.pipe(
    tap((event) => logListenEvent(event, { log, status, failed, channel: sources.labels.channel })),
    share(),
  );
  const connected$ = listen$.pipe(
    filter((event) => event.type === 'connected'),
    map((): Trigger => 'connected'),
  );
  const startup$ = makeStartupTick({
    connected$,
    failed$: listen$.pipe(filter((event) => event.type === 'disconnected')),
    waitMs: policy.startupWaitMs ?? 1_000,
    scheduler,
  });
  const notification$ = listen$.pipe(
    filter((event) => event.type === 'notification'),
    map((): Trigger => 'notification'),
  );
  const drift$ = sources.drift$.pipe(
    // Only a hint: whether anything is undone (and so warned and counted) is decided by the writer,
    // against the database's render — the other writer may have written exactly that.
    tap((change) => log.debug(`${sources.writer.path} ${change.text === undefined ? 'was deleted' : 'was changed'} by another writer; comparing with the database`)),
    // One edit can be several file events (an editor truncates, then writes): one drift, not a repeat.
    debounceTime(100, scheduler),
    // A writer that undoes every repair at once (a second sync with other settings) is answered ever
    // more slowly instead of twice a second forever; the writer says so once per episode.
    repairBackoff({ scheduler, onStreak: (streak, delayMs) => sources.writer.repairStreak(streak, delayMs) }),
    map((): Trigger => 'drift'),
  );
  const reconcile$ = makeReconcileTick(policy.reconcileMs ?? 300_000, scheduler);
  return merge(startup$, connected$, notification$, drift$, reconcile$);
}

/** The listening connection's events as status and log lines (the flow only needs their triggers). */
function logListenEvent(
  event: ListenSourceEvent,
  { log, status, failed, channel }: Pick<StageContext, 'log' | 'status' | 'failed'> & { channel: string },
): void {
  if (event.type === 'connected') {
    status.connected = true;
    if (!event.first) status.reconnects += 1;
    log.info(event.first ? `listening on channel "${channel}"` : 'reconnected to PostgreSQL; resyncing');
  } else if (event.type === 'disconnected') {
    status.connected = false;
    const why = describeListenError(event.error);
    failed(`listening connection: ${why}`);
    (event.attempt === 1 ? log.warn : log.debug)(`listening connection to PostgreSQL unavailable (${why}); retry ${event.attempt} in ${Math.round(event.delayMs / 1000)} s`);
  } else {
    // Payloads are informational and untrusted: quoted, so a newline or an escape cannot forge a log line.
    log.debug(`notification: ${event.payload === undefined ? '(no payload)' : quote(event.payload, 300)}`);
  }
}

/** One read in flight; a trigger during it means exactly one more. Counts reads and says which columns are used. */
function readStage({ sources, policy, log, once, status, failed }: StageContext): OperatorFunction<Trigger, Read> {
  let columns = '';
  return (trigger$) =>
    trigger$.pipe(
      // Asked with the ledger id the file holds, the read also names who made the changes since.
      snapshot((trigger: Trigger) => sources.read$(status.syncedThrough).pipe(map((s): Read => ({ trigger, snapshot: s }))), {
        retryDelay: policy.reconnectDelay,
        scheduler: policy.scheduler,
        onError: (error, attempt, willRetry) => {
          failed(`snapshot: ${describeError(error)}`);
          // Given up (a one-shot run): the error itself ends the run and is said there.
          if (willRetry) once.warn('snapshot', `reading the database failed (retry ${attempt}): ${withHint(describeError(error))}`);
        },
      }),
      tap(({ trigger, snapshot: s }) => {
        status.snapshots += 1;
        if (trigger === 'reconcile') status.reconciles += 1;
        once.clear('snapshot');
        const used = ['name', 'model', ...s.columns].join(', ');
        if (used !== columns) log.info(`agents source ${sources.labels.agentsSource}: using columns ${used}`);
        columns = used;
      }),
    );
}

/** The snapshot as the file's text; its problems warned once each. */
function renderStage({ policy, log }: StageContext): OperatorFunction<Read, Candidate> {
  const fresh = makeProblemFilter();
  const renderOne = renderer(policy.render, (problems) => fresh(problems).forEach((p) => log.warn(p.message)));
  return map(({ trigger, snapshot: s }): Candidate => {
    const rendered = renderOne(s);
    policy.onRendered?.(rendered);
    return { trigger, through: s.through, ...(s.changes === undefined ? {} : { changes: s.changes }), rendered };
  });
}

/** Our own rules: a render that would break the host or empty the roster is not written. */
function guardStage({ sources, policy, once }: StageContext): OperatorFunction<Candidate, Candidate> {
  const renderOptions = () => (typeof policy.render === 'function' ? policy.render() : policy.render);
  return (candidate$) =>
    candidate$.pipe(
      guard(
        (c: Candidate) => refusals(c.rendered, renderOptions(), () => sources.writer.readCurrent(), policy.allowEmpty),
        (reasons) => once.warn('refused', `not writing ${sources.writer.path}: ${reasons.join('; ')}`),
      ),
      tap(() => once.clear('refused')),
    );
}

/** One write in flight, the newest waiting render next; failures retried until superseded. */
function writeStage({ sources, policy, log, once, status, failed }: StageContext): OperatorFunction<Candidate, Outcome> {
  const { writer } = sources;
  return (candidate$) =>
    candidate$.pipe(
      writeLatest(
        (c: Candidate) =>
          writer.write$(c.rendered.text).pipe(map((r): Outcome => ({ ...c, written: r.outcome === 'written', replaced: r.replaced, repaired: r.repaired }))),
        {
          retryDelay: policy.writeRetryDelay,
          scheduler: policy.scheduler,
          onError: (error, _attempt, willRetry) => {
            failed(`write: ${describeError(error)}`);
            if (willRetry) once.warn('write', `writing ${writer.path} failed; the old file stays (will retry): ${describeError(error)}`);
          },
          onRecovered: () => {
            if (once.clear('write')) log.info(`writing ${writer.path} works again`);
          },
        },
      ),
      tap((o) => {
        if (o.repaired) status.driftRepairs += 1;
      }),
    );
}

/** The end of the flow: a written file is counted, logged and told; every synced one is told. */
function report({ sources, policy, log, status }: StageContext, outcome: Outcome): void {
  const { rendered, trigger, through, changes } = outcome;
  if (outcome.written) {
    const before = outcome.replaced;
    const written: WrittenFile = {
      text: rendered.text,
      agentCount: rendered.agentCount,
      // A new file is summarised as such: no leaf-by-leaf diff of a whole roster against nothing.
      changes: before === undefined ? [] : diffJson(parseJsonOrUndefined(before), parseJsonOrUndefined(rendered.text)),
      created: before === undefined,
      trigger,
      ...(through === undefined ? {} : { through }),
    };
    status.writes += 1;
    status.lastWrite = {
      at: new Date().toISOString(),
      sha256: createHash('sha256').update(written.text).digest('hex'),
      agents: written.agentCount,
      changes: written.changes.length,
      trigger,
    };
    const why = trigger === 'drift' ? ' (undoing another writer)' : trigger === 'reconcile' ? ' (reconcile: the file differed from the database)' : '';
    log.info(`wrote ${sources.writer.path} (${written.agentCount} agents)${why}: ${written.created ? 'new file' : summarizeChanges(written.changes)}${whoChanged(changes, through)}`);
    tell(log, `after writing ${sources.writer.path}`, () => policy.onWritten?.(written));
  }
  if (through !== undefined) status.syncedThrough = through;
  const synced: Synced = { text: rendered.text, agentCount: rendered.agentCount, written: outcome.written, ...(through === undefined ? {} : { through }) };
  tell(log, `after syncing ${sources.writer.path}`, () => policy.onSynced?.(synced));
}

/**
 * The end of a write's log line: which ledger changes it brought and who made them
 * (` (change 42 by alice via psql)`), or only the mark (` (through change 42)`) when the authors were
 * not read (the first write after a start) or none changed; '' without a readable ledger.
 */
function whoChanged(changes: readonly ChangeAuthor[] | undefined, through: string | undefined): string {
  const named = changes === undefined ? '' : describeChanges(changes, through);
  if (named !== '') return ` ${named}`;
  return through === undefined ? '' : ` (through change ${through})`;
}

/** Runs a caller's callback; its failure is logged, never thrown into the flow. */
function tell(log: Required<Logger>, what: string, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    log.error(`${what}: ${describeError(error)}`);
  }
}

/** An unexpected error anywhere restarts the whole flow after the restart delay. */
function restartOnError<T>({ policy, log, status, failed }: StageContext): (flow$: Observable<T>) => Observable<T> {
  return retry({
    delay: (error: unknown, attempt: number) => {
      status.restarts += 1;
      const ms = (policy.restartDelay ?? reconnectDelay)(attempt);
      failed(`pipeline: ${describeError(error)}`);
      log.error(`pipeline failed: ${describeError(error)}; restarting in ${Math.round(ms / 100) / 10} s`);
      return timer(ms, policy.scheduler);
    },
  });
}

function describeListenError(error: unknown): string {
  const text = describeError(error);
  return text.startsWith('Re-initializing') ? 'connection lost' : withHint(text);
}
