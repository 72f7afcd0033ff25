import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, it, expect } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { ReloadAction } from '../../src/domain/hostProfile.js';
import { reload } from '../../src/operators/reload.js';
import { isNodeExecutable, startTimeOf, type Executable } from '../../src/sinks/processInfo.js';
import { makeReloader, type ReloadEdges } from '../../src/sinks/reload.js';
import { looksLikeSignalExit, realListenerCount } from '../../src/sinks/signalListeners.js';

/** The signal-exit that write-file-atomic loads, as packages of a host do (a dev dependency: our own writes no longer use it). */
const requireFromWriteFileAtomic = createRequire(createRequire(import.meta.url).resolve('write-file-atomic'));
const signalExit = requireFromWriteFileAtomic('signal-exit') as { onExit(cb: () => void): () => void };

const NGINX: Executable = { path: '/usr/sbin/nginx', sameAsThisNode: false };
const NODE: Executable = { path: '/usr/bin/node', sameAsThisNode: true };

const OWN_PID = 4242;
const GATEWAY_PID = 777;

const signal = (s: NodeJS.Signals): ReloadAction => ({ kind: 'signal', signal: s, why: `reload is "signal" (${s})` });

/** A /proc/<pid>/status excerpt; bit n-1 of SigCgt set = signal n caught (SIGHUP 1, SIGUSR1 10, SIGUSR2 12). */
function procStatus(name: string, caught: number[]): string {
  const mask = caught.reduce((m, n) => m | (1n << BigInt(n - 1)), 0n);
  return [`Name:\t${name}`, 'State:\tS (sleeping)', `Pid:\t${GATEWAY_PID}`, 'SigBlk:\t0000000000000000', 'SigIgn:\t0000000001001000', `SigCgt:\t${mask.toString(16).padStart(16, '0')}`].join('\n');
}

/** Edges that record every kill and every warning instead of touching a process. */
function world(edges: Omit<ReloadEdges, 'kill' | 'ownPid'> = {}) {
  const kills: [number, NodeJS.Signals][] = [];
  const warnings: string[] = [];
  const listenerCalls: NodeJS.Signals[] = [];
  const log = { info: () => undefined, warn: (m: string) => void warnings.push(m) };
  const full: ReloadEdges = {
    ownPid: OWN_PID,
    kill: (pid, s) => void kills.push([pid, s]),
    listenerCount: (s) => {
      listenerCalls.push(s);
      return 0;
    },
    readProcStatus: () => undefined,
    readExecutable: () => NGINX,
    ...edges,
  };
  return { kills, warnings, log, edges: full, listenerCalls };
}

