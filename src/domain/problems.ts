import type { Problem } from './types.js';

/**
 * At most this many new problems are listed one by one per resync; the rest are counted in one more
 * line. 20 000 bad rows warn 101 lines, not 20 000 (issue 11, item 5). `agent-config-sync status`
 * lists every problem.
 */
export const LISTED_PROBLEMS = 100;

/**
 * Remembers which problems were already reported, so each distinct problem is warned once and not
 * on every resync. A problem that goes away and comes back is reported again.
 * Linear in the number of problems (a Set of keys, no search per problem). Of the new problems of
 * one call, the first `limit` are returned and the others are summed up in one extra problem with
 * the key `problems:unlisted`; they count as reported.
 *
 * @param limit Most new problems returned one by one per call. Defaults to {@link LISTED_PROBLEMS}.
 */
export function makeProblemFilter(limit = LISTED_PROBLEMS): (problems: readonly Problem[]) => Problem[] {
  let previous = new Set<string>();
  return (problems) => {
    const current = new Set<string>();
    const fresh: Problem[] = [];
    let unlisted = 0;
    for (const problem of problems) {
      if (current.has(problem.key)) continue;
      current.add(problem.key);
      if (previous.has(problem.key)) continue;
      if (fresh.length < limit) fresh.push(problem);
      else unlisted += 1;
    }
    previous = current;
    if (unlisted > 0) {
      fresh.push({
        key: 'problems:unlisted',
        message: `${unlisted} more new problems in this snapshot are not listed one by one (\`agent-config-sync status\` lists them all)`,
      });
    }
    return fresh;
  };
}
