import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeReloader } from '../../src/sinks/reload.js';
import { assertBuilt, CLI, runCli } from '../cli/cli.js';
import { isListening } from '../e2e/gateway.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../support/pipelineHarness.js';

// Real processes only: Node targets (one renamed with process.title, one holding only signal-exit's
// listener), shell targets that restart under a pid file, the built CLI, and hung --exec commands
// whose process groups are looked up in /proc.

const TARGET = path.resolve('test/faults/fixtures/signalTarget.mjs');
/** Time given to a wrongly sent signal to show its effect before its absence is asserted, in ms. */
const SETTLE_MS = 500;

let db: TestDatabase;
let client: pg.Client;
const children: ChildProcess[] = [];
const dirs: string[] = [];

const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `acs-signals-${prefix}-`));
  dirs.push(dir);
  return dir;
};
const settle = () => new Promise((r) => setTimeout(r, SETTLE_MS));

beforeAll(async () => {
  assertBuilt();
  db = await createTestDatabase('faults_signals');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await migrate(client);
  await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
});

afterAll(async () => {
  await client.end();
  await db.drop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A Node target from the fixture, with the events it reported so far. */
interface NodeTarget {
  child: ChildProcess;
  pid: number;
  got: string[];
  alive(): boolean;
}

async function startNodeTarget(args: string[]): Promise<NodeTarget> {
  const child = spawn(process.execPath, [TARGET, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const got: string[] = [];
  let stdout = '';
  let pid: number | undefined;
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = stdout.split('\n');
    stdout = lines.pop() ?? '';
    for (const line of lines) {
      const event = JSON.parse(line) as { ready?: number; got?: string };
      if (event.ready !== undefined) pid = event.ready;
      if (event.got !== undefined) got.push(event.got);
    }
  });
  await waitFor('the target to be ready', () => pid !== undefined, 10_000);
  return { child, pid: pid!, got, alive: () => child.exitCode === null && child.signalCode === null };
}

/** A shell target (not Node) that handles SIGHUP by appending a line to `log`, and writes its pid to `pidFile`. */
async function startShellTarget(pidFile: string, log: string): Promise<ChildProcess> {
  const script = `trap 'echo "$$" >> "${log}"' HUP; echo "$$" > "${pidFile}.tmp"; mv "${pidFile}.tmp" "${pidFile}"; while :; do sleep 0.05; done`;
  const before = fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : '';
  const child = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
  children.push(child);
  await waitFor('the shell target to write its pid file', () => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8') !== before && fs.readFileSync(pidFile, 'utf8').trim() === String(child.pid), 10_000);
  return child;
}

const linesOf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

/** Processes of a process group that are still alive (zombies waiting for a reaper do not count), from /proc. */
function liveMembers(group: number): number[] {
  const members: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === group && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

/** `agent-config-sync watch` as a real process, with its stderr collected. */
function startWatch(args: string[], home: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  let stderr = '';
  const child = spawn(process.execPath, [CLI, 'watch', '--database-url', db.url, '--debounce-ms', '20', '--max-wait-ms', '200', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: home },
    cwd: home,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, stderr: () => stderr, exited };
}

describe('signals to another process', () => {
  it('can keep SIGUSR1 from a Node process that renamed itself, and its inspector stays closed', async () => {
    expect(await isListening(9229)).toBe(false);
    const withListener = await startNodeTarget(['--title', 'nginx', '--listen', 'SIGUSR1']);
    const withoutListener = await startNodeTarget(['--title', 'nginx']);
    // What the old name check saw: the kernel's name of both is nginx.
    expect(fs.readFileSync(`/proc/${withoutListener.pid}/status`, 'utf8')).toMatch(/^Name:\s*nginx$/m);

    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => void warnings.push(m) };
    for (const target of [withListener, withoutListener]) {
      const reload = makeReloader({ kind: 'signal', signal: 'SIGUSR1', why: 'test' }, { pid: target.pid }, log);
      for (let i = 0; i < 3; i++) await reload();
    }
    // The CLI refuses the combination before it connects to anything.
    const home = tempDir('usr1');
    const pidFile = path.join(home, 'gateway.pid');
    fs.writeFileSync(pidFile, `${withListener.pid}\n`);
    const cli = await runCli(['sync', '--once', '-o', path.join(home, 'agents.json'), '--database-url', db.url, '--reload-pid-file', pidFile, '--reload-signal', 'SIGUSR1'], home);

    await settle();
    expect(withListener.got).toEqual([]);
    expect(await isListening(9229)).toBe(false);
    expect(withListener.alive() && withoutListener.alive()).toBe(true);
    expect(warnings).toHaveLength(6);
    expect(warnings.every((w) => w.includes('SIGUSR1 is never sent to another process'))).toBe(true);
    expect(cli.code).toBe(64);
    expect(cli.stderr).toMatch(/SIGUSR1 is never sent to another process/);
  });

  it('can leave a Node process whose only SIGHUP/SIGUSR2 listener is signal-exit\'s alive, unless told to signal Node', async () => {
    const home = tempDir('signal-exit');
    for (const signal of ['SIGHUP', 'SIGUSR2']) {
      const target = await startNodeTarget(['--signal-exit']);
      // signal-exit's listener sets the caught bit exactly as a real handler would.
      const caught = BigInt(`0x${/^SigCgt:\s*([0-9a-f]+)$/m.exec(fs.readFileSync(`/proc/${target.pid}/status`, 'utf8'))![1]}`);
      expect((caught >> BigInt(signal === 'SIGHUP' ? 0 : 11)) & 1n).toBe(1n);
      const pidFile = path.join(home, `${signal}.pid`);
      fs.writeFileSync(pidFile, `${target.pid}\n`);

      const refused = await runCli(['sync', '--once', '-o', path.join(home, `${signal}-a.json`), '--database-url', db.url, '--reload-pid-file', pidFile, '--reload-signal', signal], home);
      await settle();
      expect(refused.code, refused.stderr).toBe(0);
      expect(refused.stderr).toMatch(new RegExp(`reload signal ${signal} not sent to pid ${target.pid}: it is a Node process`));
      expect(target.alive(), `${signal} without --signal-node-process`).toBe(true);

      // The control: with the override the signal goes out, and signal-exit re-raises it: the process dies.
      const forced = await runCli(['sync', '--once', '-o', path.join(home, `${signal}-b.json`), '--database-url', db.url, '--reload-pid-file', pidFile, '--reload-signal', signal, '--signal-node-process'], home);
      expect(forced.code, forced.stderr).toBe(0);
      await waitFor(`the target to die of ${signal}`, () => !target.alive(), 5_000);
      expect(target.child.signalCode).toBe(signal);
    }
  });

  it('can tell a renamed Node process by its executable and signal it only with --signal-node-process', async () => {
    const home = tempDir('renamed');
    const target = await startNodeTarget(['--title', 'nginx', '--listen', 'SIGHUP']);
    const pidFile = path.join(home, 'gateway.pid');
    fs.writeFileSync(pidFile, `${target.pid}\n`);

    const refused = await runCli(['sync', '--once', '-o', path.join(home, 'a.json'), '--database-url', db.url, '--reload-pid-file', pidFile], home);
    await settle();
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stderr).toMatch(/it is a Node process \(.*node[^)]*\)/);
    expect(target.got).toEqual([]);

    const sent = await runCli(['sync', '--once', '-o', path.join(home, 'b.json'), '--database-url', db.url, '--reload-pid-file', pidFile, '--signal-node-process'], home);
    expect(sent.code, sent.stderr).toBe(0);
    await waitFor('the renamed target to get SIGHUP', () => target.got.length === 1, 5_000);
    expect(target.got).toEqual(['SIGHUP']);
  });

  it('can follow a restarted target to the new pid in its pid file (watch)', async () => {
    const home = tempDir('restart');
    const pidFile = path.join(home, 'gateway.pid');
    const hups = path.join(home, 'hups.log');
    const first = await startShellTarget(pidFile, hups);
    const watch = startWatch(['-o', path.join(home, 'agents.json'), '--reload-pid-file', pidFile], home);
    try {
      // The first write (the file did not exist) is followed by a reload.
      await waitFor('the first target to get SIGHUP', () => linesOf(hups).length === 1, 10_000);
      expect(linesOf(hups)).toEqual([String(first.pid)]);

      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const second = await startShellTarget(pidFile, hups);
      await client.query(`UPDATE agents SET model = 'm/restarted' WHERE name = 'alpha'`);
      await waitFor('the restarted target to get SIGHUP', () => linesOf(hups).length === 2, 10_000);
      expect(linesOf(hups)).toEqual([String(first.pid), String(second.pid)]);
      expect(watch.stderr()).toMatch(new RegExp(`now names pid ${second.pid} \\(was ${first.pid}\\)`));
    } finally {
      watch.child.kill('SIGTERM');
      expect(await watch.exited).toBe(0);
    }
  });
});

describe('--exec', () => {
  it('can stop a hung command after its timeout, run the next one, and stop a running one when watch stops', async () => {
    const home = tempDir('exec');
    // Run 1 ignores SIGTERM (its sleep inherits that) and hangs: only SIGKILL ends it. Run 2 ends at
    // once. Run 3 hangs until the watcher stops. Each run records its process group id (field 5 of its stat).
    const script = path.join(home, 'reload.sh');
    fs.writeFileSync(
      script,
      [
        'n=$(ls "$RUNS" | wc -l); n=$((n + 1))',
        'cut -d" " -f5 /proc/$$/stat > "$RUNS/run.$n"',
        'if [ "$n" -eq 1 ]; then trap "" TERM; sleep 1000; fi',
        'if [ "$n" -eq 3 ]; then sleep 1000; fi',
        'exit 0',
      ].join('\n'),
    );
    const runs = path.join(home, 'runs');
    fs.mkdirSync(runs);
    /** The process group of run n, once it has recorded it (the file exists a moment before it has content). */
    const recorded = (n: number) => /^\d+$/.test(linesOf(path.join(runs, `run.${n}`))[0] ?? '');
    const group = (n: number) => Number(linesOf(path.join(runs, `run.${n}`))[0]);
    const watch = startWatch(['-o', path.join(home, 'agents.json'), '--exec', `RUNS='${runs}' sh '${script}'`, '--exec-timeout-ms', '300'], home);
    let stopped = false;
    try {
      await waitFor('run 1 to start', () => recorded(1), 10_000);
      const hung = group(1);
      expect(hung).toBeGreaterThan(1);
      expect(liveMembers(hung).length).toBeGreaterThan(0);
      await waitFor('the timeout to be reported', () => /reload command timed out after 300 ms/.test(watch.stderr()), 10_000);
      expect(liveMembers(hung)).toEqual([]);

      await client.query(`UPDATE agents SET model = 'm/exec-2' WHERE name = 'alpha'`);
      await waitFor('run 2 to start', () => recorded(2), 10_000);
      await waitFor('run 2 to end', () => liveMembers(group(2)).length === 0, 10_000);

      await client.query(`UPDATE agents SET model = 'm/exec-3' WHERE name = 'alpha'`);
      await waitFor('run 3 to start', () => recorded(3), 10_000);
      const running = group(3);
      expect(liveMembers(running).length).toBeGreaterThan(0);

      watch.child.kill('SIGTERM');
      stopped = true;
      expect(await watch.exited).toBe(0);
      expect(liveMembers(running)).toEqual([]);
      expect(liveMembers(hung)).toEqual([]);
    } finally {
      if (!stopped) watch.child.kill('SIGTERM');
    }
  });

  it('can stop a hung command of the reloader after the injected timeout and on dispose', async () => {
    const home = tempDir('exec-direct');
    const groups = path.join(home, 'groups');
    const hang = `cut -d" " -f5 /proc/$$/stat >> '${groups}'; trap '' TERM; sleep 1000`;
    const log = { info: () => undefined, warn: () => undefined };
    const timed = makeReloader({ kind: 'none', why: 'test' }, { exec: hang, execTimeoutMs: 300 }, log, { killGraceMs: 200 });
    await expect(timed()).rejects.toThrow(/reload command timed out after 300 ms; its process group was stopped/);
    const first = Number(linesOf(groups)[0]);
    expect(first).toBeGreaterThan(1);
    expect(liveMembers(first)).toEqual([]);

    const stopped = makeReloader({ kind: 'none', why: 'test' }, { exec: hang }, log, { killGraceMs: 200 });
    const running = stopped();
    await waitFor('the second command to start', () => /^\d+$/.test(linesOf(groups)[1] ?? ''), 5_000);
    const second = Number(linesOf(groups)[1]);
    expect(second).toBeGreaterThan(1);
    expect(liveMembers(second).length).toBeGreaterThan(0);
    await stopped.dispose();
    await expect(running).rejects.toThrow(/stopped because the sync is stopping/);
    expect(liveMembers(second)).toEqual([]);
    await expect(stopped()).rejects.toThrow(/not run, the sync is stopping/);
  });
});
