import { asyncScheduler, defer, Observable, Subscription, timer, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** What {@link latestInFlight} does with a failed run. */
export interface LatestInFlightPolicy {
  /** Delay before retry number `attempt` (1-based) of a failed run, in ms; undefined gives up: the failure then errors the output (a one-shot run). */
  retryDelay: (attempt: number) => number | undefined;
  /**
   * When a newer value waited while the run failed: `true` starts it at once (the failure said
   * nothing about it: a write of older text), `false` retries with it after the delay (the failure
   * is about the place, not the value: a database that is down is down for every read).
   */
  newerSkipsDelay: boolean;
  /** Called on each failure, before the retry is scheduled; `willRetry` is false when it gives up. */
  onError?: (error: unknown, attempt: number, willRetry: boolean) => void;
  /** Called when a run succeeds after at least one failed attempt (of this value or of one it replaced). */
  onRecovered?: () => void;
  /** Schedules the retry timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * The shared core of the stages that keep one effect in flight: at most one run at a time, a value
 * that arrives meanwhile replaces any value still waiting (the latest is run next, once), and a
 * failed run is retried with backoff until it succeeds or a newer value takes its place.
 *
 * It's like exhaustMap(run), but a value it would drop is remembered: the latest one runs as soon as
 * the running one ends, so the newest state is always acted on and runs never queue up.
 *
 * ```
 * source: --a-bc--------d-------|
 * run:      ---(x|)
 *              ---(y|)            (b was replaced by c while a ran)
 *                     -#  -(z|)   (d fails; after a 2-frame delay the retry succeeds)
 *         > latestInFlight(run, { retryDelay: () => 2, newerSkipsDelay: true })
 * output: -----x--y---------z---|
 * ```
 *
 * Everything a run emits is passed on, and a run is never cut short by a newer value (a read is not
 * left abandoned on the server, a write not torn): only unsubscribing ends it. A value that arrives
 * while a retry waits runs at once.
 *
 * When the source completes, the run in flight and the waiting value (with their retries) finish
 * first, then the completion. Source errors pass through untouched; run errors reach the output only
 * when the retry schedule gives up (returns undefined).
 *
 * ## Example
 * `trigger$.pipe(latestInFlight(() => read$(), { retryDelay: reconnectDelay, newerSkipsDelay: false }))`
 *
 * @see exhaustMap, concatMap, retry
 * @param run Starts one run for a value; subscribed once per run (and per retry).
 * @param policy Retry schedule, what a newer value does after a failure, callbacks and scheduler.
 */
export function latestInFlight<T, R>(run: (value: T) => Observable<R>, policy: LatestInFlightPolicy): OperatorFunction<T, R> {
  const scheduler = policy.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<R>((subscriber) => {
      let running: Subscription | null = null;
      let waiting: Subscription | null = null;
      let latest: { value: T } | null = null;
      let attempt = 0;
      let sourceDone = false;

      const recovered = () => {
        if (attempt === 0) return;
        attempt = 0;
        policy.onRecovered?.();
      };
      const failed = (error: unknown, value: T) => {
        attempt += 1;
        const delayMs = policy.retryDelay(attempt);
        policy.onError?.(error, attempt, delayMs !== undefined);
        if (delayMs === undefined) return subscriber.error(error);
        const newer = latest;
        latest = null;
        if (newer && policy.newerSkipsDelay) return start(newer.value);
        const retryWith = newer ? newer.value : value;
        waiting = timer(delayMs, scheduler).subscribe(() => {
          waiting = null;
          start(retryWith);
        });
      };
      const start = (value: T) => {
        waiting?.unsubscribe();
        waiting = null;
        latest = null;
        const current = new Subscription();
        running = current;
        // Only the run still current may settle the state: an old run's late report changes nothing.
        const settle = (then: () => void) => {
          if (running !== current) return;
          running = null;
          then();
        };
        current.add(
          defer(() => run(value)).subscribe({
            next: (result) => {
              recovered();
              subscriber.next(result);
            },
            error: (error: unknown) => settle(() => failed(error, value)),
            complete: () =>
              settle(() => {
                recovered();
                if (latest) start(latest.value);
                else if (sourceDone) subscriber.complete();
              }),
          }),
        );
      };

      const subscription = source.subscribe({
        next: (value) => {
          if (running) latest = { value };
          else start(value); // idle, or waiting to retry an older value: the newer one goes now
        },
        // Errors pass through untouched; the teardown below ends a running run.
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (running === null && waiting === null) subscriber.complete();
        },
      });

      // Free the state first, so nothing a late callback does can start another run.
      return () => {
        subscription.unsubscribe();
        const ending = [running, waiting];
        running = waiting = latest = null;
        ending.forEach((s) => s?.unsubscribe());
      };
    });
}
