import fs from 'node:fs';
import path from 'node:path';
import { Observable } from 'rxjs';
import { realOrResolved } from '../sinks/outputGuard.js';

/** A change to the output file that this process did not make. */
export interface FileChange {
  /** The file's text now, or undefined when it was deleted (or cannot be read). */
  text: string | undefined;
}

/** Options of {@link makeFileChangeSource}. */
export interface FileChangeSourceOptions {
  /** True for a text this process wrote or is writing: its own writes are not drift. */
  isOwn: (text: string | undefined) => boolean;
  /** Told when the directory cannot be watched (the source then falls back to polling). */
  onWatchError?: (error: unknown) => void;
  /** Poll interval used in addition to fs.watch, in ms. Defaults to 1000 ms. */
  pollMs?: number;
}

/**
 * Watches the output file for other writers: a hand edit, `openclaw config set agents.…` writing
 * through into the include, a deletion, a rename over it. Emits when the file's text is not what
 * this process wrote and the file is not as it was when last reported (text and stat), so one change
 * by another writer is reported once, and the same edit made again after a repair is reported again.
 *
 * The directory is watched (a rename replaces the file's inode, so watching the file would go deaf
 * after the first atomic write), plus a cheap poll of the file's stat for file systems where
 * inotify says nothing (network mounts, some containers). Unsubscribing closes the watcher.
 */
export function makeFileChangeSource(file: string, options: FileChangeSourceOptions): Observable<FileChange> {
  return new Observable<FileChange>((subscriber) => {
    // What was last reported: its text and the file's stat then. The same text with a new stat is a
    // new change (the other writer wrote it again after a repair this source never got to see).
    let reported: { text: string | undefined; stat: string } | null = null;
    let lastStat = '';
    const check = () => {
      const stat = statKey(file);
      const text = readText(file);
      if (options.isOwn(text)) {
        reported = null;
        return;
      }
      if (reported !== null && reported.text === text && reported.stat === stat) return;
      reported = { text, stat };
      subscriber.next({ text });
    };
    // The file whose directory entry changes when it is replaced: the link's target when it is a link.
    const real = realOrResolved(file);
    const dir = path.dirname(real);
    const base = path.basename(real);
    let watcher: fs.FSWatcher | undefined;
    try {
      watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === base || name.toString() === base) check();
      });
      watcher.on('error', (error) => options.onWatchError?.(error));
    } catch (error) {
      options.onWatchError?.(error);
    }
    const poll = setInterval(() => {
      const stat = statKey(file);
      if (stat === lastStat) return;
      lastStat = stat;
      check();
    }, options.pollMs ?? 1_000);
    poll.unref?.();
    lastStat = statKey(file);
    return () => {
      watcher?.close();
      clearInterval(poll);
    };
  });
}


function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function statKey(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
