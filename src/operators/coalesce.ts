import { Observable, asyncScheduler, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';

/**
 * Emits the latest value once the source has been quiet for `quietMs`, or at the latest `maxWaitMs`
 * after the first value of a burst, whichever comes first.
 *
 * It's like debounceTime, but a source that never falls silent still gets through once per max wait.
 *
 * ```
 * source:  a-b-c--------d-e-f-g-h-i-j-k-l|
 *          > coalesce(3 frames, 9 frames)
 * output:  -------c--------------h-------(l|)
 * ```
 *
 * When the source completes, a pending value is emitted first, then the completion.
 * When the source errors, a pending value is dropped and the error passes through untouched.
 *
 * ## Example
 * `notification$.pipe(coalesce(250, 2000))` — one resync per burst of commits, at least every 2 s.
 *
 * @see debounceTime, throttleTime, auditTime
 * @param quietMs Silence that ends a burst. Defaults to 250 ms.
 * @param maxWaitMs Longest a value waits from the start of a burst. Defaults to 2000 ms; 0 passes every
 *   value through at once, without a timer (a 0 ms timer would still cost a turn of the event loop).
 * @param scheduler Schedules the timers. Defaults to asyncScheduler.
 */
export function coalesce<T>(
  quietMs = 250,
  maxWaitMs = 2000,
  scheduler: SchedulerLike = asyncScheduler,
): MonoTypeOperatorFunction<T> {
  assertDuration('quietMs', quietMs);
  assertDuration('maxWaitMs', maxWaitMs);
  return (source) =>
    new Observable<T>((subscriber) => {
      let pending: { value: T } | null = null;
      let quietTask: Subscription | null = null;
      let maxWaitTask: Subscription | null = null;

      const clearTimers = () => {
        quietTask?.unsubscribe();
        maxWaitTask?.unsubscribe();
        quietTask = maxWaitTask = null;
      };
      const flush = () => {
        if (!pending) return;
        // Free up state first, then emit: a re-entrant next() starts a fresh burst.
        const { value } = pending;
        pending = null;
        clearTimers();
        subscriber.next(value);
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (maxWaitMs === 0) return subscriber.next(value);
          pending = { value };
          quietTask?.unsubscribe();
          quietTask = scheduler.schedule(flush, quietMs);
          maxWaitTask ??= scheduler.schedule(flush, maxWaitMs);
        },
        // Pending value is dropped; the error passes through untouched.
        error: (error: unknown) => {
          pending = null;
          clearTimers();
          subscriber.error(error);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });

      return () => {
        pending = null;
        clearTimers();
        subscription.unsubscribe();
      };
    });
}

function assertDuration(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`coalesce: ${name} must be a finite number of milliseconds >= 0, got ${String(value)}.`);
  }
}
