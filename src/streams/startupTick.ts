import { asyncScheduler, map, race, take, takeUntil, timer, type Observable, type SchedulerLike } from 'rxjs';

/** Options of {@link makeStartupTick}. */
export interface StartupTickOptions {
  /** The listening connection's `connected` events: the first one makes this tick unnecessary. */
  connected$: Observable<unknown>;
  /** The listening connection's failures: the first one makes the tick fire at once. */
  failed$: Observable<unknown>;
  /** How long the first read waits for LISTEN, in ms. */
  waitMs: number;
  scheduler?: SchedulerLike;
}

/**
 * The first read when LISTEN is slow or failing, so the file is written without waiting for it.
 * Normally LISTEN comes up first (listen, then read: docs/design.md §3) and its `connected` event is the start's
 * only read — this tick then never fires, and a start reads the database once, not twice. When LISTEN
 * fails, or is not up within `waitMs`, the tick fires; the later `connected` still triggers a resync,
 * so a commit that lands between this read and LISTEN is picked up.
 */
export function makeStartupTick(options: StartupTickOptions): Observable<'startup'> {
  return race(timer(options.waitMs, options.scheduler ?? asyncScheduler), options.failed$).pipe(
    take(1),
    map((): 'startup' => 'startup'),
    takeUntil(options.connected$),
  );
}
