// The fleet section of npm run bench (docs/design.md §9, issue 13): FLEET_INSTANCES pipelines (default 100) in
// this process, each with its own LISTEN connection, snapshot pool, status writer and file, on one
// server. One commit must reach every file: for each sample, last-file-minus-commit and the spread
// between the first and the last file; then what the idle fleet costs the server per minute.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAgentsSource } from '../dist/db/source.js';
import { gatewayStatusWriter } from '../dist/fleet/statusWriter.js';
import { makeLogger } from '../dist/logger.js';
import { startPipeline as runPipeline } from '../dist/pipeline.js';
import { startCounting, stopCounting } from './queryCounter.mjs';

const INSTANCES = Number(process.env.FLEET_INSTANCES ?? 100);
const SAMPLES = Number(process.env.FLEET_SAMPLES ?? 100);
const COLD_SAMPLES = Number(process.env.FLEET_COLD_SAMPLES ?? 5);

/**
 * @param {{ url: string, database: string, work: string, connect: (url: string) => Promise<any>, observer: any, idleSeconds: number, summary: (s: number[]) => any, sleep: (ms: number) => Promise<void> }} env
 */
export async function fleetBench(env) {
  const quiet = { debug: () => undefined, info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) };
  const log = makeLogger(quiet);
  // FLEET_FILES=disk puts the 100 files on the bench's work folder (one disk: 200 fsyncs per commit
  // queue on it); the default is a tmpfs (/dev/shm) when there is one, where fsync costs nothing, so
  // what is measured is the sync itself, as on 100 machines with a disk each.
  const onTmpfs = process.env.FLEET_FILES !== 'disk' && fs.existsSync('/dev/shm');
  const dir = fs.mkdtempSync(path.join(onTmpfs ? '/dev/shm' : env.work, 'acs-fleet-'));
  /** Per sample: the time each instance's write landed. */
  let landed = [];
  let rendered = [];
  let expected = '';
  /** Every status upsert of every instance: when, and whose. */
  const upserts = [];
  const instances = [];
  for (let i = 0; i < INSTANCES; i++) {
    // A directory each, as gateways have: every instance watches its own file's directory.
    fs.mkdirSync(path.join(dir, `gw-${i}`));
    const outputPath = path.join(dir, `gw-${i}`, 'agents.json');
    const gatewayId = `bench-gw-${i}`;
    const status = gatewayStatusWriter({
      connection: { connectionString: env.url },
      gatewayId,
      outputPath,
      render: { format: 'entries', layout: 'root' },
      logger: log,
      maxWaitMs: 0,
      onUpserted: (_ok, startedAt) => upserts.push({ at: startedAt, gateway: i }),
    });
    const running = runPipeline({
      connection: { connectionString: env.url, application_name: 'agent_config_sync_bench' },
      channel: 'agent_config_changed',
      agentsSource: parseAgentsSource('agents'),
      outputPath,
      debounceMs: 0,
      maxWaitMs: 0,
      render: { format: 'entries', layout: 'root' },
      reload: async () => undefined,
      allowEmpty: false,
      logger: log,
      gatewayId,
      onError: status.failed,
      onSynced: status.synced,
      onRendered: (r) => {
        if (expected !== '' && r.text.includes(expected)) rendered.push(performance.now());
      },
      onWritten: (w) => {
        if (expected !== '' && w.text.includes(expected)) landed.push(performance.now());
      },
    });
    instances.push({ running, status });
  }
  const connected = () => instances.every((i) => i.running.status().connected && i.running.status().writes > 0);
  while (!connected()) await env.sleep(50);

  const writer = await env.connect(env.url);
  const lastFile = [];
  const spread = [];
  for (let s = 0; s < SAMPLES; s++) {
    landed = [];
    rendered = [];
    expected = `fleet/${s}`;
    const t0 = performance.now();
    await writer.query(`UPDATE agents SET model = $1 WHERE name = 'agent-1'`, [expected]);
    const deadline = performance.now() + 10_000;
    while (landed.length < INSTANCES && performance.now() < deadline) await env.sleep(1);
    if (landed.length < INSTANCES) throw new Error(`sample ${s}: only ${landed.length} of ${INSTANCES} files followed within 10 s`);
    lastFile.push(Math.max(...landed) - t0);
    if (process.env.FLEET_DEBUG) console.error(`sample ${s}: rendered ${(Math.min(...rendered) - t0).toFixed(0)}..${(Math.max(...rendered) - t0).toFixed(0)} written ${(Math.min(...landed) - t0).toFixed(0)}..${(Math.max(...landed) - t0).toFixed(0)}`);
    spread.push(Math.max(...landed) - Math.min(...landed));
    await env.sleep(20);
  }
  // Cold: a commit after a quiet spell, when every snapshot pool has closed its idle connection
  // (2 s): all instances connect again (TCP + SCRAM) before they can read.
  const cold = [];
  for (let s = 0; s < COLD_SAMPLES; s++) {
    await env.sleep(3_000);
    landed = [];
    rendered = [];
    expected = `fleet-cold/${s}`;
    const t0 = performance.now();
    await writer.query(`UPDATE agents SET model = $1 WHERE name = 'agent-1'`, [expected]);
    const deadline = performance.now() + 10_000;
    while (landed.length < INSTANCES && performance.now() < deadline) await env.sleep(1);
    if (landed.length < INSTANCES) throw new Error(`cold sample ${s}: only ${landed.length} of ${INSTANCES} files followed within 10 s`);
    cold.push(Math.max(...landed) - t0);
  }
  const change = await changeFigure(env, writer);
  const burst = await statusBurst(env, writer, upserts);
  await writer.end();

  // Idle: nothing changes; the keep-alives and the status rows are what remains.
  // Quiet first: the snapshot pools' idle connections close after 2 s, and an idle backend reports
  // its counters up to 10 s late (PostgreSQL 15+), so the samples' own statements are not counted.
  await env.sleep(12_000);
  const transactions = async () => {
    await env.observer.query('SELECT pg_stat_clear_snapshot()');
    const r = await env.observer.query(`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = $1`, [env.database]);
    return Number(r.rows[0].n);
  };
  const before = await transactions();
  if (process.env.FLEET_DEBUG) {
    for (let k = 0; k < 3; k++) {
      const r = await env.observer.query(`SELECT application_name, state, left(query, 60) AS q, count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 GROUP BY 1, 2, 3 ORDER BY 4 DESC`, [env.database]);
      console.error(JSON.stringify(r.rows));
      await env.sleep(1000);
    }
  }
  const writesBefore = instances.reduce((n, i) => n + i.running.status().writes, 0);
  startCounting();
  await env.sleep(env.idleSeconds * 1_000);
  const sent = stopCounting();
  const statements = (await transactions()) - before;
  const idleWrites = instances.reduce((n, i) => n + i.running.status().writes, 0) - writesBefore;

  const started = performance.now();
  await Promise.all(instances.map(async (i) => Promise.all([i.running.dispose(), i.status.stop()])));
  const disposeMs = performance.now() - started;
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    instances: INSTANCES,
    samples: SAMPLES,
    files: onTmpfs ? 'tmpfs (/dev/shm)' : 'disk',
    // The first sample follows the start (pools just opened); each later one follows the previous by 20 ms.
    lastFileMs: pick(env.summary(lastFile)),
    spreadMs: pick(env.summary(spread)),
    coldLastFileMs: cold.length > 0 ? { samples: cold.length, p50: env.summary(cold).p50, max: env.summary(cold).max } : undefined,
    idleStatementsPerMinute: Math.round((statements / env.idleSeconds) * 60 * 10) / 10,
    // Exact: every query the 100 pipelines sent in the idle window (the server's counters above arrive late).
    idleSentStatementsPerMinute: Math.round((sent.total / env.idleSeconds) * 60 * 10) / 10,
    idleSentByKind: sent.byKind,
    idleSeconds: env.idleSeconds,
    changeSyncedMs: change,
    statusBurst: burst,
    idleWrites,
    disposeAllMs: Math.round(disposeMs),
    method: 'one process; each instance its own LISTEN connection, snapshot pool, status writer, directory and file; debounceMs 0; from sending the UPDATE to the onWritten of the last (and first) instance; samples 20 ms apart (warm pools), cold samples 3 s apart (every pool reconnects)',
  };
}

