import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { WriteOutcome } from '../operators/writeLatest.js';

/** Mode of a file this sink creates; an existing file keeps its own. */
export const NEW_FILE_MODE = 0o644;

/** The output file: read, atomic replace, leftover clean-up. */
export interface FileSink {
  readonly path: string;
  /** The file's text, or undefined when it does not exist (or cannot be read). */
  readCurrent(): string | undefined;
  /** Replaces the file atomically unless it already holds `text`. */
  write(text: string): Promise<WriteOutcome>;
  /** Removes temp files a killed writer left beside the file; returns their names. */
  removeStaleTemps(): string[];
}

/**
 * Makes the sink for `file`. A write goes to a temp file in the same directory, is fsynced and
 * renamed over the file (write-file-atomic), then the directory is fsynced so the rename survives a
 * crash. A symlinked path is followed: the link stays, its target is replaced.
 */
export function makeFileSink(file: string): FileSink {
  const target = path.resolve(file);
  const readCurrent = (): string | undefined => {
    try {
      return fs.readFileSync(target, 'utf8');
    } catch {
      return undefined;
    }
  };
  return {
    path: target,
    readCurrent,
    async write(text) {
      if (readCurrent() === text) return 'unchanged';
      const exists = fs.existsSync(target);
      // write-file-atomic copies mode and owner from an existing file; a new one gets 0644.
      await writeFileAtomic(target, text, exists ? { fsync: true } : { fsync: true, mode: NEW_FILE_MODE });
      fsyncDirectory(path.dirname(fs.realpathSync(target)));
      return 'written';
    },
    removeStaleTemps() {
      return removeStaleTemps(target);
    },
  };
}

/** Temp names write-file-atomic uses: `<file>.<unsigned 32-bit number>`. */
export function isTempNameOf(file: string, candidate: string): boolean {
  const base = path.basename(file);
  return candidate.startsWith(`${base}.`) && /^\d{1,10}$/.test(candidate.slice(base.length + 1));
}

/** Deletes the temp files beside `file` (left by a writer killed mid-write). */
export function removeStaleTemps(file: string): string[] {
  const { dir, names } = listStaleTemps(file);
  for (const name of names) fs.rmSync(path.join(dir, name), { force: true });
  return names;
}

/** Finds, without touching them, the temp files beside `file` (for doctor). */
export function listStaleTemps(file: string): { dir: string; names: string[] } {
  let real = file;
  try {
    real = fs.realpathSync(file);
  } catch {
    // A file that does not exist yet has no real path; its temp files sit beside the given path.
  }
  const dir = path.dirname(real);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return { dir, names: [] };
  }
  return { dir, names: names.filter((name) => isTempNameOf(real, name)).sort() };
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself already happened.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
