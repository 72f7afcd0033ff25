import { asyncScheduler, defer, Observable, Subscription, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import type { WriteOutcome } from '../domain/types.js';

/** What one write attempt did (defined with the domain types: the file sink returns it too). */
export type { WriteOutcome } from '../domain/types.js';

/** Options of {@link writeLatest}. */
export interface WriteLatestOptions {
  /** Delay before retry number `attempt` (1-based) of a failed write. Defaults to 1 s doubling to 60 s. */
  retryDelay?: (attempt: number) => number;
  /** Called on each failed attempt, before the retry is scheduled. */
  onError?: (error: unknown, attempt: number) => void;
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
 * @see concatMap, switchMap, retry
 * @param write Writes one value; emits `'written'` or `'unchanged'` and completes, or errors.
 * @param options Retry delay, callbacks and scheduler.
 */
export function writeLatest<T>(write: (value: T) => Observable<WriteOutcome>, options: WriteLatestOptions = {}): MonoTypeOperatorFunction<T> {
  const retryDelay = options.retryDelay ?? ((attempt: number) => Math.min(1_000 * 2 ** (attempt - 1), 60_000));
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      let writing: Subscription | null = null;
      let waiting: Subscription | null = null;
      let next: { value: T } | null = null;
      let attempt = 0;
      let sourceDone = false;

      const start = (value: T) => {
        waiting?.unsubscribe();
        waiting = null;
        next = null;
        const run = new Subscription();
        writing = run;
        let outcome: WriteOutcome = 'unchanged';
        const settle = (then: () => void) => {
          if (writing !== run) return;
          writing = null;
          then();
        };
        run.add(
          defer(() => write(value)).subscribe({
            next: (o) => (outcome = o),
            error: (error: unknown) =>
              settle(() => {
                attempt += 1;
                options.onError?.(error, attempt);
                // A newer value supersedes the failed one at once; otherwise retry the same value.
                if (next) return start(next.value);
                waiting = timer(retryDelay(attempt), scheduler).subscribe(() => start(value));
              }),
            complete: () =>
              settle(() => {
                if (attempt > 0) {
                  attempt = 0;
                  options.onRecovered?.();
                }
                if (outcome === 'written') subscriber.next(value);
                if (next) start(next.value);
                else if (sourceDone) subscriber.complete();
              }),
          }),
        );
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (writing) next = { value };
          else start(value); // idle, or waiting to retry an older value: the newer one goes now
        },
        // Errors pass through untouched.
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (writing === null && waiting === null) subscriber.complete();
        },
      });

      return () => {
        subscription.unsubscribe();
        writing?.unsubscribe();
        waiting?.unsubscribe();
        writing = waiting = next = null;
      };
    });
}
