import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminUrl, withAdmin } from '../helpers/db.js';
import { startFreezeProxy, type FreezeProxy } from '../support/freezeProxy.js';
import { sleep } from './fixtures/convergence.js';

/** The tool of frozen.test.ts: proves a frozen connection stays open and silent, and new ones work. */
describe('the freeze proxy', () => {
  let proxy: FreezeProxy;
  let url: string;

  beforeAll(async () => {
    const admin = new URL(adminUrl());
    proxy = await startFreezeProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    url = proxy.urlFor(adminUrl());
  });

  afterAll(async () => {
    await proxy.close();
  });

  it('can relay, then freeze current connections open and silent while new ones still relay, then close them all', async () => {
    const frozen = new pg.Client({ connectionString: url, application_name: 'acs_freeze_probe' });
    frozen.on('error', () => undefined); // the close at the end ends it
    await frozen.connect();
    expect((await frozen.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    const backend = (await frozen.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

    proxy.freeze();
    expect(proxy.frozen()).toBe(1);
    let answered = false;
    const pending = frozen.query('SELECT 2').then(
      () => (answered = true),
      () => undefined,
    );
    await sleep(500);
    expect(answered).toBe(false);
    // The server still holds the frozen connection's backend: nothing was closed.
    const alive = await withAdmin((admin) => admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [backend]));
    expect(alive.rowCount).toBe(1);

    const fresh = new pg.Client({ connectionString: url });
    await fresh.connect();
    expect((await fresh.query('SELECT 3 AS three')).rows[0].three).toBe(3);
    await fresh.end();

    await proxy.close();
    await pending;
    expect(answered).toBe(false);
    expect(proxy.connections()).toBe(0);
  });
});
