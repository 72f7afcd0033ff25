import { asyncScheduler, EMPTY, interval, map, type Observable, type SchedulerLike } from 'rxjs';

/**
 * A tick every `periodMs`, so the file is compared with a full snapshot even when no notification
 * came: triggers disabled with `ALTER TABLE … DISABLE TRIGGER`, or `session_replication_role =
 * replica` during a restore or a logical-replication apply, send none.
 *
 * ```
 * periodMs = 3 frames
 * output:  ---r--r--r--r…
 * ```
 *
 * `periodMs` 0 turns it off (a source that completes at once).
 *
 * @param periodMs Interval in ms; 0 disables. Defaults to 300000 (5 min) in the pipeline's options.
 * @param scheduler Schedules the ticks. Defaults to asyncScheduler.
 */
export function makeReconcileTick(periodMs: number, scheduler: SchedulerLike = asyncScheduler): Observable<'reconcile'> {
  if (!Number.isFinite(periodMs) || periodMs < 0) {
    throw new RangeError(`reconcileMs must be a whole number of milliseconds >= 0 (0 turns it off), got ${String(periodMs)}.`);
  }
  if (periodMs === 0) return EMPTY;
  return interval(periodMs, scheduler).pipe(map(() => 'reconcile' as const));
}
