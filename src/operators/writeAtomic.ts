import { asyncScheduler, defer, filter, map, retry, switchMap, timer, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';

/** What one write attempt did. */
export type WriteOutcome = 'written' | 'unchanged';

/** Options of {@link writeAtomic}. */
export interface WriteAtomicOptions {
  /** Delay before retry number `attempt` (1-based) of a failed write. Defaults to 1 s doubling to 60 s. */
  retryDelay?: (attempt: number) => number;
  /** Called on each failed attempt, before the retry is scheduled. */
  onError?: (error: unknown, attempt: number) => void;
  /** Called when a write succeeds after at least one failed attempt, of this value or of one it replaced. */
  onRecovered?: () => void;
  /** Schedules the retry timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Writes each value to the file and emits it once it is on disk; values that turned out to equal
 * the file already (`'unchanged'`) are not emitted, so nothing downstream reloads for them.
 *
 * It's like switchMap(write), but a failed write is retried with backoff until it succeeds or a
 * newer value replaces it, and the old file stays in place meanwhile.
 *
 * ```
 * source: --a-----b--------|
 * write:    -(w|)   #--(w|)        (b's first attempt fails, the retry succeeds)
 *         > writeAtomic(write)
 * output: ---a---------b---|
 * ```
 *
 * When the source completes, a running write (with its retries) finishes first.
 * Source errors pass through untouched; write errors never reach the output.
 *
 * ## Example
 * `rendered$.pipe(writeAtomic((r) => file.write(r.text), { onError: warnOnce }))`
 *
 * @see switchMap, retry
 * @param write Writes one value; resolves `'written'` or `'unchanged'`, rejects on failure.
 * @param options Retry delay, callbacks and scheduler.
 */
export function writeAtomic<T>(
  write: (value: T) => Promise<WriteOutcome>,
  options: WriteAtomicOptions = {},
): MonoTypeOperatorFunction<T> {
  const retryDelay = options.retryDelay ?? ((attempt: number) => Math.min(1_000 * 2 ** (attempt - 1), 60_000));
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    defer(() => {
      // Per subscription, not per value: a newer value that is written ends the failure episode
      // of the value it replaced, so onRecovered is not lost when the retry loop was cut short.
      let failing = false;
      return source.pipe(
        switchMap((value: T) =>
          defer(() => write(value)).pipe(
            retry({
              delay: (error: unknown, attempt: number) => {
                failing = true;
                options.onError?.(error, attempt);
                return timer(retryDelay(attempt), scheduler);
              },
            }),
            filter((outcome) => {
              if (failing) {
                failing = false;
                options.onRecovered?.();
              }
              return outcome === 'written';
            }),
            map(() => value),
          ),
        ),
      );
    });
}
