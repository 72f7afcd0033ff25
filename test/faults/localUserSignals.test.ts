import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reloadFromFlags } from '../../src/cli/sync.js';
import { makeReloader } from '../../src/sinks/reload.js';
import { waitFor } from '../support/pipelineHarness.js';

// A local user of the host must not be able to choose whom the root sync signals. The decoys are
// real processes of the real OS user `nobody` that would log a SIGHUP; the sync runs as root.

const NOBODY = { uid: Number(execFileSync('id', ['-u', 'nobody']).toString()), gid: Number(execFileSync('id', ['-g', 'nobody']).toString()) };
const SIGHUP = { kind: 'signal', signal: 'SIGHUP', why: '--reload-signal SIGHUP' } as const;

/**
 * Programs that report each SIGHUP and SIGUSR2 they catch on stdout, pending ones in signal-number
 * order. dash's `wait` on a background sleep is cut short by a trapped signal, so it reports at once
 * (bash is not used: it can drop a trap when two signals arrive together).
 */
const PROGRAMS = {
  dash: ['/usr/bin/dash', ['-c', `trap 'echo HUP' HUP; trap 'echo USR2' USR2; echo ready; while :; do sleep 5 & wait $!; done`]],
  python: [
    '/usr/bin/python3',
    [
      '-c',
      "import signal, time\nfor s, n in ((signal.SIGHUP, 'HUP'), (signal.SIGUSR2, 'USR2')):\n  signal.signal(s, lambda *_, n=n: print(n, flush=True))\nprint('ready', flush=True)\nwhile True: time.sleep(60)",
    ],
  ],
} as const;

interface Target {
  pid: number;
  lines: string[];
  /** Resolves once every signal sent before this call has been reported (see the doc comment of `settled`). */
  settled(): Promise<void>;
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts one of the programs as root or as nobody and waits until its handlers are set. */
async function startTarget(program: keyof typeof PROGRAMS, asNobody: boolean): Promise<Target> {
  const [command, args] = PROGRAMS[program];
  const child = spawn(command, [...args], { cwd: '/', stdio: ['ignore', 'pipe', 'inherit'], ...(asNobody ? NOBODY : {}) });
  children.push(child);
  const lines: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    lines.push(...complete);
  });
  await waitFor(`${program} to set its handlers`, () => lines.includes('ready'));
  let probes = 0;
  return {
    pid: child.pid!,
    lines,
    /**
     * Sends SIGUSR2 and waits for its report. A SIGHUP sent before it is reported first: pending
     * signals are delivered lowest number first (SIGHUP is 1, SIGUSR2 12) and both programs run
     * their pending handlers in signal order, so no report of a SIGHUP can still be on its way after this.
     */
    async settled() {
      probes += 1;
      process.kill(child.pid!, 'SIGUSR2');
      await waitFor('the probe signal to be reported', () => lines.filter((l) => l === 'USR2').length === probes);
    },
  };
}

/** A directory for the pid file: root's own 0755 unless told otherwise. */
function pidDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-pid-owner-'));
  fs.chmodSync(dir, 0o755);
  dirs.push(dir);
  return dir;
}

function capture() {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, log: { info: (m: string) => void infos.push(m), warn: (m: string) => void warnings.push(m) } };
}

describe('a pid file another user controls', () => {
  it('can refuse a pid file owned by nobody: no signal reaches the process it names, and the CLI does not start', async () => {
    const decoy = await startTarget('dash', true);
    const file = path.join(pidDir(), 'gateway.pid');
    fs.writeFileSync(file, `${decoy.pid}\n`);
    fs.chownSync(file, NOBODY.uid, NOBODY.gid);

    const { warnings, log } = capture();
    const reloader = makeReloader(SIGHUP, { pidFile: file }, log);
    await reloader();
    await decoy.settled();
    expect(decoy.lines).not.toContain('HUP');
    expect(warnings.at(-1)).toContain(`reload signal SIGHUP not sent: the pid file ${file} is owned by another user`);
    expect(warnings.at(-1)).toContain(`chown root ${file}`);
    expect(() => reloadFromFlags({ 'reload-pid-file': file })).toThrow(`--reload-pid-file: the pid file ${file} is owned by another user (owner uid ${NOBODY.uid}, mode 0644)`);
  });

  it('can refuse a root-owned pid file in a directory nobody can write: no signal reaches the process it names', async () => {
    const decoy = await startTarget('dash', true);
    const dir = pidDir();
    fs.chownSync(dir, NOBODY.uid, NOBODY.gid);
    const file = path.join(dir, 'gateway.pid');
    fs.writeFileSync(file, `${decoy.pid}\n`);

    const { warnings, log } = capture();
    const reloader = makeReloader(SIGHUP, { pidFile: file }, log);
    await reloader();
    await decoy.settled();
    expect(decoy.lines).not.toContain('HUP');
    expect(warnings.at(-1)).toContain(`the pid file's directory ${dir} is owned by another user`);
    expect(() => reloadFromFlags({ 'reload-pid-file': file })).toThrow(`--reload-pid-file: the pid file's directory ${dir} is owned by another user`);
  });

  it('can follow its target but not adopt a new pid that runs another executable', async () => {
    const target = await startTarget('dash', false);
    const decoy = await startTarget('python', true);
    const file = path.join(pidDir(), 'gateway.pid');
    fs.writeFileSync(file, `${target.pid}\n`);
    const { warnings, log } = capture();
    const reloader = makeReloader(SIGHUP, { pidFile: file }, log);

    await reloader();
    await target.settled();
    expect(warnings).toEqual([]);
    expect(target.lines.filter((l) => l === 'HUP')).toHaveLength(1);

    // The file now names a process of nobody's (say the target's restart script runs as nobody).
    fs.writeFileSync(file, `${decoy.pid}\n`);
    await reloader();
    await decoy.settled();
    expect(decoy.lines).not.toContain('HUP');
    expect(warnings.at(-1)).toContain(`${file} now names pid ${decoy.pid}, which runs ${fs.realpathSync(`/proc/${decoy.pid}/exe`)}, not /usr/bin/dash as the process it named first: not adopted`);

    // The target itself, named again, is still signalled.
    fs.writeFileSync(file, `${target.pid}\n`);
    await reloader();
    await target.settled();
    expect(target.lines.filter((l) => l === 'HUP')).toHaveLength(2);
  });
});
