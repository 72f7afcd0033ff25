import { asyncScheduler, Observable, timer, type SchedulerLike } from 'rxjs';

/**
 * One tick when the pipeline starts, so the file is read and written without waiting for a change.
 * The listening connection's first `connected` follows and triggers a resync once LISTEN is active,
 * so a commit that lands between this read and LISTEN is still picked up.
 */
export function makeStartupTick(scheduler: SchedulerLike = asyncScheduler): Observable<'startup'> {
  return new Observable<'startup'>((subscriber) =>
    timer(0, scheduler).subscribe(() => {
      subscriber.next('startup');
      subscriber.complete();
    }),
  );
}
