import { describe, it, expect } from 'vitest';
import { lastValueFrom, of, toArray } from 'rxjs';
import type { ReloadAction } from '../../src/domain/hostProfile.js';
import { reload } from '../../src/operators/reload.js';
import { makeReloader, type ReloadEdges } from '../../src/sinks/reload.js';

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

  it('refuses SIGUSR1 to a foreign node or openclaw process even though its SigCgt has the bit', async () => {
    for (const name of ['node', 'openclaw-gateway', 'Node']) {
      const w = world({ readProcStatus: () => procStatus(name, [10, 12]) });
      await makeReloader(signal('SIGUSR1'), { pid: GATEWAY_PID }, w.log, w.edges)();
      expect(w.kills, name).toEqual([]);
      expect(w.warnings[0], name).toMatch(/a Node process always catches SIGUSR1 for its inspector/);
    }
  });

  it('allows SIGUSR1 to a foreign process that is not node and handles it', async () => {
    const w = world({ readProcStatus: () => procStatus('nginx', [10]) });
    await makeReloader(signal('SIGUSR1'), { pid: GATEWAY_PID }, w.log, w.edges)();
    expect(w.kills).toEqual([[GATEWAY_PID, 'SIGUSR1']]);
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
