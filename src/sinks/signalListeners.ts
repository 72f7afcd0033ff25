/**
 * Counts the listeners of a signal in this process that really handle it, leaving out signal-exit's.
 *
 * signal-exit (pulled in by write-file-atomic and many other packages; every supported OpenClaw
 * host ships it) adds a listener to SIGHUP, SIGUSR2 and most other fatal signals while its user
 * has work in flight. That listener does not handle the signal: when it finds
 * that only signal-exit listeners are left, it removes itself and sends the signal again, which
 * kills the process. So "process.listenerCount('SIGHUP') > 0" proves nothing.
 *
 * Two independent ways to recognise them; the larger count wins (the safe side is "not handled"):
 * - signal-exit's own bookkeeping: v4 keeps a shared emitter at
 *   `globalThis[Symbol.for('signal-exit emitter')]` and v3 at `process.__signal_exit_emitter__`;
 *   their `count` is the number of loaded instances, each holding one listener per hooked signal.
 * - the listener's source: both versions' listener reads `process.listeners(sig)`, compares its
 *   length with `count` and then calls `process.kill(process.pid, sig)`. Property names survive
 *   bundling and minification, so the shape is matched on them.
 */

/** The signals signal-exit v3 and v4 hook on Linux (their `signals` list; SIGUSR1 is not in it). */
const HOOKED_BY_SIGNAL_EXIT: ReadonlySet<string> = new Set([
  'SIGABRT', 'SIGALRM', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGUSR2',
  'SIGTRAP', 'SIGSYS', 'SIGQUIT', 'SIGIOT', 'SIGIO', 'SIGPOLL', 'SIGPWR', 'SIGSTKFLT', 'SIGUNUSED',
]);

const V4_EMITTER = Symbol.for('signal-exit emitter');

/** Listeners of `signal` on this process that are not signal-exit's. */
export function realListenerCount(signal: NodeJS.Signals, listeners: readonly Function[] = process.listeners(signal)): number {
  const bySource = listeners.filter(looksLikeSignalExit).length;
  const byCount = HOOKED_BY_SIGNAL_EXIT.has(signal) ? loadedSignalExits() : 0;
  return Math.max(0, listeners.length - Math.max(bySource, byCount));
}

/** Whether a listener has signal-exit's shape: count the process's listeners, then re-raise on itself. */
export function looksLikeSignalExit(listener: Function): boolean {
  let source: string;
  try {
    source = Function.prototype.toString.call(listener);
  } catch {
    return false;
  }
  if (source.includes('If there are no other listeners, an exit is coming')) return true;
  return /\.listeners\(/.test(source) && /\bcount\b/.test(source) && /\.kill\(/.test(source) && /\.pid\b/.test(source);
}

/** How many signal-exit instances (v3 and v4, any copies) have their listeners loaded now. */
export function loadedSignalExits(): number {
  const v4 = (globalThis as Record<symbol, unknown>)[V4_EMITTER];
  const v3 = (process as unknown as Record<string, unknown>).__signal_exit_emitter__;
  return countOf(v4) + countOf(v3);
}

function countOf(emitter: unknown): number {
  if (typeof emitter !== 'object' || emitter === null) return 0;
  const count = (emitter as { count?: unknown }).count;
  return typeof count === 'number' && Number.isFinite(count) && count > 0 ? count : 0;
}
