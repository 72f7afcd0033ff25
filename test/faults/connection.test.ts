import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { makeBackoff } from '../../src/domain/backoff.js';
import { connectionsOf, createTestDatabase, withAdmin, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';

const APP = 'agent_config_sync';

/** Terminates the pipeline's listening backend; resolves with how many backends were ended. */
async function killListener(database: string): Promise<number> {
  return withAdmin(async (admin) => {
    const result = await admin.query<{ ended: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity
        WHERE datname = $1 AND application_name = $2 AND query ILIKE 'LISTEN %'`,
      [database, APP],
    );
    return result.rows.filter((r) => r.ended).length;
  });
}

async function listenerUp(database: string): Promise<boolean> {
  return withAdmin(async (admin) => {
    const result = await admin.query(
      `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2 AND query ILIKE 'LISTEN %'`,
      [database, APP],
    );
    return (result.rowCount ?? 0) > 0;
  });
}

describe('the listening connection under faults', () => {
  let db: TestDatabase;
  let client: pg.Client;

  beforeAll(async () => {
    db = await createTestDatabase('faults_conn');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
  });

  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  const caughtUp = async (sync: PipelineUnderTest, what: string, timeoutMs = 10_000) => {
    const want = await expectedText(db.url);
    return waitFor(what, () => readText(sync.outputPath) === want, timeoutMs);
  };

  it('can survive 100 kills interleaved with bursts, the file equal to the database after each', async () => {
    const sync = startPipeline(db.url, { debounceMs: 10, maxWaitMs: 100, reconnectDelay: () => 20 });
    try {
      await caughtUp(sync, 'initial sync');
      let ended = 0;
      let slowest = 0;
      for (let round = 1; round <= 100; round++) {
        await waitFor(`listener up before kill ${round}`, () => listenerUp(db.name), 10_000);
        // Changes just before the kill (their notifications may or may not arrive) …
        await client.query(`UPDATE agents SET model = $1 WHERE name = 'alpha'`, [`m/a-${round}`]);
        ended += await killListener(db.name);
        // … and while the connection is down (their notifications are lost: only the resync finds them).
        await client.query(`INSERT INTO agents (name, model) VALUES ($1, 'm/n')`, [`agent-${round}`]);
        if (round > 1) await client.query(`DELETE FROM agents WHERE name = $1`, [`agent-${round - 1}`]);
        await client.query(`UPDATE agent_system_config SET value = $1 WHERE key = 'max_spawn_depth'`, [String((round % 5) + 1)]);
        slowest = Math.max(slowest, await caughtUp(sync, `catch-up after kill ${round}`));
      }
      // The last catch-up may have come from a notification sent before the kill; its reconnect follows.
      const reconnected = () => sync.log.lines.filter((l) => l.message.includes('reconnected to PostgreSQL; resyncing')).length;
      await waitFor('the last reconnect', () => reconnected() >= 100, 10_000).catch(() => undefined);
      const reconnects = reconnected();
      console.log(`100 kills: ${ended} listening backends ended, ${reconnects} reconnects, ${sync.written.length} writes, slowest catch-up ${slowest} ms`);
      expect(ended).toBe(100);
      expect(reconnects).toBeGreaterThanOrEqual(100);
      expect(sync.log.lines.filter((l) => l.level === 'error')).toEqual([]);
      expect(JSON.parse(readText(sync.outputPath)!).agents.entries['agent-100'].model).toBe('m/n');
    } finally {
      await sync.stop();
    }
    expect(await connectionsOf(APP, db.name)).toBe(0);
  });

  it('can keep retrying with a doubling delay while the database refuses connections, then catch up', async () => {
    const asked: [number, number][] = [];
    const schedule = makeBackoff(20, 320);
    const sync = startPipeline(db.url, {
      debounceMs: 10,
      maxWaitMs: 100,
      reconnectDelay: (attempt) => {
        const ms = schedule(attempt);
        asked.push([attempt, ms]);
        return ms;
      },
    });
    try {
      await caughtUp(sync, 'initial sync');
      await withAdmin((admin) => admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`));
      await killListener(db.name);
      await waitFor('seven failed attempts in a row', () => asked.some(([attempt]) => attempt >= 7), 20_000);
      await withAdmin((admin) => admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`));
      await client.query(`UPDATE agents SET model = 'm/after-outage' WHERE name = 'beta'`);
      await caughtUp(sync, 'catch-up after the outage');

      const episode = asked.map(([, ms]) => ms).slice(0, 7);
      console.log(`reconnect delays asked during the outage: ${episode.join(', ')} ms`);
      expect(episode).toEqual([20, 40, 80, 160, 320, 320, 320]);
      expect(asked.slice(0, 7).map(([attempt]) => attempt)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      // Warned once when the outage began, not at every retry.
      expect(sync.log.lines.filter((l) => l.level === 'warn' && l.message.includes('listening connection to PostgreSQL unavailable'))).toHaveLength(1);
    } finally {
      await withAdmin((admin) => admin.query(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`));
      await sync.stop();
    }
  });
});

describe('gateway-style restarts', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('faults_cycles');
    await withAdmin(async (admin) => {
      await migrate(admin);
      await admin.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true)`);
    }, db.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-cycles-'));
  });

  afterAll(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('can start and stop the service 50 times, hold at most two connections, leak none, and let the process exit by itself', async () => {
    const fixture = path.resolve('test/faults/fixtures/serviceCycles.mjs');
    const output = path.join(dir, 'agents.json');
    const child = spawn(process.execPath, [fixture, db.url, output, '50'], {
      env: { PATH: process.env.PATH ?? '', HOME: dir, OPENCLAW_STATE_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let doneAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (doneAt === 0 && stdout.includes('"done":true')) doneAt = Date.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    let most = 0;
    let running = true;
    void exited.then(() => (running = false));
    // Sample while it runs; after its last stop it has 20 s to exit by itself.
    while (running && !(doneAt > 0 && Date.now() - doneAt > 20_000)) {
      most = Math.max(most, await connectionsOf(APP, db.name));
      await new Promise((r) => setTimeout(r, 25));
    }
    const code = running ? 'hung' : await exited;
    if (code === 'hung') child.kill('SIGKILL');

    const cycles = stdout.split('\n').filter((l) => /^cycle \d+$/.test(l)).length;
    const report = JSON.parse(stdout.split('\n').find((l) => l.includes('"done":true')) ?? '{}') as { errors?: string[] };
    console.log(`50 start/stop cycles: ${cycles} completed, at most ${most} connections at once, exited ${Date.now() - doneAt} ms after the last stop`);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(cycles).toBe(50);
    expect(report.errors).toEqual([]);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(2);
    expect(await connectionsOf(APP, db.name)).toBe(0);
  });
});
