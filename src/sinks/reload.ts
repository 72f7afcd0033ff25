import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { ReloadAction } from '../domain/hostProfile.js';

/** The edges a reload touches, injectable so tests can watch them. */
export interface ReloadEdges {
  /** Defaults to `process.listenerCount`. */
  listenerCount?: (signal: NodeJS.Signals) => number;
  /** Defaults to `process.kill`. */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  /** Defaults to `process.pid`. */
  ownPid?: number;
  /** Reads `/proc/<pid>/status` (Linux). Defaults to fs.readFileSync. */
  readProcStatus?: (pid: number) => string | undefined;
}

/** Where a reload goes. */
export interface ReloadTarget {
  /** openclaw.json, for `touch`. */
  touchFile?: string;
  /** Process to signal; defaults to this process (the gateway, when running as a plugin). */
  pid?: number;
  /** Shell command to run after each write (CLI `--exec`). */
  exec?: string;
}

/**
 * Builds the reload side effect for one decided action. Never sends a signal that nothing handles:
 * in Node, SIGUSR1 without a listener opens the inspector, SIGUSR2/SIGHUP without one kill the
 * process. For this process that is `process.listenerCount(signal) > 0`; for another process the
 * kernel's caught-signal mask, and SIGUSR1 to another Node process is refused (Node always "catches"
 * it for the inspector, so the mask proves nothing).
 */
export function makeReloader(
  action: ReloadAction,
  target: ReloadTarget,
  log: { info(message: string): void; warn(message: string): void },
  edges: ReloadEdges = {},
): () => Promise<void> {
  const listenerCount = edges.listenerCount ?? ((signal: NodeJS.Signals) => process.listenerCount(signal));
  const kill = edges.kill ?? ((pid: number, signal: NodeJS.Signals) => process.kill(pid, signal));
  const ownPid = edges.ownPid ?? process.pid;
  const readStatus = edges.readProcStatus ?? readProcStatus;

  if (target.exec !== undefined) {
    const command = target.exec;
    return () => runCommand(command);
  }
  switch (action.kind) {
    case 'none':
      return async () => undefined;
    case 'touch': {
      const file = target.touchFile;
      if (file === undefined) throw new Error('reload "touch" needs the path of openclaw.json.');
      return async () => {
        touchMtime(file);
        log.info(`reload: touched ${file} (mtime only) so the host re-reads its includes`);
      };
    }
    case 'signal': {
      const pid = target.pid ?? ownPid;
      return async () => {
        const refusal = pid === ownPid ? ownRefusal(action.signal, listenerCount) : foreignRefusal(pid, action.signal, readStatus);
        if (refusal) {
          log.warn(`reload signal ${action.signal} not sent to pid ${pid}: ${refusal}`);
          return;
        }
        kill(pid, action.signal);
        log.info(`reload: sent ${action.signal} to pid ${pid}`);
      };
    }
  }
}

function ownRefusal(signal: NodeJS.Signals, listenerCount: (signal: NodeJS.Signals) => number): string | undefined {
  return listenerCount(signal) > 0 ? undefined : `nothing in this process listens for ${signal}`;
}

/** Signal numbers on Linux x86-64/arm64 for the signals a reload may use. */
const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGUSR1: 10, SIGUSR2: 12 };

function foreignRefusal(pid: number, signal: NodeJS.Signals, readStatus: (pid: number) => string | undefined): string | undefined {
  const status = readStatus(pid);
  if (status === undefined) return 'the process does not exist or /proc is not readable';
  const number = SIGNAL_NUMBERS[signal];
  if (number === undefined) return `only ${Object.keys(SIGNAL_NUMBERS).join(', ')} are supported`;
  const caught = /^SigCgt:\s*([0-9a-f]+)$/im.exec(status)?.[1];
  if (caught === undefined) return 'cannot read which signals the process catches';
  if (((BigInt(`0x${caught}`) >> BigInt(number - 1)) & 1n) === 0n) return `the process does not handle ${signal}`;
  const name = /^Name:\s*(.+)$/im.exec(status)?.[1]?.trim() ?? '';
  if (signal === 'SIGUSR1' && /^(node|openclaw)/i.test(name)) {
    return 'a Node process always catches SIGUSR1 for its inspector, so a handler cannot be proven';
  }
  return undefined;
}

function readProcStatus(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Sets the mtime to now and keeps the atime and the content: the file is never rewritten. */
export function touchMtime(file: string): void {
  const { atime } = fs.statSync(file);
  fs.utimesSync(file, atime, new Date());
}

function runCommand(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`reload command exited with ${signal ?? `code ${String(code)}`}`)),
    );
  });
}
