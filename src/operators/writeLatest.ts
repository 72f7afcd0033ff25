import { filter, last, map, type MonoTypeOperatorFunction, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { writeRetryDelay } from '../domain/backoff.js';
import { latestInFlight } from './latestInFlight.js';
import type { WriteOutcome } from '../domain/types.js';

/** What one write attempt did (defined with the domain types: the file sink returns it too). */
export type { WriteOutcome } from '../domain/types.js';

/** Options of {@link writeLatest}. */
export interface WriteLatestOptions {
  /** Delay before retry number `attempt` (1-based) of a failed write. Defaults to 1 s doubling to 60 s. */
  retryDelay?: (attempt: number) => number | undefined;
  /** Called on each failed attempt, before the retry is scheduled. */
  onError?: (error: unknown, attempt: number, willRetry: boolean) => void;
  /** Called when a write succeeds after at least one failed attempt (of this value or of one it replaced). */
  onRecovered?: () => void;
  /** Schedules the retry timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Writes values one at a time, newest first: at most one write is in flight, a value that arrives
 * meanwhile replaces any value still waiting, and a failed write is retried until it succeeds or a
 * newer value supersedes it. Emits a value once its write reports `'written'`.
 *
 * It's like concatMap(write) with retry, but only the latest waiting value is kept: a stale value
 * never lands after a newer one, and a retry never outlives the value that replaced it.
 *
 * ```
 * source: --a-b-c----------d-------|
 * write:    ---w
 *                ---w                 (b was replaced by c while a was being written)
 *                          -#  -w     (d fails once, the retry writes it)
 *         > writeLatest(write)
 * output: -----a----c-----------d--|
 * ```
 *
 * The write decides "already on disk" itself (`'unchanged'`, not emitted): since writes are
 * serialized, it compares against the bytes on disk after every earlier write has settled.
 * A write in flight is never cut short; unsubscribing only stops what would follow it.
 *
 * When the source completes, the write in flight and the waiting value (with their retries) finish
 * first, then the completion. Source errors pass through untouched; write errors never reach the output.
 *
 * ## Example
 * `rendered$.pipe(writeLatest((r) => defer(() => file.write(r.text)), { onError: warnOnce }))`
 *
 * @see latestInFlight (the shared core), concatMap, switchMap, retry
 * A write may also report an object instead of `'written'` or `'unchanged'` (what it did, with
 * what it replaced): that object is emitted in place of the value, whatever it says, so the context
 * of a write travels on with it and the stages after it decide what an unchanged file means.
 *
 * @param write Writes one value; emits `'written'`, `'unchanged'` or a report object and completes, or errors.
 * @param options Retry delay, callbacks and scheduler.
 */
export function writeLatest<T>(write: (value: T) => Observable<WriteOutcome>, options?: WriteLatestOptions): MonoTypeOperatorFunction<T>;
export function writeLatest<T, R extends object>(write: (value: T) => Observable<R>, options?: WriteLatestOptions): OperatorFunction<T, R>;
export function writeLatest<T, R extends object>(write: (value: T) => Observable<WriteOutcome | R>, options?: WriteLatestOptions): OperatorFunction<T, T | R>;
export function writeLatest<T, R extends object>(
  write: (value: T) => Observable<WriteOutcome | R>,
  options: WriteLatestOptions = {},
): OperatorFunction<T, T | R> {
  // Only the last report of a write counts, once it completes; 'unchanged' is not passed on.
  const outcomeOf = (value: T) =>
    write(value).pipe(
      last(undefined, 'unchanged' as const),
      filter((outcome) => outcome !== 'unchanged'),
      map((outcome) => (outcome === 'written' ? value : outcome)),
    );
  // A failed write says nothing about newer text: a newer value goes at once, not after the delay.
  return latestInFlight(outcomeOf, {
    retryDelay: options.retryDelay ?? writeRetryDelay,
    newerSkipsDelay: true,
    onError: options.onError,
    onRecovered: options.onRecovered,
    scheduler: options.scheduler,
  });
}
