import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** The built CLI; the npm test script builds first. */
export const CLI = path.resolve('dist/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Throws a clear message when the CLI was not built (run `npm run build`). */
export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" before these tests`);
}

/**
 * Runs `node dist/cli/main.js ...args` and resolves with its exit code and output (never rejects on
 * a non-zero exit). The child sees no DATABASE_URL, PG* or OPENCLAW_* variables and a HOME of its
 * own, so nothing from the machine's real setup leaks in.
 */
export function runCli(args: string[], home: string, extraEnv: Record<string, string> = {}): Promise<CliResult> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, ...extraEnv };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd: home, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

/** A temp directory standing in for the gateway's state dir (openclaw.json, agents.json) and HOME. */
export function makeTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `acs-cli-${prefix}-`));
}

/** Writes `openclaw.json` into `dir` and returns its path. */
export function writeOpenclawJson(dir: string, config: unknown): string {
  const file = path.join(dir, 'openclaw.json');
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}

/** Runs SQL on a database and closes the connection. */
export async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A fresh database with the schema migrated and two agents: alpha (default) and beta. */
export async function createSeededDatabase(prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix);
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default, instance_type) VALUES
      ('alpha', 'openai/gpt-5', true, 'primary'),
      ('beta', 'anthropic/claude-sonnet-4-5', false, 'subagent')`);
  } finally {
    await client.end();
  }
  return db;
}
