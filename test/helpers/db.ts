import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/** A database of its own for one test (or one file), on the run's shared server. */
export interface TestDatabase {
  readonly url: string;
  readonly adminUrl: string;
  readonly name: string;
  drop(): Promise<void>;
}

export function adminUrl(): string {
  return inject('pgAdminUrl');
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>, url = adminUrl()): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const admin = adminUrl();
  const name = `acs_${prefix.replace(/[^a-z0-9_]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`CREATE DATABASE ${name}`), admin);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    adminUrl: admin,
    name,
    drop: () =>
      withAdmin(async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }, admin),
  };
}

/** Connections to a database opened by the given application_name (pg_stat_activity). */
export async function connectionsOf(applicationName: string, database?: string): Promise<number> {
  return withAdmin(async (client) => {
    const result = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND ($2::text IS NULL OR datname = $2)`,
      [applicationName, database ?? null],
    );
    return Number(result.rows[0]?.n ?? 0);
  });
}
