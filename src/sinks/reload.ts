import fs from 'node:fs';
import type { ReloadAction } from '../domain/hostProfile.js';
import { makeCommandRunner } from './command.js';
import { makePidFileTracker } from './pidFile.js';
import { isNodeExecutable, readExecutable, readProcStatus, readStartTime, type Executable } from './processInfo.js';
import { realListenerCount } from './signalListeners.js';

/** The edges a reload touches, injectable so tests can watch them. */
export interface ReloadEdges {
  /** Listeners of a signal in this process that really handle it. Defaults to `realListenerCount` (not signal-exit's). */
  listenerCount?: (signal: NodeJS.Signals) => number;
  /** Defaults to `process.kill`. */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  /** Defaults to `process.pid`. */
  ownPid?: number;
  /** The sync's user, who (with root) alone may own or write a pid file and its directory. Defaults to the effective uid. */
  ownUid?: number;
  /** Reads `/proc/<pid>/status` (Linux). */
  readProcStatus?: (pid: number) => string | undefined;
  /** Reads the start time of a process (field 22 of `/proc/<pid>/stat`). */
  readStartTime?: (pid: number) => string | undefined;
  /** Reads the executable of a process (`/proc/<pid>/exe`). */
  readExecutable?: (pid: number) => Executable | undefined;
  /** Time between SIGTERM and SIGKILL when an `exec` command is stopped. Defaults to 2000 ms. */
  killGraceMs?: number;
}

/** Where a reload goes. */
export interface ReloadTarget {
  /** openclaw.json, for `touch`. */
  touchFile?: string;
  /** Process to signal; defaults to this process (the gateway, when running as a plugin). */
  pid?: number;
  /**
   * A file holding the id of the process to signal (CLI `--reload-pid-file`); read again before every
   * signal, trusted only while no other user can write it or its directory, and a new pid in it is
   * followed only when it runs the executable the first one ran.
   */
  pidFile?: string;
  /** Signal another Node process (its executable is node) at all: off by default, see `foreignRefusal`. */
  signalNodeProcess?: boolean;
  /** Shell command to run after each write (CLI `--exec`). */
  exec?: string;
  /** Longest the `exec` command may run. Defaults to 30000 ms. */
  execTimeoutMs?: number;
}

/**
 * The reload side effect: call it after each write. Still a plain `() => Promise<void>`; `dispose()`
 * stops a running `exec` command (its whole process group) and makes later calls do nothing.
 */
export type Reloader = (() => Promise<void>) & { dispose(): Promise<void> };

type Log = { info(message: string): void; warn(message: string): void };

/**
 * Builds the reload side effect for one decided action. Never sends a signal that nothing handles:
 * in Node, SIGUSR1 without a listener opens the inspector, SIGUSR2/SIGHUP without one kill the
 * process. For this process that is a listener other than signal-exit's. Another process is
 * identified by its executable and start time, never by its name: SIGUSR1 never goes to another
 * process, another Node process is signalled only with `signalNodeProcess`, and any other process
 * only when its caught-signal mask has the signal.
 */
export function makeReloader(action: ReloadAction, target: ReloadTarget, log: Log, edges: ReloadEdges = {}): Reloader {
  if (target.exec !== undefined) {
    const command = target.exec;
    const runner = makeCommandRunner({ timeoutMs: target.execTimeoutMs, graceMs: edges.killGraceMs });
    return Object.assign(() => runner.run(command), { dispose: () => runner.dispose() });
  }
  const done = async () => undefined;
  switch (action.kind) {
    case 'none':
      return Object.assign(async () => undefined, { dispose: done });
    case 'touch': {
      const file = target.touchFile;
      if (file === undefined) throw new Error('reload "touch" needs the path of openclaw.json.');
      return Object.assign(
        async () => {
          touchMtime(file);
          log.info(`reload: touched ${file} (mtime only) so the host re-reads its includes`);
        },
        { dispose: done },
      );
    }
    case 'signal':
      return makeSignaller(action.signal, target, log, edges);
  }
}

