import fs from 'node:fs';
import path from 'node:path';

/**
 * What /proc says about another process (Linux). Every reader returns undefined when the process is
 * gone or the file cannot be read; none of them throws.
 */

/** `/proc/<pid>/status`, which holds the caught-signal mask (`SigCgt`). */
export function readProcStatus(pid: number): string | undefined {
  return readText(`/proc/${pid}/status`);
}

/**
 * The start time of a process: field 22 of `/proc/<pid>/stat`, in clock ticks since boot. A pid
 * number is reused after its process exits; the pair (pid, start time) is not.
 */
export function readStartTime(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat === undefined ? undefined : startTimeOf(stat);
}

/**
 * Field 22 of a `/proc/<pid>/stat` line. Field 2 (the name, in parentheses) may itself hold spaces
 * and parentheses, so fields are counted from the last `)`: the text after it starts at field 3.
 */
export function startTimeOf(stat: string): string | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
  const value = fields[22 - 3];
  return value !== undefined && /^\d+$/.test(value) ? value : undefined;
}

/** The executable a process runs, as the kernel knows it (not its name, title or command line). */
export interface Executable {
  /** The real path of `/proc/<pid>/exe` (without the kernel's " (deleted)" suffix). */
  path: string;
  /** The very file this process (a Node process) runs, compared by device and inode. */
  sameAsThisNode: boolean;
}

/**
 * Reads `/proc/<pid>/exe`. A process can rewrite its name (`process.title` sets both `Name` in
 * /proc/<pid>/status and its command line), but not the executable the kernel started.
 */
export function readExecutable(pid: number): Executable | undefined {
  let target: string;
  try {
    target = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
  let sameAsThisNode = false;
  try {
    const theirs = fs.statSync(`/proc/${pid}/exe`);
    const ours = fs.statSync(process.execPath);
    sameAsThisNode = theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    // A deleted or unreadable executable: only its path is left to judge by.
  }
  return { path: target, sameAsThisNode };
}

/** Basenames of the executables that are Node: node, nodejs, node20, node-24, openclaw … */
const NODE_BASENAME = /^(node|nodejs|openclaw)([-_.]?v?\d[\w.-]*)?$/i;

/** Whether an executable is a Node runtime (which always catches SIGUSR1 for its inspector). */
export function isNodeExecutable(executable: Executable): boolean {
  return executable.sameAsThisNode || NODE_BASENAME.test(path.basename(executable.path));
}

/**
 * Processes of a process group that are still running, from /proc (zombies, which only wait for a
 * reaper, do not count); undefined where /proc cannot be listed.
 */
export function liveGroupMembers(group: number): number[] | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  const members: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (stat === undefined) continue;
    // After the name: field 3 state, 4 parent, 5 process group.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\s+/);
    if (Number(pgrp) === group && state !== 'Z' && state !== 'X') members.push(Number(entry));
  }
  return members;
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
