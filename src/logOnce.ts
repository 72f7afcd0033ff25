import type { Logger } from './logger.js';

/** Warns once per episode of a kind of failure; later warnings of the episode go to debug. */
export interface OnceLogger {
  warn(kind: string, message: string): void;
  /** Ends the episode: the next warning of this kind is a warning again. Returns whether one was open. */
  clear(kind: string): boolean;
}

export function makeOnceLogger(log: Required<Logger>): OnceLogger {
  const open = new Set<string>();
  return {
    warn(kind, message) {
      if (open.has(kind)) log.debug(message);
      else log.warn(message);
      open.add(kind);
    },
    clear(kind) {
      return open.delete(kind);
    },
  };
}