function pick(s) {
  return { p50: s.p50, p99: s.p99, max: s.max };
}

const CHANGE_SAMPLES = Number(process.env.FLEET_CHANGE_SAMPLES ?? 20);
const BURST_COMMITS = 100;

/**
 * What `fleet --change ID` can say after one commit: for each sample, once every gateway's row holds the
 * change (synced_through at or past it), the last gateway's synced_at minus the change's at, both on the
 * server's clock. Includes the coalescing and the write, not the status write's own delay (synced_at is
 * when the file held it).
 */
async function changeFigure(env, writer) {
  const gaps = [];
  const visibleMs = [];
  // The observer is on the server's maintenance database; the rows and the ledger are in the fleet's.
  const reader = await env.connect(env.url);
  try {
  for (let s = 0; s < CHANGE_SAMPLES; s++) {
    const t0 = performance.now();
    await writer.query(`UPDATE agents SET model = $1 WHERE name = 'agent-1'`, [`fleet-change/${s}`]);
    const id = (await writer.query(`SELECT max(id)::text AS id FROM agent_config_changes`)).rows[0].id;
    const deadline = performance.now() + 30_000;
    for (;;) {
      const r = await reader.query(
        `SELECT count(*) FILTER (WHERE synced_through >= $1::bigint)::int AS have, count(*)::int AS n,
                EXTRACT(EPOCH FROM max(g.synced_at) FILTER (WHERE synced_through >= $1::bigint) - (SELECT at FROM agent_config_changes WHERE id = $1::bigint)) * 1000 AS gap
           FROM agent_config_sync_gateways g WHERE gateway_id LIKE 'bench-gw-%'`,
        [id],
      );
      const row = r.rows[0];
      if (row.have === row.n && row.n > 0) {
        gaps.push(Number(row.gap));
        visibleMs.push(performance.now() - t0);
        break;
      }
      if (performance.now() > deadline) throw new Error(`change sample ${s}: only ${row.have} of ${row.n} rows hold change ${id} after 30 s`);
      await env.sleep(50);
    }
  }
  } finally {
    await reader.end();
  }
  const gap = env.summary(gaps);
  const visible = env.summary(visibleMs);
  return {
    samples: CHANGE_SAMPLES,
    lastSyncedAtMinusChangeAt: { p50: round1(gap.p50), p99: round1(gap.p99), max: round1(gap.max) },
    allRowsShowItMs: { p50: Math.round(visible.p50), p99: Math.round(visible.p99), max: Math.round(visible.max) },
    method: 'per sample one UPDATE; polled until every row has synced_through >= its ledger id; the last synced_at minus the change at (server clock); and from sending the UPDATE until all rows show it (includes the 1-2 s jittered status settle)',
  };
}

