import type { Problem } from './types.js';

/**
 * Remembers which problems were already reported, so each distinct problem is warned once and not
 * on every resync. A problem that goes away and comes back is reported again.
 */
export function makeProblemFilter(): (problems: readonly Problem[]) => Problem[] {
  let previous = new Set<string>();
  return (problems) => {
    const current = new Set(problems.map((p) => p.key));
    const fresh = problems.filter((p, i) => !previous.has(p.key) && problems.findIndex((q) => q.key === p.key) === i);
    previous = current;
    return fresh;
  };
}
