import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/domain/doctorChecks.js';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql, writeOpenclawJson } from './cli.js';

interface DoctorReport {
  output: string;
  channel: string;
  ok: boolean;
  checks: CheckResult[];
}

const ALL_CHECKS = [
  'database', 'schema', 'listen', 'triggers-firing', 'agent-columns', 'privileges', 'output-writable', 'output-owner', 'output-exists',
  'include-roots', 'included', 'shadowed-keys', 'roster-shape', 'default-agent', 'in-sync', 'temp-files',
];

/** The gateway's openclaw.json as the seed has it: agents.json included at the root. */
const INCLUDING = { $include: './agents.json', meta: { lastTouchedVersion: '2026.9.6' }, talk: { agentId: 'alpha' }, bindings: [] };

describe('CLI doctor (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_doctor');
    dir = makeTempDir('doctor');
    output = path.join(dir, 'agents.json');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Writes openclaw.json, syncs agents.json beside it, and returns the flags that point at both. */
  async function setUp(openclaw: unknown): Promise<string[]> {
    const config = writeOpenclawJson(dir, openclaw);
    const flags = ['--database-url', db.url, '--openclaw-config', config, '--output', output];
    const synced = await runCli(['sync', '--once', ...flags], dir);
    expect(synced.code, synced.stderr).toBe(0);
    return flags;
  }

  async function doctor(flags: string[], ...extra: string[]) {
    const result = await runCli(['doctor', '--json', ...flags, ...extra], dir);
    const report = JSON.parse(result.stdout) as DoctorReport;
    const check = (id: string): CheckResult => {
      const found = report.checks.find((c) => c.id === id);
      if (!found) throw new Error(`doctor reported no "${id}" check`);
      return found;
    };
    return { code: result.code, report, check };
  }

  it('can report every check ok on a correct setup', async () => {
    const flags = await setUp(INCLUDING);
    const { code, report } = await doctor(flags);
    expect(report.checks.map((c) => c.id)).toEqual(ALL_CHECKS);
    // The test connects as the server's superuser: doctor warns that the sync should not (a warning, not a failure).
    expect(report.checks.filter((c) => c.status !== 'ok').map((c) => `${c.id}: ${c.status}`)).toEqual(['privileges: warn']);
    expect(report.ok).toBe(true);
    expect(code).toBe(0);

    const human = await runCli(['doctor', ...flags], dir);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('0 fail, 1 warn, 15 ok');
  });

  it('can pass a quick-start setup (an output, no openclaw.json anywhere), saying what it could not check', async () => {
    // HOME is the temp dir: no ~/.openclaw/openclaw.json either, as for `npm start`'s demo output.
    const synced = await runCli(['sync', '--database-url', db.url, '--output', output], dir);
    expect(synced.code, synced.stderr).toBe(0);
    const { code, check } = await doctor(['--database-url', db.url, '--output', output]);
    expect(check('included')).toMatchObject({ status: 'warn', detail: 'not checked: no openclaw.json given or found' });
    expect(check('output-exists').status).toBe('ok');
    expect(code).toBe(0);
  });

  it('can report a missing trigger as a failure', async () => {
    const flags = await setUp(INCLUDING);
    await sql(db.url, 'DROP TRIGGER agent_config_changed ON agents');
    const { code, check } = await doctor(flags, '--timeout-ms', '1000');
    expect(code).toBe(1);
    expect(check('schema')).toMatchObject({ status: 'fail' });
    expect(check('schema').detail).toContain('trigger agent_config_changed on agents');
    expect(check('schema').advice).toContain('migrate');
    expect(check('triggers-firing')).toMatchObject({ status: 'fail' });
    expect(check('triggers-firing').detail).toContain('agents');
  });

  it('can report a missing $include as a failure', async () => {
    const flags = await setUp({ meta: { lastTouchedVersion: '2026.9.6' }, gateway: { mode: 'local' } });
    const { code, check } = await doctor(flags);
    expect(code).toBe(1);
    expect(check('included')).toMatchObject({ status: 'fail' });
    expect(check('included').detail).toContain('does not $include');
    expect(check('included').advice).toContain('"$include": "./agents.json"');
  });

  it('can name a key openclaw.json sets beside $include, which wins over the database', async () => {
    const flags = await setUp({ ...INCLUDING, agents: { defaults: { subagents: { maxSpawnDepth: 2 } } } });
    const { code, check } = await doctor(flags);
    const shadowed = check('shadowed-keys');
    expect(shadowed.status).toBe('warn');
    expect(shadowed.detail).toContain('agents.defaults.subagents.maxSpawnDepth = 2 in openclaw.json wins over the database\'s 5');
    expect(shadowed.advice).toContain('agents.defaults.subagents.maxSpawnDepth');
    // A warning alone does not fail doctor.
    expect(code).toBe(0);
  });

  it('can report that the triggers notify another channel than the one listened to', async () => {
    const flags = await setUp(INCLUDING);
    const { code, check } = await doctor(flags, '--channel', 'agents_elsewhere');
    expect(code).toBe(1);
    expect(check('triggers-firing')).toMatchObject({ status: 'fail' });
    expect(check('triggers-firing').detail).toContain('notify "agent_config_changed", not "agents_elsewhere"');
  });

  it('can test the triggers of empty tables with a scratch row and leave nothing behind', async () => {
    await sql(db.url, 'DELETE FROM agents; DELETE FROM agent_system_config');
    const flags = await setUp(INCLUDING);
    const { code, check } = await doctor(flags);
    expect(check('triggers-firing')).toMatchObject({ status: 'ok' });
    expect(check('triggers-firing').detail).toContain('scratch row inserted and deleted');
    expect(code).toBe(0);
    const left = await sql<{ n: string }>(db.url,
      "SELECT (SELECT count(*) FROM agents) + (SELECT count(*) FROM agent_system_config) AS n");
    expect(Number(left[0]!.n)).toBe(0);
  });

  it('can report a file the given OpenClaw version would reject', async () => {
    const flags = await setUp(INCLUDING);
    const { code, check } = await doctor(flags, '--host-version', '2026.4.29');
    expect(code).toBe(1);
    expect(check('roster-shape')).toMatchObject({ status: 'fail' });
    expect(check('roster-shape').detail).toContain('2026.4.29');
    expect(check('roster-shape').detail).toContain('agents.entries is not accepted');
  });

  it('can name leftover temp files of its own beside the output without removing them, and no backups', async () => {
    const flags = await setUp(INCLUDING);
    const stale = path.join(dir, '.agents.json.acs-staging-4242-1.1234567');
    const old = new Date(Date.now() - 120_000);
    for (const name of [stale, `${output}.1234567`, `${output}.20261124`]) {
      fs.writeFileSync(name, 'half a file');
      fs.utimesSync(name, old, old);
    }
    const { code, check } = await doctor(flags);
    expect(check('temp-files')).toMatchObject({ status: 'warn' });
    expect(check('temp-files').detail).toBe(`leftover temp files in ${dir}: .agents.json.acs-staging-4242-1.1234567`);
    for (const name of [stale, `${output}.1234567`, `${output}.20261124`]) expect(fs.existsSync(name)).toBe(true);
    expect(code).toBe(0);
  });

  it('can report a symlink whose real path leaves the config directory as a failure, with advice', async () => {
    const flags = await setUp(INCLUDING);
    const managed = makeTempDir('doctor-managed');
    try {
      const target = path.join(managed, 'agents.json');
      fs.renameSync(output, target);
      fs.symlinkSync(target, output);
      const { code, check } = await doctor(flags);
      expect(code).toBe(1);
      expect(check('include-roots')).toMatchObject({ status: 'fail' });
      expect(check('include-roots').detail).toContain(`${output} resolves through a symlink to ${target}, outside the directory of ${path.join(dir, 'openclaw.json')}`);
      expect(check('include-roots').advice).toContain(`replace the symlink with a regular file`);
      expect(check('include-roots').advice).toContain(`add ${managed} to OPENCLAW_INCLUDE_ROOTS`);

      // With the target's directory among the include roots, OpenClaw reads it, and doctor says so.
      const allowed = await runCli(['doctor', '--json', ...flags], dir, { OPENCLAW_INCLUDE_ROOTS: managed });
      const report = JSON.parse(allowed.stdout) as DoctorReport;
      expect(report.checks.find((c) => c.id === 'include-roots')).toMatchObject({ status: 'ok' });
    } finally {
      fs.rmSync(managed, { recursive: true, force: true });
    }
  });

  it('can report a sticky shared output directory (1777) as a failure, with the fix', async () => {
    const flags = await setUp(INCLUDING);
    fs.chmodSync(dir, 0o1777);
    const { code, check } = await doctor(flags);
    expect(code).toBe(1);
    expect(check('output-owner')).toMatchObject({ status: 'fail' });
    expect(check('output-owner').detail).toContain(`the output directory ${dir} is writable by its group and other users (sticky, which still lets them create names) (owner uid 0, mode 1777)`);
    expect(check('output-owner').advice).toContain(`chmod go-w ${dir}`);

    fs.chmodSync(dir, 0o755);
    const fixed = await doctor(flags);
    expect(fixed.check('output-owner')).toMatchObject({ status: 'ok' });
  });

  it('can report openclaw.json given as the output as a failure and leave it intact', async () => {
    const config = writeOpenclawJson(dir, INCLUDING);
    const before = fs.readFileSync(config);
    const { code, check } = await doctor(['--database-url', db.url, '--openclaw-config', config, '--output', config]);
    expect(code).toBe(1);
    expect(check('output-writable')).toMatchObject({ status: 'fail' });
    expect(check('output-writable').detail).toContain("it is the gateway's own config");
    expect(fs.readFileSync(config).equals(before)).toBe(true);
  });

  it('can report an unreachable database and still check the files', async () => {
    writeOpenclawJson(dir, INCLUDING);
    const { code, check } = await doctor(['--database-url', 'postgres://nobody@127.0.0.1:1/none', '--openclaw-config', path.join(dir, 'openclaw.json')]);
    expect(code).toBe(1);
    expect(check('database')).toMatchObject({ status: 'fail' });
    expect(check('included')).toMatchObject({ status: 'ok' });
    expect(check('output-exists')).toMatchObject({ status: 'fail' });
    expect(check('output-exists').detail).toContain('gateway cannot start');
  });
});