function makeSignaller(signal: NodeJS.Signals, target: ReloadTarget, log: Log, edges: ReloadEdges): Reloader {
  const listenerCount = edges.listenerCount ?? ((s: NodeJS.Signals) => realListenerCount(s));
  const kill = edges.kill ?? ((pid: number, s: NodeJS.Signals) => process.kill(pid, s));
  const ownPid = edges.ownPid ?? process.pid;
  const proc = {
    status: edges.readProcStatus ?? readProcStatus,
    startTime: edges.readStartTime ?? readStartTime,
    executable: edges.readExecutable ?? readExecutable,
  };
  const locate =
    target.pidFile === undefined
      ? () => ({ pid: target.pid ?? ownPid })
      : makePidFileTracker(target.pidFile, { startTime: proc.startTime, executable: (pid) => proc.executable(pid)?.path }, log, { ownPid, ownUid: edges.ownUid });
  let disposed = false;

  const reloader = async () => {
    if (disposed) return;
    const located = locate();
    if ('refusal' in located) {
      log.warn(`reload signal ${signal} not sent: ${located.refusal}`);
      return;
    }
    const { pid } = located;
    // kill(0) and kill(-1) reach whole groups, kill(1) init: no reload means any of them.
    if (pid <= 1) {
      log.warn(`reload signal ${signal} not sent: pid ${pid} is never signalled`);
      return;
    }
    const refusal = pid === ownPid ? ownRefusal(signal, listenerCount) : foreignRefusal(pid, signal, target.signalNodeProcess === true, proc);
    if (refusal) {
      log.warn(`reload signal ${signal} not sent to pid ${pid}: ${refusal}`);
      return;
    }
    kill(pid, signal);
    log.info(`reload: sent ${signal} to pid ${pid}`);
  };
  return Object.assign(reloader, {
    dispose: async () => {
      disposed = true;
    },
  });
}

function ownRefusal(signal: NodeJS.Signals, listenerCount: (signal: NodeJS.Signals) => number): string | undefined {
  return listenerCount(signal) > 0 ? undefined : `nothing in this process listens for ${signal}`;
}

/** Signal numbers on Linux x86-64/arm64 for the signals a reload may use. */
const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGUSR1: 10, SIGUSR2: 12 };

/**
 * Why not to signal another process, or undefined. Its name, title and command line are its own to
 * rewrite, so only the kernel's view counts: the executable (`/proc/<pid>/exe`) and the caught-signal
 * mask. In a Node process the mask proves nothing: Node always catches SIGUSR1 (inspector), and
 * signal-exit's re-raising listener sets the bit of SIGHUP and SIGUSR2 just like a real handler.
 */
function foreignRefusal(
  pid: number,
  signal: NodeJS.Signals,
  signalNodeProcess: boolean,
  proc: { status(pid: number): string | undefined; executable(pid: number): Executable | undefined },
): string | undefined {
  if (signal === 'SIGUSR1') return 'SIGUSR1 is never sent to another process (a Node process opens its inspector on it, whatever its name)';
  const number = SIGNAL_NUMBERS[signal];
  if (number === undefined) return `only ${Object.keys(SIGNAL_NUMBERS).join(', ')} are supported`;
  const status = proc.status(pid);
  if (status === undefined) return 'the process does not exist or /proc is not readable';
  const executable = proc.executable(pid);
  if (executable === undefined) return `cannot read /proc/${pid}/exe to tell whether it is a Node process`;
  if (isNodeExecutable(executable) && !signalNodeProcess) {
    return (
      `it is a Node process (${executable.path}), where a handler cannot be told apart from signal-exit's ` +
      `listener that re-raises ${signal} and kills it; pass --signal-node-process if it really handles ${signal}`
    );
  }
  const caught = /^SigCgt:\s*([0-9a-f]+)$/im.exec(status)?.[1];
  if (caught === undefined) return 'cannot read which signals the process catches';
  if (((BigInt(`0x${caught}`) >> BigInt(number - 1)) & 1n) === 0n) return `the process does not handle ${signal}`;
  return undefined;
}

/** Sets the mtime to now and keeps the atime and the content: the file is never rewritten. */
export function touchMtime(file: string): void {
  const { atime } = fs.statSync(file);
  fs.utimesSync(file, atime, new Date());
}
