import { formatChange, type Change } from './diff.js';

/** At most this many changes are spelled out in one log line. */
const SHOWN_CHANGES = 8;

/** The changes of one write (or one drift) on one line: the first few spelled out, then a count. */
export function summarizeChanges(changes: readonly Change[]): string {
  if (changes.length === 0) return 'no semantic change';
  const shown = changes.slice(0, SHOWN_CHANGES).map(formatChange).join('; ');
  return changes.length > SHOWN_CHANGES ? `${shown}; … (+${changes.length - SHOWN_CHANGES} more)` : shown;
}