describe('reload guard (makeReloader, signal)', () => {
  it('sends no SIGUSR1 to its own process when nothing listens for it (it would open the inspector)', async () => {
    const w = world({ listenerCount: () => 0 });
    await makeReloader(signal('SIGUSR1'), {}, w.log, w.edges)();
    expect(w.kills).toEqual([]);
    expect(w.warnings).toEqual([`reload signal SIGUSR1 not sent to pid ${OWN_PID}: nothing in this process listens for SIGUSR1`]);
  });

  it('asks listenerCount for the very signal it would send', async () => {
    const asked: NodeJS.Signals[] = [];
    const w = world({
      listenerCount: (s) => {
        asked.push(s);
        return s === 'SIGUSR2' ? 1 : 0;
      },
    });
    await makeReloader(signal('SIGUSR1'), {}, w.log, w.edges)();
    await makeReloader(signal('SIGUSR2'), {}, w.log, w.edges)();
    expect(asked).toEqual(['SIGUSR1', 'SIGUSR2']);
    expect(w.kills).toEqual([[OWN_PID, 'SIGUSR2']]);
  });

  it('sends the signal to its own process when a handler exists', async () => {
    const w = world({ listenerCount: (s) => (s === 'SIGUSR1' ? 1 : 0) });
    await makeReloader(signal('SIGUSR1'), {}, w.log, w.edges)();
    expect(w.kills).toEqual([[OWN_PID, 'SIGUSR1']]);
    expect(w.warnings).toEqual([]);
  });

  it('treats an explicit target pid equal to its own pid as its own process', async () => {
    const w = world({ listenerCount: () => 0, readProcStatus: () => procStatus('node', [10]) });
    await makeReloader(signal('SIGUSR1'), { pid: OWN_PID }, w.log, w.edges)();
    expect(w.kills).toEqual([]);
  });

  it('checks for a handler again at every reload, not once when built', async () => {
    let listeners = 0;
    const w = world({ listenerCount: () => listeners });
    const reloader = makeReloader(signal('SIGUSR1'), {}, w.log, w.edges);
    await reloader();
    listeners = 1;
    await reloader();
    listeners = 0;
    await reloader();
    expect(w.kills).toEqual([[OWN_PID, 'SIGUSR1']]);
  });

  it('sends no signal to another process whose SigCgt lacks the bit', async () => {
    const w = world({ readProcStatus: () => procStatus('nginx', [1, 10]) });
    await makeReloader(signal('SIGUSR2'), { pid: GATEWAY_PID }, w.log, w.edges)();
    expect(w.kills).toEqual([]);
    expect(w.warnings).toEqual([`reload signal SIGUSR2 not sent to pid ${GATEWAY_PID}: the process does not handle SIGUSR2`]);
  });

  it('sends the signal to another process whose SigCgt has the bit', async () => {
    const w = world({ readProcStatus: () => procStatus('nginx', [12]) });
    await makeReloader(signal('SIGUSR2'), { pid: GATEWAY_PID }, w.log, w.edges)();
    expect(w.kills).toEqual([[GATEWAY_PID, 'SIGUSR2']]);
  });

  it('reads the status of the target pid and never consults its own listeners for it', async () => {
    const read: number[] = [];
    const w = world({
      readProcStatus: (pid) => {
        read.push(pid);
        return procStatus('nginx', [1]);
      },
    });
    await makeReloader(signal('SIGHUP'), { pid: GATEWAY_PID }, w.log, w.edges)();
    expect(read).toEqual([GATEWAY_PID]);
    expect(w.listenerCalls).toEqual([]);
    expect(w.kills).toEqual([[GATEWAY_PID, 'SIGHUP']]);
  });

  it('never sends SIGUSR1 to another process, whatever its name or executable', async () => {
    const cases: [string, Executable][] = [
      ['node', NODE],
      ['nginx', NODE], // a Node process that set process.title = 'nginx'
      ['nginx', NGINX],
      ['openclaw-gateway', { path: '/opt/openclaw/bin/openclaw', sameAsThisNode: false }],
    ];
    for (const [name, executable] of cases) {
      const w = world({ readProcStatus: () => procStatus(name, [1, 10, 12]), readExecutable: () => executable });
      await makeReloader(signal('SIGUSR1'), { pid: GATEWAY_PID, signalNodeProcess: true }, w.log, w.edges)();
      expect(w.kills, name).toEqual([]);
      expect(w.warnings[0], name).toMatch(/SIGUSR1 is never sent to another process/);
    }
  });

  it('tells a Node process by its executable, not by its name, and signals it only with signalNodeProcess', async () => {
    for (const s of ['SIGHUP', 'SIGUSR2'] as const) {
      const status = () => procStatus('nginx', [1, 12]);
      const refused = world({ readProcStatus: status, readExecutable: () => ({ path: '/usr/local/bin/node', sameAsThisNode: false }) });
      await makeReloader(signal(s), { pid: GATEWAY_PID }, refused.log, refused.edges)();
      expect(refused.kills).toEqual([]);
      expect(refused.warnings[0]).toMatch(/it is a Node process \(\/usr\/local\/bin\/node\).*pass --signal-node-process/);

      const allowed = world({ readProcStatus: status, readExecutable: () => NODE });
      await makeReloader(signal(s), { pid: GATEWAY_PID, signalNodeProcess: true }, allowed.log, allowed.edges)();
      expect(allowed.kills).toEqual([[GATEWAY_PID, s]]);
    }
    // The override does not skip the caught-signal check.
    const unhandled = world({ readProcStatus: () => procStatus('node', [10]), readExecutable: () => NODE });
    await makeReloader(signal('SIGHUP'), { pid: GATEWAY_PID, signalNodeProcess: true }, unhandled.log, unhandled.edges)();
    expect(unhandled.kills).toEqual([]);
    expect(unhandled.warnings[0]).toMatch(/does not handle SIGHUP/);
  });

  it('refuses a process whose executable cannot be read (it cannot be told from Node)', async () => {
    const w = world({ readProcStatus: () => procStatus('nginx', [1]), readExecutable: () => undefined });
    await makeReloader(signal('SIGHUP'), { pid: GATEWAY_PID }, w.log, w.edges)();
    expect(w.kills).toEqual([]);
    expect(w.warnings[0]).toMatch(/cannot read \/proc\/777\/exe/);
  });

  it('sends nothing when the foreign process is gone, its SigCgt is unreadable, or the signal is unsupported', async () => {
    const gone = world({ readProcStatus: () => undefined });
    await makeReloader(signal('SIGUSR2'), { pid: GATEWAY_PID }, gone.log, gone.edges)();
    const noMask = world({ readProcStatus: () => 'Name:\tnginx\nState:\tS (sleeping)' });
    await makeReloader(signal('SIGUSR2'), { pid: GATEWAY_PID }, noMask.log, noMask.edges)();
    const term = world({ readProcStatus: () => procStatus('nginx', [15]) });
    await makeReloader(signal('SIGTERM'), { pid: GATEWAY_PID }, term.log, term.edges)();

    expect([...gone.kills, ...noMask.kills, ...term.kills]).toEqual([]);
    expect(gone.warnings[0]).toMatch(/the process does not exist or \/proc is not readable/);
    expect(noMask.warnings[0]).toMatch(/cannot read which signals the process catches/);
    expect(term.warnings[0]).toMatch(/only SIGHUP, SIGUSR1, SIGUSR2 are supported/);
  });

  it('never signals for the "none" and "touch" actions', async () => {
    const w = world({ listenerCount: () => 1 });
    await makeReloader({ kind: 'none', why: 'host watches included files' }, {}, w.log, w.edges)();
    expect(() => makeReloader({ kind: 'touch', why: 'older host' }, {}, w.log, w.edges)).toThrow(
      'reload "touch" needs the path of openclaw.json.',
    );
    expect(w.kills).toEqual([]);
  });
});

