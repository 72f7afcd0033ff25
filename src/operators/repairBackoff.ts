import { asyncScheduler, Observable, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { reconnectDelay } from '../domain/backoff.js';

/** Options of {@link repairBackoff}. */
export interface RepairBackoffOptions {
  /** A value that arrives within this long after the last emission is a repeat. Defaults to 1000 ms. */
  windowMs?: number;
  /** Delay of the first repeat; each further repeat doubles it. Defaults to 2000 ms. */
  baseMs?: number;
  /** Longest delay. Defaults to 60000 ms. */
  maxMs?: number;
  /** Told of every value: how many repeats in a row it ends (1 = not a repeat) and the delay it gets. */
  onStreak?: (streak: number, delayMs: number) => void;
  /** Schedules the delays. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Passes a value at once, unless it comes right after the previous one was passed: then it waits,
 * twice as long for every repeat in a row, so an answer that always comes back is answered ever more
 * slowly. Values that arrive while one waits replace it (the latest is passed).
 *
 * It's like throttleTime, but the throttle grows while the values keep coming back right after each
 * emission — a drift repair that another writer keeps undoing — and starts over once they stop.
 *
 * ```
 * windowMs 7, baseMs 2, maxMs 8 (frames)
 * source: a-----b---c-------------------d--|
 *         > repairBackoff
 * output: a-------b-----c---------------d--|   (b, c come back within 7 of an emission: +2, +4; d does not: at once)
 * ```
 *
 * When the source completes, a waiting value is passed first, then the completion.
 * When the source errors, a waiting value is dropped and the error passes through untouched.
 *
 * ## Example
 * `drift$.pipe(repairBackoff({ onStreak: (n) => (fighting = n > 1) }))`
 *
 * @see throttleTime, debounceTime
 * @param options Window, base and ceiling of the delay in ms, a streak callback and the scheduler.
 */
export function repairBackoff<T>(options: RepairBackoffOptions = {}): MonoTypeOperatorFunction<T> {
  const windowMs = options.windowMs ?? 1_000;
  const baseMs = options.baseMs ?? 2_000;
  const maxMs = options.maxMs ?? 60_000;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      let lastEmitAt: number | undefined;
      let streak = 0;
      let waiting: { value: T } | null = null;
      let timer: Subscription | null = null;

      const emit = (value: T) => {
        lastEmitAt = scheduler.now();
        subscriber.next(value);
      };
      const flush = () => {
        timer = null;
        if (!waiting) return;
        const { value } = waiting;
        waiting = null;
        emit(value);
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (timer) {
            waiting = { value };
            return;
          }
          const repeat = lastEmitAt !== undefined && scheduler.now() - lastEmitAt < windowMs;
          streak = repeat ? streak + 1 : 1;
          // The first repeat waits baseMs: retry number streak - 1 of the shared schedule.
          const delayMs = streak === 1 ? 0 : reconnectDelay(streak - 1, baseMs, maxMs);
          options.onStreak?.(streak, delayMs);
          if (delayMs === 0) return emit(value);
          waiting = { value };
          timer = scheduler.schedule(flush, delayMs);
        },
        // A waiting value is dropped; the error passes through untouched.
        error: (error: unknown) => {
          waiting = null;
          timer?.unsubscribe();
          subscriber.error(error);
        },
        complete: () => {
          timer?.unsubscribe();
          flush();
          subscriber.complete();
        },
      });

      return () => {
        waiting = null;
        timer?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
