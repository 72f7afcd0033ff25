import { filter, type MonoTypeOperatorFunction } from 'rxjs';

/**
 * Lets a value through only when `check` finds no reason to refuse it; refused values are reported.
 *
 * It's like filter, but the predicate says why, and the reasons go to `onRefused`.
 *
 * ```
 * source: --a--b--c--|        (b breaks a rule)
 *         > guard(check)
 * output: --a-----c--|
 * ```
 *
 * Completion and errors pass through untouched.
 *
 * ## Example
 * `rendered$.pipe(guard((r) => checkForHost(r.text, 'entries', 'root'), warnRefused))`
 *
 * @see filter
 * @param check Returns the reasons to refuse a value; an empty array lets it through.
 * @param onRefused Called with the reasons and the refused value.
 */
export function guard<T>(
  check: (value: T) => readonly string[],
  onRefused: (reasons: readonly string[], value: T) => void,
): MonoTypeOperatorFunction<T> {
  return filter((value) => {
    const reasons = check(value);
    if (reasons.length === 0) return true;
    onRefused(reasons, value);
    return false;
  });
}