describe('reload guard: signal-exit is not a handler (this process)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    cleanups.splice(0).reverse().forEach((undo) => undo());
  });

  /** Installs signal-exit's listeners exactly as write-file-atomic does during a write. */
  function duringAWrite(): void {
    const remove = signalExit.onExit(() => undefined);
    cleanups.push(remove);
  }

  it('sends no SIGHUP or SIGUSR2 when signal-exit holds the only listener, and sends it beside a real one', async () => {
    expect(process.listenerCount('SIGHUP')).toBe(0);
    expect(process.listenerCount('SIGUSR2')).toBe(0);
    duringAWrite();
    // signal-exit's listeners are real listeners to Node: the old check counted them.
    expect(process.listenerCount('SIGHUP')).toBe(1);
    expect(process.listenerCount('SIGUSR2')).toBe(1);
    for (const s of ['SIGHUP', 'SIGUSR2'] as const) {
      const kills: [number, NodeJS.Signals][] = [];
      const warnings: string[] = [];
      const log = { info: () => undefined, warn: (m: string) => void warnings.push(m) };
      // No listenerCount edge: the default, which reads this process's listeners.
      await makeReloader(signal(s), {}, log, { ownPid: OWN_PID, kill: (pid, sig) => void kills.push([pid, sig]) })();
      expect(kills, s).toEqual([]);
      expect(warnings[0], s).toMatch(new RegExp(`nothing in this process listens for ${s}`));
    }

    // A real listener beside signal-exit's is a handler: then the signal goes out.
    const handler = () => undefined;
    process.on('SIGUSR2', handler);
    cleanups.push(() => process.off('SIGUSR2', handler));
    const kills: [number, NodeJS.Signals][] = [];
    await makeReloader(signal('SIGUSR2'), {}, { info: () => undefined, warn: () => undefined }, { ownPid: OWN_PID, kill: (pid, sig) => void kills.push([pid, sig]) })();
    expect(kills).toEqual([[OWN_PID, 'SIGUSR2']]);
    expect(realListenerCount('SIGUSR2')).toBe(1);
  });

  it("recognises signal-exit's listener by its shape and a plain handler as real", () => {
    duringAWrite();
    const [installed] = process.listeners('SIGHUP');
    expect(installed).toBeDefined();
    expect(looksLikeSignalExit(installed as Function)).toBe(true);
    expect(looksLikeSignalExit(() => console.log('reloading'))).toBe(false);
    expect(looksLikeSignalExit(function onHup() {
      process.kill(process.pid, 'SIGTERM');
    })).toBe(false);
  });

  it("counts signal-exit's listeners from its own bookkeeping when their source is unrecognisable", () => {
    // A bundled copy whose listener source no longer matches still counts itself in the shared emitter.
    const disguised = () => undefined;
    const v3 = process as unknown as { __signal_exit_emitter__?: { count: number } };
    process.on('SIGHUP', disguised);
    v3.__signal_exit_emitter__ = { count: 1 };
    cleanups.push(() => {
      process.off('SIGHUP', disguised);
      delete v3.__signal_exit_emitter__;
    });
    expect(realListenerCount('SIGHUP')).toBe(0);
    // SIGUSR1 is not a signal signal-exit hooks, so its count says nothing there.
    expect(realListenerCount('SIGUSR1', [disguised])).toBe(1);
  });
});

