import { Observable } from 'rxjs';
import { summarizeChanges } from '../domain/changeSummary.js';
import { diffJson, parseJsonOrUndefined } from '../domain/diff.js';
import type { WriteOutcome } from '../domain/types.js';
import { makeOnceLogger } from '../logOnce.js';
import type { Logger } from '../logger.js';
import type { FileSink } from './file.js';

/** What one write did. */
export interface WriteReport {
  outcome: WriteOutcome;
  /** The text the write replaced (undefined: there was no readable file), when it wrote. */
  replaced: string | undefined;
  /** The write replaced bytes this process had not written: another writer's change was undone. */
  repaired: boolean;
}

/** The writer's side of the output file: what the flow's write stage and the drift source need. */
export interface WriterSink {
  readonly path: string;
  /** The file's text now, or undefined when it does not exist (or cannot be read). */
  readCurrent(): string | undefined;
  /** True for the text this process last wrote (or found equal on disk) and for the one it is writing: not drift. */
  isOwn(text: string | undefined): boolean;
  /**
   * Writes `text` when subscribed, after every write this sink started before has settled (also one
   * started by a flow that has since been restarted), then emits what it did and completes, or errors.
   * Unsubscribed before its turn, it writes nothing.
   */
  write$(text: string): Observable<WriteReport>;
  /** Told of each drift by the repair throttle: how many repairs in a row were undone at once (1: none), and the wait now. */
  repairStreak(streak: number, delayMs: number): void;
}

/** Options of {@link makeWriterSink}. */
export interface WriterSinkOptions {
  /** Where the repair lines go; must not throw. */
  log: Required<Logger>;
  /** The clock of the once-a-minute repair warning, in ms. Defaults to Date.now. */
  now?: () => number;
}

/** A repair warning at most this often; the others are info lines. Defaults to 60000 ms. */
export const REPAIR_WARNING_INTERVAL_MS = 60_000;

/**
 * The bookkeeping around the output file that outlives a restart of the flow: which text is ours
 * (so our own writes are not drift), the order of writes (a write in flight cannot be cut short, so
 * a restarted flow waits for it: a stale write never lands after a newer one), the text each write
 * replaced (for the change summary), and whether it undid another writer's change — said as a
 * warning at most once a minute, and only at debug level while that writer keeps undoing every repair
 * (the throttle's streak, warned once per episode).
 */
export function makeWriterSink(file: FileSink, options: WriterSinkOptions): WriterSink {
  const { log } = options;
  const now = options.now ?? Date.now;
  const once = makeOnceLogger(log);
  /** The text this process last wrote (or found equal on disk) and the one it is writing. */
  const own: { written: string | undefined; writing: string | undefined } = { written: file.readCurrent(), writing: undefined };
  /** Settles when the last write started here has. */
  let lastWrite: Promise<unknown> = Promise.resolve();
  /** Drift repairs in a row that the other writer undid at once (1: none). */
  let streak = 1;
  let lastWarning = Number.NEGATIVE_INFINITY;

  const repaired = (ours: string | undefined, theirs: string | undefined) => {
    const what = theirs === undefined ? 'deleted it' : summarizeChanges(diffJson(parseJsonOrUndefined(ours), parseJsonOrUndefined(theirs)));
    // While a fight goes on it was said once already (repairStreak); otherwise one warning a minute.
    const warn = streak === 1 && now() - lastWarning >= REPAIR_WARNING_INTERVAL_MS;
    if (warn) lastWarning = now();
    const level = streak > 1 ? log.debug : warn ? log.warn : log.info;
    level(`${file.path} was changed by another writer (${what}); restored what the database renders`);
  };

  const write = async (text: string): Promise<WriteReport> => {
    own.writing = text;
    const ours = own.written;
    const before = file.readCurrent();
    try {
      const outcome = await file.write(text, { text: before });
      own.written = text;
      if (outcome !== 'written') return { outcome, replaced: undefined, repaired: false };
      const repair = before !== ours;
      if (repair) repaired(ours, before);
      return { outcome, replaced: before, repaired: repair };
    } finally {
      own.writing = undefined;
    }
  };

  return {
    path: file.path,
    readCurrent: () => file.readCurrent(),
    isOwn: (text) => text === own.written || (own.writing !== undefined && text === own.writing),
    write$: (text) =>
      new Observable<WriteReport>((subscriber) => {
        const run = lastWrite.then(() => (subscriber.closed ? { outcome: 'unchanged' as const, replaced: undefined, repaired: false } : write(text)));
        lastWrite = run.catch(() => undefined);
        run.then(
          (report) => {
            subscriber.next(report);
            subscriber.complete();
          },
          (error: unknown) => subscriber.error(error),
        );
      }),
    repairStreak(next, delayMs) {
      streak = next;
      if (next === 1) once.clear('fight');
      else
        once.warn(
          'fight',
          `another writer keeps rewriting ${file.path} right after each repair (a second agent-config-sync with other settings?); repairs now wait ${delayMs / 1000} s, doubling up to 60 s`,
        );
    },
  };
}
