import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import type { WriteOutcome } from '../operators/writeLatest.js';

/** Mode of a file this sink creates; an existing file keeps its own. */
export const NEW_FILE_MODE = 0o644;

/** A temp file of ours younger than this may belong to a writer still running. Defaults to 60000 ms. */
export const STALE_TEMP_AGE_MS = 60_000;

/** The output file: read, atomic replace, leftover clean-up. */
export interface FileSink {
  readonly path: string;
  /** The file's text, or undefined when it does not exist (or cannot be read). */
  readCurrent(): string | undefined;
  /**
   * Replaces the file atomically unless it already holds `text`. `current` is the file's text when the
   * caller has just read it (so the file is not read twice); otherwise the sink reads it.
   */
  write(text: string, current?: { text: string | undefined }): Promise<WriteOutcome>;
  /** Removes temp files of ours a killed writer left beside the file (older than a minute); returns their names. */
  removeStaleTemps(): string[];
}

/** When a temp file counts as left behind. */
export interface StaleTempOptions {
  /** Minimum age (by mtime) of a temp file to remove, in ms. Defaults to 60000 ms. */
  minAgeMs?: number;
  /** The clock, in ms since the epoch. Defaults to Date.now. */
  now?: () => number;
}

/**
 * Makes the sink for `file`. A write never uses a name an operator could have chosen: the text goes
 * to a staging file of ours in the target's directory, `.<name>.acs-staging-<pid>-<n>`, written by
 * write-file-atomic (its own temp `<staging>.<number>`, fsync, rename) with the target's mode and
 * owner passed explicitly; the staging file is then renamed over the target and the directory is
 * fsynced so the rename survives a crash. A symlinked path is followed: the link stays, its target
 * is replaced. A dangling symlink is refused (never replaced by a regular file).
 */
export function makeFileSink(file: string, options: StaleTempOptions = {}): FileSink {
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
    async write(text, current) {
      if ((current ? current.text : readCurrent()) === text) return 'unchanged';
      const real = writeTarget(target);
      const existing = statOrUndefined(real);
      const staging = path.join(path.dirname(real), stagingName(path.basename(real)));
      try {
        // The staging name is new, so write-file-atomic has nothing to copy mode and owner from: pass the target's.
        await writeFileAtomic(
          staging,
          text,
          existing
            ? { fsync: true, mode: existing.mode & 0o7777, chown: { uid: existing.uid, gid: existing.gid } }
            : { fsync: true, mode: NEW_FILE_MODE },
        );
        await fs.promises.rename(staging, real);
      } catch (error) {
        fs.rmSync(staging, { force: true });
        throw error;
      }
      fsyncDirectory(path.dirname(real));
      return 'written';
    },
    removeStaleTemps() {
      return removeStaleTemps(target, options);
    },
  };
}

/** Message of a write refused because the output path is a symlink to nothing. */
export function danglingSymlinkMessage(file: string, linkTarget: string): string {
  return `${file} is a symlink to ${linkTarget}, which does not exist: refusing to replace the link with a regular file (create the target or remove the link)`;
}

/**
 * The path a write replaces: the real path of `file` (a symlink is followed), or, for a file that
 * does not exist yet, its name in the real directory. Throws for a dangling symlink.
 */
export function writeTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    // Not there (or a dangling link): decided below.
  }
  let link: string | undefined;
  try {
    if (fs.lstatSync(file).isSymbolicLink()) link = fs.readlinkSync(file);
  } catch {
    // Nothing at all at that path: a new file.
  }
  if (link !== undefined) throw new Error(danglingSymlinkMessage(file, link));
  let dir = path.dirname(file);
  try {
    dir = fs.realpathSync(dir);
  } catch {
    // The directory is missing too; the write will say so.
  }
  return path.join(dir, path.basename(file));
}

let staged = 0;

/** A staging name of this process for `base` (the target's file name). */
function stagingName(base: string): string {
  staged += 1;
  return `.${base}.acs-staging-${process.pid}-${staged}`;
}

/**
 * True when `candidate` is a temp name this tool produces for `file`: the staging file
 * `.<name>.acs-staging-<pid>-<n>` or write-file-atomic's temp of it, `<staging>.<number>`. An
 * operator's `agents.json.20261124` or `agents.json.bak` never matches.
 */
export function isTempNameOf(file: string, candidate: string): boolean {
  const prefix = `.${path.basename(file)}.acs-staging-`;
  return candidate.startsWith(prefix) && /^\d+-\d+(\.\d{1,10})?$/.test(candidate.slice(prefix.length));
}

/** Deletes the temp files of ours beside `file` that are older than a minute (left by a killed writer); returns their names. */
export function removeStaleTemps(file: string, options: StaleTempOptions = {}): string[] {
  const { dir, names } = listStaleTemps(file, options);
  const removed: string[] = [];
  for (const name of names) {
    try {
      fs.unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // Gone meanwhile (its writer finished) or not ours to remove: leave it.
    }
  }
  return removed;
}

/** Temp files of ours beside `file`, without touching them: `names` are stale, `fresh` may belong to a running writer. */
export function listStaleTemps(file: string, options: StaleTempOptions = {}): { dir: string; names: string[]; fresh: string[] } {
  const real = writeTargetOrPath(path.resolve(file));
  const dir = path.dirname(real);
  let all: string[];
  try {
    all = fs.readdirSync(dir);
  } catch {
    return { dir, names: [], fresh: [] };
  }
  const now = (options.now ?? Date.now)();
  const minAge = options.minAgeMs ?? STALE_TEMP_AGE_MS;
  const names: string[] = [];
  const fresh: string[] = [];
  for (const name of all.filter((n) => isTempNameOf(real, n)).sort()) {
    const stat = lstatOrUndefined(path.join(dir, name));
    if (!stat?.isFile()) continue;
    (now - stat.mtimeMs >= minAge ? names : fresh).push(name);
  }
  return { dir, names, fresh };
}

function writeTargetOrPath(file: string): string {
  try {
    return writeTarget(file);
  } catch {
    return file;
  }
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
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