describe('reload guard: the pid file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  function pidFile(pid: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-pidfile-'));
    dirs.push(dir);
    const file = path.join(dir, 'gateway.pid');
    fs.writeFileSync(file, `${pid}\n`);
    return file;
  }

  /** Edges for a world of handling, non-Node processes whose start times the test sets. */
  function processes(startTimes: Map<number, string>) {
    return world({ readProcStatus: () => procStatus('nginx', [1]), readStartTime: (pid) => startTimes.get(pid) });
  }

  it('reads the pid file again before every signal and follows a restarted target to its new pid', async () => {
    const starts = new Map([[GATEWAY_PID, '1000']]);
    const file = pidFile(GATEWAY_PID);
    const w = processes(starts);
    const reloader = makeReloader(signal('SIGHUP'), { pidFile: file }, w.log, w.edges);
    await reloader();
    starts.delete(GATEWAY_PID);
    starts.set(GATEWAY_PID + 1, '2000');
    fs.writeFileSync(file, `${GATEWAY_PID + 1}\n`);
    await reloader();
    await reloader();
    expect(w.kills).toEqual([
      [GATEWAY_PID, 'SIGHUP'],
      [GATEWAY_PID + 1, 'SIGHUP'],
      [GATEWAY_PID + 1, 'SIGHUP'],
    ]);
    expect(w.warnings).toEqual([]);
  });

  it('refuses a reused pid: the same number with another start time', async () => {
    const starts = new Map([[GATEWAY_PID, '1000']]);
    const file = pidFile(GATEWAY_PID);
    const w = processes(starts);
    const reloader = makeReloader(signal('SIGHUP'), { pidFile: file }, w.log, w.edges);
    starts.set(GATEWAY_PID, '5000'); // the gateway died and another process got its pid
    await reloader();
    await reloader();
    expect(w.kills).toEqual([]);
    expect(w.warnings).toHaveLength(2);
    expect(w.warnings[0]).toMatch(/pid 777 .* is another process now .*started at tick 5000.*started at tick 1000.*the pid was reused/);

    // The restarted gateway writes its own pid: that one is followed.
    starts.set(GATEWAY_PID + 5, '6000');
    fs.writeFileSync(file, `${GATEWAY_PID + 5}\n`);
    await reloader();
    expect(w.kills).toEqual([[GATEWAY_PID + 5, 'SIGHUP']]);
  });

  it('refuses a pid that was not running when the file was read and is taken now', async () => {
    const starts = new Map<number, string>();
    const file = pidFile(GATEWAY_PID);
    const w = processes(starts);
    const reloader = makeReloader(signal('SIGHUP'), { pidFile: file }, w.log, w.edges);
    expect(w.warnings[0]).toMatch(/names pid 777, which is not running/);
    await reloader();
    starts.set(GATEWAY_PID, '7000');
    await reloader();
    expect(w.kills).toEqual([]);
    expect(w.warnings[1]).toMatch(/pid 777 .* is not running/);
    expect(w.warnings[2]).toMatch(/the pid was reused/);
  });

  it('sends nothing when the pid file is gone or holds no pid', async () => {
    const starts = new Map([[GATEWAY_PID, '1000']]);
    const file = pidFile(GATEWAY_PID);
    const w = processes(starts);
    const reloader = makeReloader(signal('SIGHUP'), { pidFile: file }, w.log, w.edges);
    fs.writeFileSync(file, 'starting\n');
    await reloader();
    fs.rmSync(file);
    await reloader();
    expect(w.kills).toEqual([]);
    expect(w.warnings[0]).toMatch(/does not hold a process id/);
    expect(w.warnings[1]).toMatch(/cannot read the pid file .*ENOENT/);
  });

  it('never signals pid 0, pid 1 or its own pid named by the pid file, even when they would handle the signal', async () => {
    const starts = new Map([[0, '1'], [1, '1'], [OWN_PID, '1']]);
    for (const pid of [0, 1, OWN_PID]) {
      const w = world({ readProcStatus: () => procStatus('nginx', [1]), readStartTime: (p) => starts.get(p), listenerCount: () => 1 });
      const reloader = makeReloader(signal('SIGHUP'), { pidFile: pidFile(pid) }, w.log, w.edges);
      await reloader();
      expect(w.kills, `pid ${pid}`).toEqual([]);
      expect(w.warnings.at(-1), `pid ${pid}`).toMatch(pid === OWN_PID ? /names this process/ : /is never signalled/);
    }
  });

  it('adopts a new pid only when it runs the executable the first one ran', async () => {
    const starts = new Map([[GATEWAY_PID, '1000'], [GATEWAY_PID + 1, '2000'], [GATEWAY_PID + 2, '3000']]);
    const executables = new Map<number, Executable>([[GATEWAY_PID, NGINX], [GATEWAY_PID + 1, { path: '/home/mallory/nginx', sameAsThisNode: false }], [GATEWAY_PID + 2, NGINX]]);
    const file = pidFile(GATEWAY_PID);
    const w = world({ readProcStatus: () => procStatus('nginx', [1]), readStartTime: (p) => starts.get(p), readExecutable: (p) => executables.get(p) });
    const reloader = makeReloader(signal('SIGHUP'), { pidFile: file }, w.log, w.edges);
    await reloader();
    fs.writeFileSync(file, `${GATEWAY_PID + 1}\n`);
    await reloader();
    expect(w.warnings.at(-1)).toMatch(/now names pid 778, which runs \/home\/mallory\/nginx, not \/usr\/sbin\/nginx .*not adopted/);
    // The real restart, running the first executable, is followed.
    fs.writeFileSync(file, `${GATEWAY_PID + 2}\n`);
    await reloader();
    expect(w.kills).toEqual([
      [GATEWAY_PID, 'SIGHUP'],
      [GATEWAY_PID + 2, 'SIGHUP'],
    ]);
  });

  it('sends nothing after dispose', async () => {
    const w = processes(new Map([[GATEWAY_PID, '1000']]));
    const reloader = makeReloader(signal('SIGHUP'), { pidFile: pidFile(GATEWAY_PID) }, w.log, w.edges);
    await reloader.dispose();
    await reloader();
    expect(w.kills).toEqual([]);
  });
});

