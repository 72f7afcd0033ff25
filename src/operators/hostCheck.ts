import { map, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from 'rxjs';
import { reconnectDelay } from '../domain/backoff.js';
import type { Rendered } from '../domain/types.js';
import { latestInFlight } from './latestInFlight.js';

/** Options of {@link hostCheck}. */
export interface HostCheckStageOptions {
  /** Delay before retry number `attempt` (1-based) of a check that failed, in ms; undefined gives up (the error passes on). Defaults to 5 s doubling to 60 s. */
  retryDelay?: (attempt: number) => number | undefined;
  /** Schedules the retry timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
}

/**
 * Passes each render through the host's own schema, at most one check in flight: a render that
 * arrives during a check waits, and only the latest waiting one is checked next. The value keeps
 * its context (what started the read, where the database was); only its render is replaced by what
 * the check returns (the roster with the settings the host rejects left out).
 *
 * It's like exhaustMap(check), but the latest dropped render is checked as soon as the running check
 * ends, so the file always ends with the newest roster, and checks never queue up.
 *
 * ```
 * source: --a-bc-----------|
 * check:    ---(A|)
 *             ---(C|)              (b was replaced by c during a's check)
 *         > hostCheck(check)
 * output: -----A--C--------|
 * ```
 *
 * A check that errors (the host cannot be asked and the check did not say so itself) is retried
 * after the delay. When the source completes, the running check and a waiting render finish first,
 * then the completion. Source errors pass through untouched.
 *
 * ## Example
 * `rendered$.pipe(hostCheck(makeLoggedHostCheck(checker, render, log)))`
 *
 * @see latestInFlight, snapshot
 * @param check Checks one render; emits the render to write (the same, or with settings left out).
 * @param options Retry delay and scheduler.
 */
export function hostCheck<T extends { rendered: Rendered }>(
  check: (rendered: Rendered) => Observable<Rendered>,
  options: HostCheckStageOptions = {},
): MonoTypeOperatorFunction<T> {
  return latestInFlight((value: T) => check(value.rendered).pipe(map((rendered): T => ({ ...value, rendered }))), {
    retryDelay: options.retryDelay ?? reconnectDelay,
    newerSkipsDelay: false,
    scheduler: options.scheduler,
  });
}
