/**
 * The reconnect schedule of docs/design.md §6: 5 s before the first retry, doubling, at most 60 s, forever.
 *
 * ```
 * attempt: 1   2    3    4    5    6 …
 * delay:   5s  10s  20s  40s  60s  60s …
 * ```
 *
 * @param attempt 1-based retry number.
 * @param baseMs First delay. Defaults to 5000 ms.
 * @param maxMs Ceiling. Defaults to 60000 ms.
 */
export function reconnectDelay(attempt: number, baseMs = 5_000, maxMs = 60_000): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  return Math.min(baseMs * 2 ** Math.min(exponent, 30), maxMs);
}

/** A schedule with another base and ceiling (tests inject a faster one). */
export function makeBackoff(baseMs: number, maxMs: number): (attempt: number) => number {
  return (attempt) => reconnectDelay(attempt, baseMs, maxMs);
}

/** The write-retry schedule: 1 s before the first retry, doubling, at most 60 s. */
export const writeRetryDelay = makeBackoff(1_000, 60_000);
