import { catchError, concatMap, defer, EMPTY, endWith, ignoreElements, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Runs the reload side effect once for each value (each completed write), in order, then passes the
 * value on. A failing reload is reported and does not stop the stream.
 *
 * It's like concatMap(tap(action)), but the action's failure is caught and reported.
 *
 * ```
 * written: --a-----b----|
 * action:    -|      -|
 *          > reload(action)
 * output:  ---a------b--|
 * ```
 *
 * When the source completes, a running reload finishes first. Source errors pass through untouched.
 *
 * ## Example
 * `written$.pipe(reload(() => touch(configPath), warn))`
 *
 * @see concatMap, tap
 * @param action The side effect; may return a promise.
 * @param onError Receives the action's failure.
 */
export function reload<T>(
  action: (value: T) => void | Promise<void>,
  onError: (error: unknown, value: T) => void = () => undefined,
): MonoTypeOperatorFunction<T> {
  return concatMap((value: T) =>
    defer(async () => action(value)).pipe(
      ignoreElements(),
      catchError((error: unknown) => {
        onError(error, value);
        return EMPTY;
      }),
      endWith(value),
    ),
  );
}
