import type { Problem } from './types.js';

/**
 * One agents row as its readers report on it. Every problem a reader finds names the row the same
 * way (`agents row id=3 (name "ops"): …`) and is keyed by the row the same way
 * (`agents:<kind>:<row key>…`), so the readers take this one object instead of threading the row's
 * name, its key and the problem list through every call.
 */
export interface RowReader {
  /** How messages name the row: its serial id and its name, escaped and bounded. */
  readonly where: string;
  /** The problem key of `kind` for this row, `agents:<kind>:<row key>`; a reader appends what tells its problems apart. */
  key(kind: string): string;
  /** Records a problem: `key` as given (from {@link RowReader.key}), the message after the row's name. */
  warn(key: string, message: string): void;
}

/** A reader for the row named `where` and keyed `rk`, adding its problems to `problems`. */
export function makeRowReader(where: string, rk: string, problems: Problem[]): RowReader {
  return {
    where,
    key: (kind) => `agents:${kind}:${rk}`,
    warn: (key, message) => {
      problems.push({ key, message: `${where}: ${message}` });
    },
  };
}

/**
 * A reader that keeps nothing: for a value whose problems are told another way (a fallback model
 * that is not usable is dropped, and the list reader warns about it as an element).
 */
export const UNREPORTED: RowReader = { where: '', key: () => '', warn: () => undefined };
