import { distinctUntilChanged, filter, pipe, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Drops a rendered file that would not change anything: the same text as the previous render,
 * or the same bytes as the file already on disk.
 *
 * It's like distinctUntilChanged, but it also compares with the file on disk, so a restart
 * (or another writer that got there first) does not cause a rewrite.
 *
 * ```
 * source: --a--a--b--b--c--|     (disk already holds c)
 *         > distinct(readCurrent)
 * output: --a-----b--------|
 * ```
 *
 * Completion and errors pass through untouched.
 *
 * ## Example
 * `rendered$.pipe(distinct((r) => r.text, () => file.readCurrent()))`
 *
 * @see distinctUntilChanged, filter
 * @param text The bytes of a value.
 * @param readCurrent Returns the file's current text, or undefined when there is none.
 */
export function distinct<T>(text: (value: T) => string, readCurrent: () => string | undefined): MonoTypeOperatorFunction<T> {
  return pipe(
    distinctUntilChanged((previous, current) => text(previous) === text(current)),
    filter((value) => text(value) !== readCurrent()),
  );
}
