import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../src/domain/doctorChecks.js';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql, type CliResult } from './cli.js';

const INSTALLER = path.resolve('agent-install.sh');

/** The trigger functions as releases before the hardening installed them (no search_path, unqualified calls). */
const OLD_FUNCTIONS = ['notify_agent_config_changed', 'notify_system_config_changed'].map(
  (name) => `CREATE OR REPLACE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM pg_notify(COALESCE(NULLIF(current_setting('agent_config_sync.channel', true), ''), 'agent_config_changed'),
       json_build_object('source', 'x', 'key', left(TG_OP, 200), 'operation', TG_OP)::text);
     RETURN NULL;
   END $$`,
);

function runInstaller(db: TestDatabase, args: string[]): Promise<CliResult> {
  const url = new URL(db.url);
  const env = {
    PATH: process.env.PATH ?? '',
    PGHOST: url.hostname,
    PGPORT: url.port,
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: db.name,
  };
  return new Promise((resolve, reject) => {
    execFile('bash', [INSTALLER, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

describe('trigger functions from before the hardening (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_harden');
    dir = makeTempDir('harden');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can report old, unhardened trigger functions in migrate --verify-only, agent-install.sh --verify-only and doctor, until migrate upgrades them', async () => {
    for (const text of OLD_FUNCTIONS) await sql(db.url, text);
    const labels = [
      'function notify_agent_config_changed hardened (search_path pinned)',
      'function notify_system_config_changed hardened (search_path pinned)',
    ];

    const verify = await runCli(['migrate', '--verify-only', '--json', '--database-url', db.url], dir);
    expect(verify.code, verify.stderr).toBe(1);
    expect(JSON.parse(verify.stdout).missing).toEqual(labels);
    const installerVerify = await runInstaller(db, ['--verify-only']);
    expect(installerVerify.code).toBe(1);
    for (const label of labels) expect(installerVerify.stderr).toContain(label);
    const doctor = await runCli(['doctor', '--json', '--database-url', db.url, '--output', path.join(dir, 'agents.json'), '--timeout-ms', '1000'], dir);
    const schema = (JSON.parse(doctor.stdout) as { checks: CheckResult[] }).checks.find((c) => c.id === 'schema');
    expect(doctor.code).toBe(1);
    expect(schema).toMatchObject({ status: 'fail', detail: `missing: ${labels.join(', ')}` });
    expect(schema?.advice).toContain('migrate');

    const migrated = await runCli(['migrate', '--database-url', db.url], dir);
    expect(migrated.code, migrated.stderr).toBe(0);
    const after = await runCli(['migrate', '--verify-only', '--json', '--database-url', db.url], dir);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).missing).toEqual([]);
    expect((await runInstaller(db, ['--verify-only'])).code).toBe(0);
  });

  it('can set the channel with agent-install.sh --channel without calling a format() planted in public', async () => {
    await sql(db.url, 'CREATE TABLE public.shadow_ran (fn text)');
    for (const args of ['text, name, text', 'text, name']) {
      await sql(db.url, `CREATE FUNCTION public.format(${args}) RETURNS text LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO public.shadow_ran VALUES ('format(${args})'); RETURN 'SELECT 1'; END $$`);
    }
    expect((await runInstaller(db, ['--channel', 'acs_planted'])).code).toBe(0);
    expect(await sql(db.url, `SELECT pg_catalog.current_setting('agent_config_sync.channel', true) AS c`)).toEqual([{ c: 'acs_planted' }]);
    expect((await runInstaller(db, ['--channel', 'agent_config_changed'])).code).toBe(0);
    expect(await sql(db.url, `SELECT pg_catalog.current_setting('agent_config_sync.channel', true) AS c`)).toEqual([{ c: null }]);
    expect(await sql(db.url, 'SELECT fn FROM public.shadow_ran')).toEqual([]);
  });

  it('can be upgraded by agent-install.sh too', async () => {
    for (const text of OLD_FUNCTIONS) await sql(db.url, text);
    expect((await runInstaller(db, ['--verify-only'])).code).toBe(1);
    const installed = await runInstaller(db, []);
    expect(installed.code, installed.stderr).toBe(0);
    expect((await runInstaller(db, ['--verify-only'])).code).toBe(0);
    const config = await sql<{ proconfig: string[] }>(
      db.url,
      `SELECT proconfig FROM pg_proc WHERE proname IN ('notify_agent_config_changed', 'notify_system_config_changed')`,
    );
    expect(config).toEqual([{ proconfig: ['search_path=pg_catalog, pg_temp'] }, { proconfig: ['search_path=pg_catalog, pg_temp'] }]);
  });
});
