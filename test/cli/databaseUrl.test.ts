import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withAdmin, type TestDatabase } from '../helpers/db.js';
import { assertBuilt, CLI, createSeededDatabase, makeTempDir, runCli, type CliResult } from './cli.js';

/** A password with every character a URL cares about; the tail is what must never show up. */
const SECRET = 'K7/q#x?y@z%Tq4mZpw';
const TAIL = 'Tq4mZpw';
const ROLE = 'acs_url_file_role';

describe('--database-url-file and a password on the command line (real binary)', () => {
  let db: TestDatabase;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    assertBuilt();
    db = await createSeededDatabase('url_file');
    await withAdmin(async (admin) => {
      await admin.query(`DROP ROLE IF EXISTS ${ROLE}`);
      await admin.query(`CREATE ROLE ${ROLE} LOGIN SUPERUSER PASSWORD ${admin.escapeLiteral(SECRET)}`);
    });
    const parsed = new URL(db.url);
    parsed.username = ROLE;
    parsed.password = encodeURIComponent(SECRET);
    url = parsed.toString();
    dir = makeTempDir('url-file');
  });

  afterAll(async () => {
    await db.drop();
    await withAdmin((admin) => admin.query(`DROP ROLE IF EXISTS ${ROLE}`));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const urlFile = (name: string, text: string, mode = 0o600) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
    return file;
  };
  const noSecret = (result: CliResult) => {
    expect(result.stdout + result.stderr).not.toContain(TAIL);
    expect(result.stdout + result.stderr).not.toContain(encodeURIComponent(SECRET));
  };

  it('can read the URL from --database-url-file (trimmed) in sync, status, migrate and doctor, without a warning', async () => {
    const file = urlFile('url', `\n  ${url}  \n`);
    const output = path.join(dir, 'agents.json');
    const runs: [string[], number][] = [
      [['sync', '--once', '-o', output], 0],
      [['status', '-o', output], 0],
      [['migrate', '--verify-only'], 0],
    ];
    for (const [args, code] of runs) {
      const result = await runCli([...args, '--database-url-file', file], dir);
      expect(result.code, `${args[0]}: ${result.stderr}`).toBe(code);
      expect(result.stderr).not.toContain('visible in ps');
      noSecret(result);
    }
    expect(Object.keys(JSON.parse(fs.readFileSync(output, 'utf8')).agents.entries)).toEqual(['alpha', 'beta']);
    // doctor: its database check is the one that shows the file was read (other checks may warn or fail here).
    const doctor = await runCli(['doctor', '--json', '-o', output, '--database-url-file', file], dir);
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string }[] }).checks;
    expect(checks.find((c) => c.id === 'database')?.status).toBe('ok');
    noSecret(doctor);
    expect((await runCli(['migrate', '--verify-only', '--database-url-file', file], dir)).stderr).toContain(`${ROLE}@127.0.0.1`);
  });

  it('can warn when --database-url itself carries a password, without repeating it', async () => {
    const output = path.join(dir, 'warned.json');
    for (const args of [['sync', '--once', '-o', output], ['status', '-o', output], ['doctor', '-o', output], ['migrate', '--verify-only']]) {
      const result = await runCli([...args, '--database-url', url], dir);
      expect(result.stderr, args[0]).toContain('--database-url carries a password, which is visible in ps');
      expect(result.stderr).toContain('use --database-url-file FILE or PGPASSWORD / ~/.pgpass');
      noSecret(result);
    }
    // No password in the URL: no warning (PGPASSWORD supplies it).
    const bare = new URL(url);
    bare.password = '';
    const quiet = await runCli(['migrate', '--verify-only', '--database-url', bare.toString()], dir, { PGPASSWORD: SECRET });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain('visible in ps');
    noSecret(quiet);
  });

  it('can warn when the URL file holds a password and others may read it', async () => {
    const file = urlFile('open-url', url, 0o644);
    const result = await runCli(['migrate', '--verify-only', '--database-url-file', file], dir);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('holds a password and other users may read it (chmod 600 it)');
    noSecret(result);
  });

  it('can refuse an unreadable or empty URL file, or both flags, naming the flag (exit 64)', async () => {
    const empty = urlFile('empty', ' \n');
    const cases: [string[], string][] = [
      [['migrate', '--database-url-file', path.join(dir, 'missing')], '--database-url-file: cannot read'],
      [['status', '-o', 'x.json', '--database-url-file', dir], '--database-url-file: cannot read'],
      [['doctor', '-o', 'x.json', '--database-url-file', empty], 'is empty'],
      [['sync', '--once', '-o', 'x.json', '--database-url-file', empty], 'is empty'],
      [['watch', '-o', 'x.json', '--database-url-file', empty], 'is empty'],
      [['quickstart', '--database-url-file', path.join(dir, 'missing')], '--database-url-file: cannot read'],
      [['migrate', '--database-url-file', empty, '--database-url', url], 'use one of --database-url and --database-url-file'],
    ];
    for (const [args, says] of cases) {
      const result = await runCli(args, dir);
      expect(result.code, args.join(' ')).toBe(64);
      expect(result.stderr, args.join(' ')).toContain(says);
      noSecret(result);
    }
  });

  it('can list --database-url-file in the help of every command that takes --database-url', async () => {
    for (const command of ['sync', 'watch', 'status', 'doctor', 'migrate', 'quickstart']) {
      const result = await runCli([command, '--help'], dir);
      expect(result.stdout, command).toContain('--database-url-file FILE');
    }
  });

  it.runIf(process.platform === 'linux')('can take the password out of the command line ps shows while watch runs', async () => {
    const output = path.join(dir, 'watched.json');
    const child = spawn(process.execPath, [CLI, 'watch', '-o', output, '--database-url', url], {
      env: { PATH: process.env.PATH ?? '', HOME: dir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!fs.existsSync(output) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(fs.existsSync(output), stderr).toBe(true);
      const cmdline = fs.readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').replace(/\0+/g, ' ').trim();
      expect(cmdline).toBe(`agent-config-sync watch -o ${output} --database-url ***`);
      expect(cmdline).not.toContain(TAIL);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toContain(TAIL);
  });
});
