import type { Observable, OperatorFunction, SchedulerLike } from 'rxjs';
import { reconnectDelay } from '../domain/backoff.js';
import { latestInFlight } from './latestInFlight.js';

/** Options of {@link snapshot}. */
export interface SnapshotOptions {
  /** Delay before retry number `attempt` (1-based) of a failed read. Defaults to 5 s doubling to 60 s. */
  retryDelay?: (attempt: number) => number | undefined;
  /** Called on each failure, before the retry is scheduled. */
  onError?: (error: unknown, attempt: number, willRetry: boolean) => void;
  /** Schedules the retry timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Maps triggers to reads of the database with at most one read in flight: a trigger that arrives
 * during a read marks the state dirty, and exactly one more read starts when that read ends.
 *
 * It's like exhaustMap(query), but a trigger it would drop is remembered: the last one starts a
 * fresh read as soon as the running read ends, so the newest state is always read and reads never queue.
 *
 * ```
 * trigger: --a-bc-------d----|
 * query:     ----(s|)
 *                ---(s|)          (b and c arrived during a's read: one more read, for c)
 *                       ---(s|)
 *          > snapshot(query)
 * output:  ------s--s------s-|
 * ```
 *
 * A failed read is retried after `retryDelay(attempt)`; a trigger that arrives while a retry waits
 * starts the read at once (a reconnect means the database is back). A read that started after the
 * last trigger is fresh, so a trigger never cancels a running read: it is neither left queued nor
 * abandoned on the server, and the query's own teardown runs only on unsubscribe.
 *
 * When the source completes, the running read (and a dirty one after it) finishes and is emitted,
 * then the completion. Source errors pass through untouched; query errors never reach the output.
 *
 * ## Example
 * `trigger$.pipe(snapshot((why) => readSnapshot$(pool, source)))`
 *
 * @see latestInFlight (the shared core), exhaustMap, switchMap, retry
 * @param query Starts one read for a trigger; subscribed once per read (and per retry).
 * @param options Retry delay, error callback and scheduler.
 */
export function snapshot<T, S>(query: (trigger: T) => Observable<S>, options: SnapshotOptions = {}): OperatorFunction<T, S> {
  // A failed read says the database is unreachable, for a newer trigger too: it waits out the delay.
  return latestInFlight(query, { retryDelay: options.retryDelay ?? reconnectDelay, newerSkipsDelay: false, onError: options.onError, scheduler: options.scheduler });
}