describe('reload guard: reading /proc', () => {
  it('takes the start time from field 22, after a name that holds spaces and parentheses', () => {
    const rest = Array.from({ length: 50 }, (_, i) => String(i + 3)).join(' ');
    expect(startTimeOf(`4242 (nginx) S ${rest.split(' ').slice(1).join(' ')}`)).toBe('22');
    expect(startTimeOf(`4242 (a (b) c) S ${rest.split(' ').slice(1).join(' ')}`)).toBe('22');
    expect(startTimeOf('4242 (short) S 1 2')).toBeUndefined();
  });

  it('calls an executable Node by its path or by being the same file as this Node', () => {
    for (const p of ['/usr/bin/node', '/usr/bin/nodejs', '/opt/n/bin/node24', '/usr/lib/node-v24.1.0', '/opt/openclaw/openclaw']) {
      expect(isNodeExecutable({ path: p, sameAsThisNode: false }), p).toBe(true);
    }
    for (const p of ['/usr/sbin/nginx', '/usr/bin/nodemon', '/bin/sh']) {
      expect(isNodeExecutable({ path: p, sameAsThisNode: false }), p).toBe(false);
    }
    expect(isNodeExecutable({ path: '/srv/gateway-bin', sameAsThisNode: true })).toBe(true);
  });
});

describe('reload guard in the reload operator', () => {
  const writes = ['v1', 'v2', 'v3'];

  it('fires once per write when a handler exists', async () => {
    const w = world({ listenerCount: () => 1 });
    const reloader = makeReloader(signal('SIGUSR1'), {}, w.log, w.edges);
    await lastValueFrom(of(...writes).pipe(reload(() => reloader())));
    expect(w.kills).toEqual([
      [OWN_PID, 'SIGUSR1'],
      [OWN_PID, 'SIGUSR1'],
      [OWN_PID, 'SIGUSR1'],
    ]);
  });

  it('never fires when nothing handles the signal, and the writes still pass', async () => {
    const w = world({ listenerCount: () => 0 });
    const reloader = makeReloader(signal('SIGUSR1'), {}, w.log, w.edges);
    const passed = await lastValueFrom(of(...writes).pipe(reload(() => reloader()), toArray()));
    expect(w.kills).toEqual([]);
    expect(w.warnings).toHaveLength(3);
    expect(passed).toEqual(writes);
  });
});
