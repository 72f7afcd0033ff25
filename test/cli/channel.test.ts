import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/config.js';
import { migrate, triggerChannel, triggerChannelSetting } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor } from '../support/pipelineHarness.js';
import { assertBuilt, makeTempDir, runCli, type CliResult } from './cli.js';

const INSTALLER = path.resolve('agent-install.sh');
/** 40 characters, 80 bytes: short in characters, too long for PostgreSQL. */
const MULTIBYTE = 'é'.repeat(40);

/** Runs agent-install.sh with PG* pointing at `db`, in a UTF-8 locale (where bash's ${#x} counts characters). */
function runInstaller(db: TestDatabase, args: string[]): Promise<CliResult> {
  const url = new URL(db.url);
  const env = {
    PATH: process.env.PATH ?? '',
    LC_ALL: 'C.UTF-8',
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

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('channel names in bytes, trimmed, at every entry point (real binary, real PostgreSQL)', () => {
  let dir: string;
  let db: TestDatabase;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    dir = makeTempDir('channel');
    db = await createTestDatabase('channel');
  });
  afterEach(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('can refuse a channel of 40 × "é" (80 bytes) in migrate, sync, doctor and agent-install.sh, naming the flag and 63 bytes', async () => {
    const attempts: [string, CliResult][] = [
      ['migrate', await runCli(['migrate', '--channel', MULTIBYTE, '--database-url', db.url], dir)],
      ['sync', await runCli(['sync', '--once', '--output', path.join(dir, 'agents.json'), '--channel', MULTIBYTE, '--database-url', db.url], dir)],
      ['doctor', await runCli(['doctor', '--output', path.join(dir, 'agents.json'), '--channel', MULTIBYTE, '--database-url', db.url], dir)],
      ['agent-install.sh', await runInstaller(db, ['--channel', MULTIBYTE])],
      ['agent-install.sh --channel=', await runInstaller(db, [`--channel=${MULTIBYTE}`])],
    ];
    for (const [what, result] of attempts) {
      expect(result.code, `${what}: ${result.stderr}`).toBe(64);
      expect(result.stderr, what).toContain('--channel');
      expect(result.stderr, what).toContain('63 bytes');
      expect(result.stderr, what).toContain('80 bytes');
    }
    // Refused before anything was applied: the database has no setting (and no tables).
    await withClient(db.url, async (client) => {
      expect(await triggerChannelSetting(client)).toBeNull();
      expect((await client.query(`SELECT to_regclass('agents') AS t`)).rows).toEqual([{ t: null }]);
    });
  });

  it('can trim migrate --channel " name " so the triggers and the plugin config " name " agree', async () => {
    const migrated = await runCli(['migrate', '--channel', '  acs_trimmed ', '--database-url', db.url], dir);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stderr).toContain('the triggers notify "acs_trimmed"');
    await withClient(db.url, async (client) => {
      expect(await triggerChannelSetting(client)).toBe('acs_trimmed');
      await client.query(`INSERT INTO agents (name, model) VALUES ('a', 'm/a')`);
    });

    const settings = resolveSettings({ channel: ' acs_trimmed  ' }, 'plugins.entries.agent_config_sync.config');
    expect(settings.channel).toBe('acs_trimmed');
    const sync = startPipeline(db.url, { channel: settings.channel });
    try {
      await waitFor('initial sync', async () => readText(sync.outputPath) === (await expectedText(db.url)));
      await withClient(db.url, (client) => client.query(`UPDATE agents SET model = 'm/heard-on-the-trimmed-channel'`));
      await waitFor('the change heard on "acs_trimmed"', async () => (readText(sync.outputPath) ?? '').includes('m/heard-on-the-trimmed-channel'), 3_000);
    } finally {
      await sync.stop();
    }
  });

  it('can trim agent-install.sh --channel " name " and reset it with the default name', async () => {
    const installed = await runInstaller(db, ['--channel', '  acs_installed\t']);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain('the triggers notify "acs_installed"');
    await withClient(db.url, async (client) => {
      expect(await triggerChannelSetting(client)).toBe('acs_installed');
    });
    const reset = await runInstaller(db, ['--channel=  agent_config_changed ']);
    expect(reset.code, reset.stderr).toBe(0);
    await withClient(db.url, async (client) => {
      expect(await triggerChannelSetting(client)).toBeNull();
    });
  });

  it('can say that an unusable database setting makes the triggers notify the default channel', async () => {
    await withClient(db.url, async (client) => {
      await migrate(client);
      await client.query(`ALTER DATABASE ${pg.escapeIdentifier(db.name)} SET agent_config_sync.channel = ${pg.escapeLiteral(MULTIBYTE)}`);
      expect(await triggerChannel(client)).toBe('agent_config_changed');
    });
    const verified = await runCli(['migrate', '--verify-only', '--database-url', db.url], dir);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toContain('the triggers notify "agent_config_changed"');
    expect(verified.stderr).toContain('agent_config_sync.channel');
    expect(verified.stderr).toContain('(80 bytes) is not a usable channel');
  });
});
