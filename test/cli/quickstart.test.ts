import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { instructions } from '../../src/cli/quickstart.js';
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

    // On a machine without psql it prints our script instead; that command works as printed too.
    const url = /postgres:\/\/\S+?(?=")/.exec(printed)?.[0];
    expect(url).toBeDefined();
    const withoutPsql = commandAfter(withPath('', () => instructions('demo', url, output, true)), 'from another terminal:');
    expect(withoutPsql).toMatch(/^node \S*scripts\/sql\.mjs /);
    await shell(withoutPsql.replace("'openai/gpt-5-mini'", "'openai/gpt-5-nano'"), path.resolve('.'));
    await until(() => modelOf(output, 'coder') === 'openai/gpt-5-nano', 10_000, () => stdout);

    process.kill(-(child.pid as number), 'SIGINT');
    await closed;
    expect(stdout).toContain('SIGINT: stopping');
    expect(stdout).toContain('embedded PostgreSQL stopped');
    await until(() => postgresPidsOf(dataDir).length === 0, 10_000, () => 'postgres still running');
    expect(postgresPidsOf(dataDir)).toEqual([]);
  }, 150_000);
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
