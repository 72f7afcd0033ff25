import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';
import { startPgBouncer, type TestServer } from '../support/servers.js';
import { assertBuilt, makeTempDir, runCli } from '../cli/cli.js';

/** docs/design.md §9: LISTEN needs a session. A real PgBouncer in front of the test server, in both pool modes. */
describe('PgBouncer', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const bouncers: Partial<Record<'session' | 'transaction', TestServer>> = {};
  let sync: PipelineUnderTest | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('pooler');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha')`);
    const server = new URL(db.url);
    for (const mode of ['session', 'transaction'] as const) {
      bouncers[mode] = await startPgBouncer({ serverPort: Number(server.port), user: server.username, password: decodeURIComponent(server.password), mode });
    }
  });

  afterEach(async () => {
    await sync?.stop();
    sync = undefined;
  });

  afterAll(async () => {
    await Promise.all(Object.values(bouncers).map((b) => b.stop()));
    await client.end();
    await db.drop();
  });

  const through = (mode: 'session' | 'transaction') => {
    const url = new URL(db.url);
    url.port = String(bouncers[mode]!.port);
    url.password = '';
    return url.toString();
  };

  it('can sync through a session-mode pool: first write, then a change follows', async () => {
    sync = startPipeline(through('session'), { probeTimeoutMs: 2_000 });
    await waitFor('listening', () => sync!.running.status().connected);
    await waitFor('first write', () => sync!.written.length > 0);
    await client.query(`UPDATE agents SET model = 'm/alpha-2' WHERE name = 'alpha'`);
    await waitFor('the change through the pool', () => (readText(sync!.outputPath) ?? '').includes('m/alpha-2'));
    expect(sync.log.text()).not.toContain('LISTEN does not hold');
  });

  it('can detect a transaction-mode pool and refuse to listen through it, naming the fix', async () => {
    sync = startPipeline(through('transaction'), { probeTimeoutMs: 500, reconnectDelay: () => 300 });
    await waitFor('the refusal', () => sync!.log.text().includes('use a session-mode pool or a direct connection'));
    const line = sync.log.lines.find((l) => l.message.includes('LISTEN does not hold'))!;
    expect(line.level).toBe('warn');
    expect(line.message).toContain('PgBouncer pool_mode = transaction');
    // Refused, and refused again on the retry: never reported as listening.
    await waitFor('a second refusal', () => sync!.log.lines.filter((l) => l.message.includes('LISTEN does not hold')).length >= 2);
    expect(sync.running.status().connected).toBe(false);
    expect(sync.running.status().lastError?.message).toContain('session-mode pool');
  });
});

describe('PgBouncer and doctor', () => {
  let db: TestDatabase;
  let bouncer: TestServer;
  let home: string;

  beforeAll(async () => {
    assertBuilt();
    home = makeTempDir('pooler-doctor');
    db = await createTestDatabase('pooler_doctor');
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model) VALUES ('alpha', 'm/alpha')`);
    await client.end();
    const server = new URL(db.url);
    bouncer = await startPgBouncer({ serverPort: Number(server.port), user: server.username, password: decodeURIComponent(server.password), mode: 'transaction' });
  });

  afterAll(async () => {
    await bouncer?.stop();
    await db?.drop();
  });

  it('can fail doctor through a transaction-mode pool, naming the session-mode fix', async () => {
    const url = new URL(db.url);
    url.port = String(bouncer.port);
    url.password = '';
    const result = await runCli(['doctor', '--json', '--output', `${home}/agents.json`, '--timeout-ms', '1000', '--database-url', url.toString()], home);
    const report = JSON.parse(result.stdout) as { checks: { id: string; status: string; detail: string; advice?: string }[] };
    const listen = report.checks.find((c) => c.id === 'listen')!;
    expect(listen.status).toBe('fail');
    expect(`${listen.detail} ${listen.advice}`).toContain('session');
    expect(result.code).toBe(1);
  });
});
