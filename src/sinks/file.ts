import fs from 'node:fs';
import path from 'node:path';
import { checkBeforeWrite, writeTarget, type FileIdentity } from './outputGuard.js';
import { isStagingSuffix, replaceThroughStaging, STAGING_INFIX } from './stagedWrite.js';
import type { WriteOutcome } from '../domain/types.js';

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

/** Options of {@link makeFileSink}. */
export interface FileSinkOptions extends StaleTempOptions {
  /** The host's openclaw.json, which no write may replace (whatever the output path leads to by then). */
  configPath?: string;
  /** How refusals name the output setting. Defaults to `outputPath`. */
  label?: string;
}

/**
 * Makes the sink for `file`. A write never goes through a name another user could have chosen or
 * planted: before each write the output-path rules are applied again (the path still leads where it
 * led when the sink was made, it is not openclaw.json nor another tool's file, and no other user
 * owns or can write its directory or link); then the text goes to a staging file of ours, created
 * exclusively under an unpredictable name, written, fsynced and given the target's mode and owner
 * through its own descriptor, renamed over the target, and the directory is fsynced so the rename
 * survives a crash. A symlinked path is followed: the link stays, its target is replaced. A
 * dangling symlink is refused (never replaced by a regular file).
 */
export function makeFileSink(file: string, options: FileSinkOptions = {}): FileSink {
  const target = path.resolve(file);
  const readCurrent = (): string | undefined => {
    try {
      return fs.readFileSync(target, 'utf8');
    } catch {
      return undefined;
    }
  };
  // Where the path led when the sink was made: a symlink that appears later is not followed.
  const startTarget = writeTargetOrUndefined(target);
  const rules = { configPath: options.configPath, label: options.label };
  /** The file this sink last wrote: an agents file by construction, so finding it again needs no parse. */
  let written: FileIdentity | undefined;
  return {
    path: target,
    readCurrent,
    async write(text, current) {
      if ((current ? current.text : readCurrent()) === text) return 'unchanged';
      const real = checkBeforeWrite(target, startTarget, { ...rules, ownFile: written });
      const existing = statOrUndefined(real);
      written = await replaceThroughStaging(
        real,
        text,
        existing ? { mode: existing.mode & 0o7777, owner: { uid: existing.uid, gid: existing.gid } } : { mode: NEW_FILE_MODE },
      );
      return 'written';
    },
    removeStaleTemps() {
      return removeStaleTemps(target, options);
    },
  };
}

/**
 * True when `candidate` is a temp name this tool produces for `file`: the staging file
 * `.<name>.acs-staging-<32 hex digits>`, or one left by an older version of this tool
 * (`.<name>.acs-staging-<pid>-<n>`, or write-file-atomic's temp of it, `<staging>.<number>`). An
 * operator's `agents.json.20261124` or `agents.json.bak` never matches.
 */
export function isTempNameOf(file: string, candidate: string): boolean {
  const prefix = `.${path.basename(file)}${STAGING_INFIX}`;
  if (!candidate.startsWith(prefix)) return false;
  const rest = candidate.slice(prefix.length);
  return isStagingSuffix(rest) || /^\d+-\d+(\.\d{1,10})?$/.test(rest);
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
  return writeTargetOrUndefined(file) ?? file;
}

function writeTargetOrUndefined(file: string): string | undefined {
  try {
    return writeTarget(file);
  } catch {
    return undefined;
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
