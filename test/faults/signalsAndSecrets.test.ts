import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeLogger } from '../../src/logger.js';
import plugin from '../../src/index.js';
import { makeReloader } from '../../src/sinks/reload.js';
import { freePort } from '../globalSetup.js';
import { isListening } from '../e2e/gateway.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { captureLog, expectedText, readText, startPipeline, waitFor, writeReported } from '../support/pipelineHarness.js';

const FIXTURES = path.resolve('test/faults/fixtures');
const CLI = path.resolve('dist/cli/main.js');
const SECRET = 'Zq7-s3cret-Pa55w0rd';
const ROLE = 'acs_secret_role';
/** A password with every character a URL cares about; it holds SECRET, so "no SECRET" covers its pieces too. */
const SPECIAL = `/@#?%${SECRET}`;
const SPECIAL_ROLE = 'acs_special_role';

let db: TestDatabase;
let client: pg.Client;
const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `acs-${prefix}-`));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  db = await createTestDatabase('faults_security');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await migrate(client);
  await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
  await withAdmin(async (admin) => {
    await admin.query(`DROP ROLE IF EXISTS ${ROLE}`);
    await admin.query(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD '${SECRET}'`);
    await admin.query(`DROP ROLE IF EXISTS ${SPECIAL_ROLE}`);
    await admin.query(`CREATE ROLE ${SPECIAL_ROLE} LOGIN SUPERUSER PASSWORD ${admin.escapeLiteral(SPECIAL)}`);
  });
});

afterAll(async () => {
  await client.end();
  await db.drop();
  await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${ROLE}`));
  await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${SPECIAL_ROLE}`));
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The test database's URL with our role and the given password. */
function urlWith(password: string, port?: number): string {
  const url = new URL(db.url);
  url.username = ROLE;
  url.password = password;
  if (port !== undefined) url.port = String(port);
  return url.toString();
}

const caughtUp = async (file: string) => {
  const want = await expectedText(db.url);
  await waitFor('the file to equal the database', () => readText(file) === want, 10_000);
};

describe('signals', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('can skip SIGUSR1 while nothing listens for it and send it once per write when something does', async () => {
    const kill = vi.spyOn(process, 'kill');
    const log = captureLog();
    const reload = makeReloader({ kind: 'signal', signal: 'SIGUSR1', why: 'configured' }, {}, makeLogger(log));
    expect(process.listenerCount('SIGUSR1')).toBe(0);
    const sync = startPipeline(db.url, { reload, debounceMs: 10, maxWaitMs: 100 });
    let handled = 0;
    const handler = () => void (handled += 1);
    try {
      await caughtUp(sync.outputPath);
      await client.query(`UPDATE agents SET model = 'm/unheard' WHERE name = 'beta'`);
      await caughtUp(sync.outputPath);
      await writeReported(sync);
      const writesWithoutListener = sync.written.length;
      expect(writesWithoutListener).toBe(2);
      expect(kill.mock.calls.filter(([, signal]) => signal === 'SIGUSR1')).toEqual([]);
      expect(log.lines.filter((l) => l.message.includes('SIGUSR1 not sent'))).toHaveLength(2);

      process.on('SIGUSR1', handler);
      await client.query(`UPDATE agents SET model = 'm/heard' WHERE name = 'beta'`);
      await caughtUp(sync.outputPath);
      await waitFor('the handler to run', () => handled === 1, 2_000);
      await writeReported(sync);
      expect(sync.written.length).toBe(writesWithoutListener + 1);
      expect(kill.mock.calls.filter(([, signal]) => signal === 'SIGUSR1')).toEqual([[process.pid, 'SIGUSR1']]);
    } finally {
      process.off('SIGUSR1', handler);
      await sync.stop();
    }
  });

  it('can leave the inspector closed in a Node process without a SIGUSR1 listener (a raw SIGUSR1 would open it)', async () => {
    expect(await isListening(9229)).toBe(false);
    const child = await run(process.execPath, [path.join(FIXTURES, 'signalReload.mjs')]);
    const report = JSON.parse(child.stdout) as { lines: string[] };
    expect(child.stderr).not.toContain('Debugger listening');
    expect(report.lines).toHaveLength(3);
    expect(report.lines.every((l) => l.startsWith('warn: ') && l.includes('nothing in this process listens for SIGUSR1'))).toBe(true);
    expect(await isListening(9229)).toBe(false);

    // The control: the same kind of process, sent SIGUSR1 by hand, does open it; so the check above can fail.
    const idle = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10_000)'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    idle.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await new Promise((r) => setTimeout(r, 300));
      process.kill(idle.pid as number, 'SIGUSR1');
      await waitFor('the inspector of the control process', () => stderr.includes('Debugger listening'), 5_000);
      expect(stderr).toMatch(/Debugger listening on ws:\/\/127\.0\.0\.1:9229/);
    } finally {
      idle.kill('SIGKILL');
      await new Promise((r) => idle.once('exit', r));
    }
    await waitFor('port 9229 closed again', async () => !(await isListening(9229)), 5_000);
  });
});

describe('the password', () => {
  it('can stay out of every log line of the pipeline: good password, a refused one, an unreachable server', async () => {
    const unreachable = await freePort();
    const runs = [
      { name: 'good', url: urlWith(SECRET) },
      { name: 'wrong', url: urlWith(`${SECRET}-wrong`) },
      { name: 'unreachable', url: urlWith(SECRET, unreachable) },
    ];
    for (const { name, url } of runs) {
      const sync = startPipeline(url, { reconnectDelay: () => 100 });
      try {
        if (name === 'good') {
          await caughtUp(sync.outputPath);
          // An error path too: the listening connection terminated under it.
          await withAdmin((admin) => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [ROLE]));
          await waitFor('the reconnect', () => sync.log.lines.some((l) => l.message.includes('reconnected')), 5_000);
        } else {
          await waitFor(`the ${name} failure logged`, () => sync.log.lines.some((l) => l.level === 'warn'), 5_000);
        }
      } finally {
        await sync.stop();
      }
      expect(sync.log.lines.length).toBeGreaterThan(0);
      expect(sync.log.text()).not.toContain(SECRET);
      if (name === 'wrong') expect(sync.log.text()).toMatch(/password authentication failed/);
    }
  });

  it('can stay out of the CLI output of sync, status and doctor, also when the connection fails', async () => {
    const unreachable = await freePort();
    const home = tempDir('secret-cli');
    const output = path.join(home, 'agents.json');
    const outputs: string[] = [];
    const malformed = [`postgres://${ROLE}:${SECRET}@127.0.0.1:99999/x`, `postgres://${ROLE}:${SECRET}@[::1/x`, `mysql://${ROLE}:${SECRET}@127.0.0.1/x`];
    for (const url of [urlWith(SECRET), urlWith(`${SECRET}-wrong`), urlWith(SECRET, unreachable), ...malformed]) {
      for (const args of [['sync', '--once', '-o', output], ['status', '-o', output], ['doctor', '--json', '-o', output], ['sync', '--once', '-v', '-o', output]]) {
        const result = await run(process.execPath, [CLI, ...args, '--database-url', url], { HOME: home }, true);
        outputs.push(`${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
      }
    }
    const all = outputs.join('\n');
    expect(all).toMatch(/password authentication failed/);
    expect(all).toMatch(/ECONNREFUSED|cannot connect/);
    expect(all).not.toContain(SECRET);
  });

  it('can stay out of the plugin log when it comes from the plugin config', async () => {
    const dir = tempDir('secret-plugin');
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const { port, hostname, pathname } = new URL(db.url);
    for (const [password, portUsed] of [[SECRET, Number(port)], [`${SECRET}-wrong`, Number(port)], [SECRET, await freePort()]] as const) {
      let service: { start(ctx: object): void | Promise<void>; stop?(ctx?: object): void | Promise<void> } | undefined;
      const outputPath = path.join(dir, `agents-${lines.length}.json`);
      plugin.register({
        config: {},
        pluginConfig: { host: hostname, port: portUsed, database: pathname.slice(1), user: ROLE, password, outputPath, reload: 'none', format: 'entries' },
        runtime: { version: '2026.9.6' },
        logger,
        registerService: (s) => (service = s),
      });
      const before = lines.length;
      await service!.start({});
      await waitFor('the plugin to log its outcome', () => lines.slice(before).some((l) => /wrote|unavailable|failed/.test(l)), 10_000);
      await service!.stop?.({});
    }
    expect(lines.join('\n')).toMatch(/password authentication failed/);
    expect(lines.join('\n')).not.toContain(SECRET);
  });
});

/**
 * Every shape a URL with a password can take: %-encoded (good, wrong, unreachable), typed without
 * encoding (the "/" shape parses as host:port/database and used to be printed as such), in ?password=,
 * in sslpassword, and a libpq key=value string.
 */
async function urlShapes(): Promise<{ name: string; url: string }[]> {
  const { port, pathname } = new URL(db.url);
  const unreachable = await freePort();
  const at = (password: string, p: string | number = port) => `postgres://${SPECIAL_ROLE}:${password}@127.0.0.1:${p}${pathname}`;
  return [
    { name: 'encoded', url: at(encodeURIComponent(SPECIAL)) },
    { name: 'encoded, wrong', url: at(encodeURIComponent(`${SPECIAL}-wrong`)) },
    { name: 'encoded, unreachable', url: at(encodeURIComponent(SPECIAL), unreachable) },
    { name: 'raw', url: at(SPECIAL) },
    { name: 'raw "/" after digits', url: at(`12/${SECRET}`) },
    { name: 'raw "#" after digits', url: at(`12#${SECRET}`) },
    { name: 'raw "?" after digits', url: at(`12?${SECRET}`) },
    { name: 'raw "@" and "%"', url: at(`@%${SECRET}`) },
    { name: '?password=', url: `postgres://${SPECIAL_ROLE}@127.0.0.1:${port}${pathname}?password=${encodeURIComponent(SPECIAL)}` },
    { name: '?password= unencoded', url: `postgres://${SPECIAL_ROLE}@127.0.0.1:${port}${pathname}?password=${SECRET}` },
    { name: 'sslpassword', url: `postgres://${ROLE}:${SECRET}@127.0.0.1:${port}${pathname}?sslpassword=${SECRET}x` },
    { name: 'key=value', url: `host=127.0.0.1 port=${port} user=${SPECIAL_ROLE} password=${SECRET} dbname=${pathname.slice(1)}` },
  ];
}

describe('a password with "/", "@", "#", "?" and "%"', () => {
  it('can stay out of the CLI output of sync, status, doctor and migrate in every URL shape', async () => {
    const home = tempDir('special-cli');
    const output = path.join(home, 'agents.json');
    const outputs: string[] = [];
    const connected: string[] = [];
    for (const { name, url } of await urlShapes()) {
      const commands = [['sync', '--once', '-v', '-o', output], ['status', '-o', output], ['doctor', '--json', '-o', output, '--timeout-ms', '500'], ['migrate', '--verify-only', '-v']];
      for (const args of commands) {
        const result = await run(process.execPath, [CLI, ...args, '--database-url', url], { HOME: home }, true);
        if (args[0] === 'migrate' && /schema complete/.test(result.stderr)) connected.push(name);
        outputs.push(`${name}: ${args.join(' ')}\n${result.stdout}\n${result.stderr}`);
      }
    }
    const all = outputs.join('\n');
    // These reach the server and log in: the checks below cover real runs, not only refusals.
    expect(connected).toEqual(['encoded', '?password=', 'sslpassword']);
    expect(all).toMatch(/password authentication failed/);
    expect(all).toMatch(/ECONNREFUSED|cannot connect/);
    expect(all).toMatch(/%-encode/);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(encodeURIComponent(SECRET));
  });

  it('can stay out of the plugin log in every URL shape and as a password field', async () => {
    const dir = tempDir('special-plugin');
    const lines: string[] = [];
    const logger = { debug: (m: string) => lines.push(m), info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const { port, pathname } = new URL(db.url);
    const configs: Record<string, unknown>[] = [
      ...(await urlShapes()).map(({ url }) => ({ connectionString: url })),
      { host: '127.0.0.1', port: Number(port), database: pathname.slice(1), user: SPECIAL_ROLE, password: SPECIAL },
      { host: '127.0.0.1', port: Number(port), database: pathname.slice(1), user: SPECIAL_ROLE, password: `${SPECIAL}-wrong` },
    ];
    const wrote: number[] = [];
    for (const [i, connection] of configs.entries()) {
      let service: { start(ctx: object): void | Promise<void>; stop?(ctx?: object): void | Promise<void> } | undefined;
      const outputPath = path.join(dir, `agents-${lines.length}.json`);
      plugin.register({
        config: {},
        pluginConfig: { ...connection, outputPath, reload: 'none', format: 'entries' },
        runtime: { version: '2026.9.6' },
        logger,
        registerService: (s) => (service = s),
      });
      const before = lines.length;
      await service!.start({});
      await waitFor('the plugin to log its outcome', () => lines.slice(before).some((l) => /wrote|unavailable|failed|not started/.test(l)), 10_000);
      if (lines.slice(before).some((l) => /wrote/.test(l))) wrote.push(i);
      await service!.stop?.({});
    }
    const all = lines.join('\n');
    expect(wrote).toEqual([0, 8, 10, 12]); // encoded URL, ?password=, sslpassword and the password field connect for real
    expect(all).toMatch(/password authentication failed/);
    expect(all).toMatch(/%-encode/);
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(encodeURIComponent(SECRET));
  });
});

describe('the output file', () => {
  it('can keep the mode of an existing file', async () => {
    const dir = tempDir('mode');
    const file = path.join(dir, 'agents.json');
    fs.writeFileSync(file, '{"agents":{}}\n', { mode: 0o640 });
    fs.chmodSync(file, 0o640);
    const sync = startPipeline(db.url, { outputPath: file });
    try {
      await caughtUp(file);
      await client.query(`UPDATE agents SET model = 'm/mode' WHERE name = 'alpha'`);
      await caughtUp(file);
      await writeReported(sync);
      expect(sync.written.length).toBe(2);
      expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    } finally {
      await sync.stop();
    }
  });

  it('can follow a symlinked output path: the link stays, its target is replaced', async () => {
    const managed = tempDir('symlink-target');
    const site = tempDir('symlink-site');
    const target = path.join(managed, 'agents.json');
    const link = path.join(site, 'agents.json');
    fs.writeFileSync(target, '{"agents":{}}\n');
    fs.symlinkSync(target, link);
    const sync = startPipeline(db.url, { outputPath: link });
    try {
      await caughtUp(link);
      await client.query(`UPDATE agents SET model = 'm/linked' WHERE name = 'alpha'`);
      await caughtUp(link);
      expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
      expect(fs.readlinkSync(link)).toBe(target);
      expect(JSON.parse(fs.readFileSync(target, 'utf8')).agents.entries.alpha.model).toBe('m/linked');
      expect(fs.readdirSync(managed)).toEqual(['agents.json']);
      expect(fs.readdirSync(site)).toEqual(['agents.json']);
    } finally {
      await sync.stop();
    }
  });
});

function run(command: string, args: string[], env: Record<string, string> = {}, allowFailure = false): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (error, stdout, stderr) =>
      error && !allowFailure ? reject(new Error(`${command} ${args.join(' ')}: ${stderr || error.message}`)) : resolve({ stdout, stderr }),
    );
  });
}
