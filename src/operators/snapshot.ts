import { defer, retry, switchMap, timer, type Observable, type OperatorFunction, type SchedulerLike, asyncScheduler } from 'rxjs';
import { reconnectDelay } from '../domain/backoff.js';

/** Options of {@link snapshot}. */
export interface SnapshotOptions {
  /** Delay before retry number `attempt` (1-based) of a failed query. Defaults to 5 s doubling to 60 s. */
  retryDelay?: (attempt: number) => number;
  /** Called on each failure, before the retry is scheduled. */
  onError?: (error: unknown, attempt: number) => void;
  /** Schedules the retry timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Maps each trigger to a fresh read of the database, dropping a read still running when a newer
 * trigger arrives, and retrying a failed read until it succeeds or is superseded.
 *
 * It's like switchMap(query), but a failed query is retried with backoff instead of ending the stream.
 *
 * ```
 * trigger: --a-------b-c------|
 * query:     ---(s|)   ---(s|)
 *          > snapshot(query)
 * output:  -----s---------s---|
 * ```
 * (Each read takes 3 frames: `b`'s, started at 10, is cancelled by `c` at 12, so the newer state wins.)
 *
 * When the source completes, the running read finishes and is emitted, then the completion.
 * Source errors pass through untouched; query errors never reach the output.
 *
 * ## Example
 * `trigger$.pipe(snapshot(() => from(readSnapshot(pool))))`
 *
 * @see switchMap, retry
 * @param query Starts one read; subscribed once per trigger (and per retry).
 * @param options Retry delay, error callback and scheduler.
 */
export function snapshot<T, S>(query: () => Observable<S>, options: SnapshotOptions = {}): OperatorFunction<T, S> {
  const retryDelay = options.retryDelay ?? reconnectDelay;
  const scheduler = options.scheduler ?? asyncScheduler;
  return switchMap(() =>
    defer(query).pipe(
      retry({
        delay: (error: unknown, attempt: number) => {
          options.onError?.(error, attempt);
          return timer(retryDelay(attempt), scheduler);
        },
      }),
    ),
  );
}
