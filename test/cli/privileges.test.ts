import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import type { CheckResult } from '../../src/domain/doctorChecks.js';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { startPipeline, waitFor } from '../support/pipelineHarness.js';
import { assertBuilt, makeTempDir, runCli, sql, writeOpenclawJson, type CliResult } from './cli.js';

const INSTALLER = path.resolve('agent-install.sh');
const INCLUDING = { $include: './agents.json', meta: { lastTouchedVersion: '2026.9.6' } };

/**
 * An application role owns the tables (and a source function); its code tries to make it a superuser
 * whenever it runs. Every session of ours that runs that code must run it as the application role.
 */
describe('database privileges: no session of ours runs a less privileged role\'s code with more privileges (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let owner: string;
  let others: string[];
  let marker: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    const suffix = randomBytes(4).toString('hex');
    owner = `acs_app_owner_${suffix}`;
    others = [];
    marker = `/tmp/acs-privileges-${suffix}`;
    await withAdmin((c) => c.query(`CREATE ROLE ${owner} LOGIN PASSWORD 'pw'`));
    db = await createTestDatabase('privileges');
    dir = makeTempDir('privileges');
    // The owner's code: first tries RESET ROLE (which undoes a plain SET ROLE), records who runs it,
    // then tries to make the owner a superuser. Each attempt is guarded, so the caller's write goes on.
    await sql(db.url, `
      CREATE TABLE agents (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL UNIQUE, model VARCHAR(100),
                           is_default BOOLEAN NOT NULL DEFAULT FALSE, instance_type VARCHAR(20) NOT NULL DEFAULT 'primary');
      CREATE TABLE agent_system_config (key TEXT PRIMARY KEY, value TEXT NOT NULL, value_type TEXT NOT NULL DEFAULT 'text',
                                        created_at TIMESTAMPTZ NOT NULL DEFAULT now(), updated_at TIMESTAMPTZ NOT NULL DEFAULT now());
      INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'openai/gpt-5', true);
      CREATE TABLE ran (who TEXT, what TEXT);
      GRANT INSERT ON ran TO PUBLIC;
      CREATE FUNCTION escalate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        BEGIN RESET ROLE; EXCEPTION WHEN OTHERS THEN NULL; END;
        INSERT INTO public.ran VALUES (current_user, TG_TABLE_NAME);
        BEGIN ALTER ROLE ${owner} SUPERUSER; EXCEPTION WHEN OTHERS THEN NULL; END;
        RETURN NEW;
      END $$;
      CREATE TRIGGER escalate BEFORE INSERT OR UPDATE ON agents FOR EACH ROW EXECUTE FUNCTION escalate();
      CREATE TRIGGER escalate BEFORE INSERT OR UPDATE ON agent_system_config FOR EACH ROW EXECUTE FUNCTION escalate();
      CREATE FUNCTION export_rows() RETURNS TABLE (name TEXT, model TEXT, is_default BOOLEAN) LANGUAGE plpgsql AS $$
      BEGIN
        BEGIN COPY (SELECT 1) TO PROGRAM 'touch ${marker}'; EXCEPTION WHEN OTHERS THEN NULL; END;
        BEGIN ALTER ROLE ${owner} SUPERUSER; EXCEPTION WHEN OTHERS THEN NULL; END;
        RETURN QUERY SELECT a.name::TEXT, a.model::TEXT, a.is_default FROM public.agents a;
      END $$;
      ALTER TABLE agents OWNER TO ${owner};
      ALTER TABLE agent_system_config OWNER TO ${owner};
      ALTER FUNCTION escalate() OWNER TO ${owner};
      ALTER FUNCTION export_rows() OWNER TO ${owner};
    `);
  });
  afterEach(async () => {
    await db.drop();
    for (const role of [owner, ...others]) await withAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(marker, { force: true });
  });

  const isSuperuser = async (role: string) =>
    (await withAdmin((c) => c.query<{ s: boolean }>('SELECT rolsuper AS s FROM pg_roles WHERE rolname = $1', [role]))).rows[0]?.s;
  const ran = () => sql<{ who: string; what: string }>(db.url, 'SELECT who, what FROM ran ORDER BY what');

  /** A login role of its own on this database, with `grants` run as the superuser; returns its URL. */
  async function role(name: string, grants: string): Promise<string> {
    const full = `${name}_${randomBytes(3).toString('hex')}`;
    others.push(full);
    await withAdmin((c) => c.query(`CREATE ROLE ${full} LOGIN PASSWORD 'pw'`));
    await sql(db.url, grants.replaceAll('ROLE', full));
    const url = new URL(db.url);
    url.username = full;
    url.password = 'pw';
    return url.toString();
  }

  function runInstaller(): Promise<CliResult> {
    const url = new URL(db.url);
    const env = { PATH: process.env.PATH ?? '', PGHOST: url.hostname, PGPORT: url.port, PGUSER: 'postgres', PGPASSWORD: decodeURIComponent(url.password), PGDATABASE: db.name };
    return new Promise((resolve, reject) => {
      execFile('bash', [INSTALLER], { env, timeout: 60_000 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      });
    });
  }

  async function doctor(url: string, ...extra: string[]) {
    const config = writeOpenclawJson(dir, INCLUDING);
    const result = await runCli(['doctor', '--json', '--database-url', url, '--openclaw-config', config, '--output', path.join(dir, 'agents.json'), ...extra], dir);
    const checks = (JSON.parse(result.stdout) as { checks: CheckResult[] }).checks;
    const check = (id: string): CheckResult => checks.find((c) => c.id === id) ?? expect.fail(`no "${id}" check`);
    return { code: result.code, check };
  }

  it('can migrate as superuser without making the tables\' owner a superuser: the seed row is written as the owner', async () => {
    const migrated = await runCli(['migrate', '--database-url', db.url], dir);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(await isSuperuser(owner)).toBe(false);
    expect(await ran()).toEqual([{ who: owner, what: 'agent_system_config' }]);
    expect(await sql(db.url, 'SELECT key, value FROM agent_system_config')).toEqual([{ key: 'max_spawn_depth', value: '5' }]);
    // Our own objects are the migrating role's; the owner's function stays gone from pg_temp.
    expect(await sql(db.url, "SELECT pg_get_userbyid(proowner) AS o FROM pg_proc WHERE proname = 'notify_system_config_changed'")).toEqual([{ o: 'postgres' }]);
  });

  it('can refuse migrate, with the role to run as, to a role that may create triggers and insert but cannot act as the tables\' owner', async () => {
    // TRIGGER and INSERT on both tables and CREATE in public get it through the DDL; the seed row is
    // the first write, and that role must not run the owner's trigger.
    const url = await role('acs_deployer', 'GRANT CREATE ON SCHEMA public TO ROLE; GRANT SELECT, INSERT, TRIGGER ON agents, agent_system_config TO ROLE');
    const migrated = await runCli(['migrate', '--database-url', url], dir);
    expect(await ran()).toEqual([]);
    expect(migrated.code).not.toBe(0);
    expect(migrated.stderr).toContain(`agent_system_config is owned by role "${owner}", and its triggers must not run as "acs_deployer_`);
    expect(migrated.stderr).toContain(`run the install as "${owner}" (or as a superuser, or a member of "${owner}")`);
    expect(await sql(db.url, 'SELECT key FROM agent_system_config')).toEqual([]);
  });

  it('can install with agent-install.sh (psql) as superuser without making the tables\' owner a superuser', async () => {
    const installed = await runInstaller();
    expect(installed.code, installed.stderr).toBe(0);
    expect(await isSuperuser(owner)).toBe(false);
    expect(await ran()).toEqual([{ who: owner, what: 'agent_system_config' }]);
    expect(await sql(db.url, 'SELECT key, value FROM agent_system_config')).toEqual([{ key: 'max_spawn_depth', value: '5' }]);
  });

  it('can run doctor as superuser without making the tables\' owner a superuser: its write probe runs as the owner and still sees the triggers fire', async () => {
    expect((await runCli(['migrate', '--database-url', db.url], dir)).code).toBe(0);
    await sql(db.url, 'DELETE FROM ran');
    const { check } = await doctor(db.url, '--timeout-ms', '5000');
    expect(await isSuperuser(owner)).toBe(false);
    expect(await ran()).toEqual([{ who: owner, what: 'agent_system_config' }, { who: owner, what: 'agents' }]);
    expect(check('triggers-firing')).toMatchObject({ status: 'ok' });
    // The warning about the sync's own role, with the grants a least-privileged one needs.
    expect(check('privileges')).toMatchObject({ status: 'warn' });
    expect(check('privileges').detail).toContain('"postgres", a superuser');
    expect(check('privileges').advice).toContain('GRANT SELECT ON public.agents, public.agent_system_config TO agent_config_sync;');
    expect(check('privileges').advice).toContain('GRANT SELECT, INSERT, UPDATE ON public.agent_config_sync_gateways TO agent_config_sync;');
  });

  it('can refuse doctor\'s write probe to a role that may write the tables but cannot act as their owner, naming the role to run as', async () => {
    expect((await runCli(['migrate', '--database-url', db.url], dir)).code).toBe(0);
    await sql(db.url, 'DELETE FROM ran');
    const url = await role('acs_ops', 'GRANT SELECT, INSERT, UPDATE, DELETE ON agents, agent_system_config TO ROLE');
    const { code, check } = await doctor(url, '--timeout-ms', '1000');
    expect(code).toBe(1);
    expect(check('triggers-firing')).toMatchObject({ status: 'fail' });
    expect(check('triggers-firing').detail).toContain(`owned by role "${owner}"`);
    expect(check('triggers-firing').detail).toContain(`run this as "${owner}"`);
    expect(await ran()).toEqual([]);
    expect(check('privileges')).toMatchObject({ status: 'ok' });
  });

  it('can refuse a sync as superuser whose source function another role owns, before it runs, and sync as a least-privileged role', async () => {
    const config = writeOpenclawJson(dir, INCLUDING);
    const output = path.join(dir, 'agents.json');
    const flags = ['--openclaw-config', config, '--output', output, '--agents-source', 'export_rows()'];
    const refused = await runCli(['sync', '--once', '--database-url', db.url, ...flags], dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('refusing to read the agents source as "postgres", a superuser');
    expect(refused.stderr).toContain(`function export_rows() belongs to role "${owner}"`);
    expect(refused.stderr).toContain('GRANT USAGE ON SCHEMA public TO agent_config_sync;');
    expect(fs.existsSync(marker)).toBe(false);
    expect(fs.existsSync(output)).toBe(false);
    expect(await isSuperuser(owner)).toBe(false);

    const url = await role('acs_sync', `
      GRANT USAGE ON SCHEMA public TO ROLE;
      GRANT SELECT ON agents, agent_system_config TO ROLE;
      GRANT EXECUTE ON FUNCTION export_rows() TO ROLE;`);
    const synced = await runCli(['sync', '--once', '--database-url', url, ...flags], dir);
    expect(synced.code, synced.stderr).toBe(0);
    expect(JSON.parse(fs.readFileSync(output, 'utf8')).agents.entries).toHaveProperty('alpha');
    // It ran, as the least-privileged role: no program, no superuser.
    expect(fs.existsSync(marker)).toBe(false);
    expect(await isSuperuser(owner)).toBe(false);
  });

  it('can refuse, in the running pipeline (the plugin\'s and watch\'s), every read of a source another role owns, warning once and writing nothing', async () => {
    const sync = startPipeline(db.url, { agentsSource: parseAgentsSource('export_rows()') });
    try {
      await waitFor('the refusal', () => sync.log.text().includes('refusing to read the agents source'));
      await waitFor('a retry', () => sync.log.lines.filter((l) => l.message.includes('refusing')).length >= 2);
      expect(sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('refusing'))).toHaveLength(1);
      expect(sync.written).toEqual([]);
      expect(fs.existsSync(sync.outputPath)).toBe(false);
    } finally {
      await sync.stop();
    }
    expect(fs.existsSync(marker)).toBe(false);
    expect(await isSuperuser(owner)).toBe(false);
  });

  it('can fail doctor\'s privileges check for a superuser whose source another role owns, without running the source', async () => {
    const { code, check } = await doctor(db.url, '--agents-source', 'export_rows()', '--timeout-ms', '1000');
    expect(fs.existsSync(marker)).toBe(false);
    expect(await isSuperuser(owner)).toBe(false);
    expect(code).toBe(1);
    expect(check('privileges')).toMatchObject({ status: 'fail' });
    expect(check('privileges').detail).toContain(`function export_rows() (owned by "${owner}")`);
    expect(check('privileges').advice).toContain('GRANT USAGE ON SCHEMA public TO agent_config_sync;');
    expect(check('agent-columns').detail).toContain('refusing to read the agents source');
  });

  it('can refuse a member of pg_execute_server_program that is no superuser, as it would a superuser', async () => {
    const url = await role('acs_programs', `
      GRANT pg_execute_server_program TO ROLE;
      GRANT USAGE ON SCHEMA public TO ROLE;
      GRANT SELECT ON agents, agent_system_config TO ROLE;
      GRANT EXECUTE ON FUNCTION export_rows() TO ROLE;`);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await expect(readSnapshot(client, parseAgentsSource('export_rows()'))).rejects.toThrow(
        `, a member of pg_execute_server_program: function export_rows() belongs to role "${owner}"`,
      );
    } finally {
      await client.end();
    }
    expect(fs.existsSync(marker)).toBe(false);
  });

  it('can refuse a view another role owns, or one calling its function, and accept that role\'s SECURITY DEFINER function, in every snapshot', async () => {
    await sql(db.url, `
      CREATE VIEW owned_view AS SELECT name, model FROM agents;
      ALTER VIEW owned_view OWNER TO ${owner};
      CREATE FUNCTION shout(TEXT) RETURNS TEXT LANGUAGE sql AS $$ SELECT upper($1) $$;
      ALTER FUNCTION shout(TEXT) OWNER TO ${owner};
      CREATE VIEW calling_view AS SELECT shout(name::TEXT) AS name, model FROM agents;
      CREATE FUNCTION definer_rows() RETURNS TABLE (name TEXT, model TEXT) LANGUAGE sql SECURITY DEFINER AS $$ SELECT name::TEXT, model::TEXT FROM public.agents $$;
      ALTER FUNCTION definer_rows() OWNER TO ${owner};`);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await expect(readSnapshot(client, parseAgentsSource('owned_view'))).rejects.toThrow(`view owned_view belongs to role "${owner}"`);
      await expect(readSnapshot(client, parseAgentsSource('calling_view'))).rejects.toThrow(`function shout(text) belongs to role "${owner}"`);
      expect((await readSnapshot(client, parseAgentsSource('definer_rows()'))).agents).toEqual([{ name: 'alpha', model: 'openai/gpt-5' }]);
      // The table itself runs none of its owner's code on SELECT.
      expect((await readSnapshot(client, parseAgentsSource('agents'))).agents).toHaveLength(1);
    } finally {
      await client.end();
    }
  });
});
