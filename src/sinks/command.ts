import { spawn, type ChildProcess } from 'node:child_process';
import { liveGroupMembers } from './processInfo.js';

/** Runs reload commands (CLI `--exec`), each bounded in time, and stops them all on dispose. */
export interface CommandRunner {
  /** Runs `command` with the shell; resolves on exit code 0, rejects otherwise or on timeout. */
  run(command: string): Promise<void>;
  /** Stops every running command (its whole process group) and refuses new ones; safe to call twice. */
  dispose(): Promise<void>;
}

export interface CommandOptions {
  /** Longest a command may run before its process group is stopped. Defaults to 30000 ms. */
  timeoutMs?: number;
  /** Time between SIGTERM and SIGKILL when a process group is stopped. Defaults to 2000 ms. */
  graceMs?: number;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
export const DEFAULT_KILL_GRACE_MS = 2_000;

/** How often a stopping process group is checked for being empty, in ms. */
const POLL_MS = 25;

/**
 * Each command runs in a process group of its own (`detached`: a new session), so a stop reaches
 * everything it started — `sh -c "a | b"`, a script's background children — and not this process.
 * Stopping a group: SIGTERM to the group, then SIGKILL when anything of it is left after the grace.
 */
export function makeCommandRunner(options: CommandOptions = {}): CommandRunner {
  const timeoutMs = options.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
  const graceMs = options.graceMs ?? DEFAULT_KILL_GRACE_MS;
  const running = new Map<ChildProcess, () => Promise<void>>();
  let disposed: Promise<void> | undefined;

  function run(command: string): Promise<void> {
    if (disposed) return Promise.reject(new Error(`reload command not run, the sync is stopping: ${command}`));
    return new Promise((resolve, reject) => {
      const child = spawn(command, { shell: true, stdio: 'inherit', detached: true });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      let stopping: Promise<void> | undefined;
      let reason: string | undefined;
      const stop = (why: string) => {
        reason ??= why;
        stopping ??= stopGroup(child, exited, graceMs);
        return stopping;
      };
      const timer = setTimeout(() => void stop(`timed out after ${timeoutMs} ms; its process group was stopped`), timeoutMs);
      running.set(child, () => stop('stopped because the sync is stopping'));
      const settle = (error?: Error) => {
        clearTimeout(timer);
        running.delete(child);
        if (error) reject(error);
        else resolve();
      };
      child.once('error', (error) => settle(error));
      child.once('exit', (code, signal) => {
        // A stopped command settles only when its whole group is gone, so the next reload never overlaps it.
        if (reason !== undefined) void stop(reason).then(() => settle(new Error(`reload command ${reason}: ${command}`)));
        else if (code === 0) settle();
        else settle(new Error(`reload command exited with ${signal ?? `code ${String(code)}`}: ${command}`));
      });
    });
  }

  return {
    run,
    dispose() {
      disposed ??= Promise.all([...running.values()].map((stop) => stop())).then(() => undefined);
      return disposed;
    },
  };
}

/** Longest to wait for a killed group to be gone, in ms. */
const REAP_WAIT_MS = 1_000;

/**
 * SIGTERM to the group, SIGKILL after the grace if any member still runs; resolves when the leader
 * has exited and no member runs any more.
 */
async function stopGroup(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  const group = child.pid;
  if (group === undefined) return;
  signalGroup(group, 'SIGTERM');
  await whileGroupRuns(group, graceMs);
  if (groupRuns(group)) {
    signalGroup(group, 'SIGKILL');
    await whileGroupRuns(group, REAP_WAIT_MS);
  }
  await exited;
}

async function whileGroupRuns(group: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (groupRuns(group) && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Whether any member of the group still runs. /proc tells zombies apart (an init that reaps slowly
 * keeps them for a second or more); elsewhere any member, zombie or not, counts.
 */
function groupRuns(group: number): boolean {
  const live = liveGroupMembers(group);
  if (live !== undefined) return live.length > 0;
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
