import fs from 'node:fs';
import path from 'node:path';
import { untrustedPath, type PathFacts } from '../domain/pathTrust.js';
import { factsOf } from './pathFacts.js';

/** Where the pid file points now: a pid to signal, or why not. */
export type Located = { pid: number } | { refusal: string };

/** What the tracker asks /proc about a process; each returns undefined when the process is gone. */
export interface ProcessLookup {
  /** Start time (field 22 of `/proc/<pid>/stat`). */
  startTime(pid: number): string | undefined;
  /** The real path of the executable (`/proc/<pid>/exe`). */
  executable(pid: number): string | undefined;
}

/** Who the tracker is, so it never names itself or a user it must not trust. */
export interface TrackerIdentity {
  /** This process: a pid file naming it is refused. Defaults to process.pid. */
  ownPid?: number;
  /** The sync's user; the pid file and its directory may belong only to it or root. Defaults to the effective uid. */
  ownUid?: number;
}

/**
 * Why another local user could choose the pid read from `file`, or undefined when no one but the
 * sync's user and root can: the file (and a symlink at its path) must be owned by one of them and
 * not writable by group or others, and so must the directory it is in (whoever can create names
 * there can replace the file). The fix is part of the text.
 */
export function pidFileRefusal(file: string, ownUid: number | undefined = process.geteuid?.()): string | undefined {
  if (ownUid === undefined) return undefined;
  const given = path.resolve(file);
  const facts: PathFacts[] = [];
  const push = (f: PathFacts | undefined) => f && !facts.some((g) => g.path === f.path) && facts.push(f);
  push(factsOf(realDir(given), "the pid file's directory"));
  const link = factsOf(given, 'the pid file');
  push(link);
  if (link?.kind === 'symlink') {
    try {
      const real = fs.realpathSync(given);
      push(factsOf(real, 'the pid file'));
      push(factsOf(path.dirname(real), "the pid file's directory"));
    } catch {
      // A dangling link: reading it fails and says so.
    }
  }
  for (const f of facts) {
    const untrusted = untrustedPath(f, ownUid);
    if (untrusted) return `${untrusted.why}; not trusting the pid it names (fix: ${untrusted.fix})`;
  }
  return undefined;
}

/**
 * Follows a pid file: read again before every signal. It is trusted only while no other user can
 * write it (see pidFileRefusal). A pid of 0 or 1, or this process's own, is never signalled. A new
 * pid in the file is the restarted target only when it runs the same executable as the process
 * the file named first (a restart starts the same program; a process of someone else's choosing
 * usually does not); the same pid with another start time is another process that got the number.
 */
export function makePidFileTracker(
  file: string,
  proc: ProcessLookup,
  log: { info(message: string): void; warn(message: string): void },
  identity: TrackerIdentity = {},
): () => Located {
  const ownPid = identity.ownPid ?? process.pid;
  const read = (): Located => {
    const untrusted = pidFileRefusal(file, identity.ownUid ?? process.geteuid?.());
    if (untrusted !== undefined) return { refusal: untrusted };
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8').trim();
    } catch (error) {
      return { refusal: `cannot read the pid file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
    }
    if (!/^\d+$/.test(text)) return { refusal: `the pid file ${file} does not hold a process id` };
    const pid = Number(text);
    if (pid <= 1) return { refusal: `the pid file ${file} names pid ${pid}, which is never signalled (${pid === 1 ? 'init' : 'every process of the group'})` };
    if (pid === ownPid) return { refusal: `the pid file ${file} names this process (pid ${pid}), which is never signalled through a pid file` };
    return { pid };
  };
  /** The executable of the first running process the file named: every later pid must run it too. */
  let executable: string | undefined;
  let known: { pid: number; startTime: string | undefined } | undefined;
  const first = read();
  if ('pid' in first) {
    known = { pid: first.pid, startTime: proc.startTime(first.pid) };
    executable = known.startTime === undefined ? undefined : proc.executable(first.pid);
    if (known.startTime === undefined) log.warn(`the pid file ${file} names pid ${first.pid}, which is not running`);
  } else {
    log.warn(`reload: ${first.refusal}`);
  }
  return () => {
    const now = read();
    if ('refusal' in now) return now;
    const startTime = proc.startTime(now.pid);
    if (startTime === undefined) return { refusal: `pid ${now.pid} (from ${file}) is not running` };
    if (known === undefined || known.pid !== now.pid) {
      const theirs = proc.executable(now.pid);
      if (theirs === undefined) return { refusal: `cannot read /proc/${now.pid}/exe to tell what pid ${now.pid} (from ${file}) runs` };
      if (executable !== undefined && theirs !== executable) {
        return {
          refusal:
            `${file} now names pid ${now.pid}, which runs ${theirs}, not ${executable} as the process it named first: ` +
            `not adopted (restart the sync if the target really changed program)`,
        };
      }
      if (known !== undefined) log.info(`reload: ${file} now names pid ${now.pid} (was ${known.pid}), running ${theirs}: following the restarted process`);
      executable = theirs;
      known = { pid: now.pid, startTime };
      return { pid: now.pid };
    }
    if (known.startTime !== startTime) {
      const was = known.startTime === undefined ? 'was not running when the file was read' : `started at tick ${known.startTime}`;
      return {
        refusal:
          `pid ${now.pid} (from ${file}) is another process now (it started at tick ${startTime}; the one the file named ${was}): ` +
          `the pid was reused; waiting for ${file} to name the restarted target`,
      };
    }
    executable ??= proc.executable(now.pid);
    return { pid: now.pid };
  };
}

function realDir(file: string): string {
  const dir = path.dirname(file);
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir;
  }
}