/**
 * The fleet's status writes during a burst of 100 commits (one UPDATE each, back to back), counted from
 * the first commit until 5 s after the last: in all, per second, and the most one instance started within
 * any one second (the bound is one; counted by their start times).
 */
async function statusBurst(env, writer, upserts) {
  await env.sleep(3_000);
  const from = performance.now();
  const before = upserts.length;
  for (let c = 0; c < BURST_COMMITS; c++) await writer.query(`UPDATE agents SET model = $1 WHERE name = 'agent-2'`, [`fleet-burst/${c}`]);
  const commitsMs = performance.now() - from;
  await env.sleep(5_000);
  const window = upserts.slice(before).filter((u) => u.at >= from);
  const seconds = (performance.now() - from) / 1000;
  const perInstance = new Map();
  for (const u of window) perInstance.set(u.gateway, [...(perInstance.get(u.gateway) ?? []), u.at]);
  let mostInOneSecond = 0;
  for (const times of perInstance.values()) {
    for (let i = 0; i < times.length; i++) mostInOneSecond = Math.max(mostInOneSecond, times.filter((t) => t >= times[i] && t < times[i] + 1000).length);
  }
  return {
    commits: BURST_COMMITS,
    commitsMs: Math.round(commitsMs),
    windowSeconds: round1(seconds),
    upserts: window.length,
    upsertsPerSecond: round1(window.length / seconds),
    perInstanceMax: Math.max(0, ...[...perInstance.values()].map((t) => t.length)),
    mostByOneInstanceInOneSecond: mostInOneSecond,
  };
}

function round1(n) {
  return Math.round(n * 10) / 10;
}
