// One full sync in a process of its own, so its peak RSS is the sync's alone; then, in the same running
// sync, a few single-row UPDATEs (a resync of the whole roster after one change, warm).
// Usage: node bench/scale-child.mjs DATABASE_URL OUTPUT_PATH
// Prints {ms, agents, bytes, maxRssKb, baselineRssKb, resyncMs: [..]} as JSON on stdout.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { parseAgentsSource } from '../dist/db/source.js';
import { makeLogger } from '../dist/logger.js';
import { startPipeline as runPipeline } from '../dist/pipeline.js';

const RESYNCS = 5;
const [url, outputPath] = process.argv.slice(2);
const baselineRssKb = process.resourceUsage().maxRSS;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`${m}\n`) };
let onWrite = () => undefined;
const started = performance.now();
const written = await new Promise((resolve) => {
  const running = runPipeline({
    connection: { connectionString: url, application_name: 'agent_config_sync_bench' },
    channel: 'agent_config_changed',
    agentsSource: parseAgentsSource('agents'),
    outputPath,
    debounceMs: 0,
    maxWaitMs: 0,
    render: { format: 'entries', layout: 'root' },
    reload: async () => undefined,
    allowEmpty: false,
    logger: makeLogger(quiet),
    onWritten: (w) => (onWrite === undefined ? resolve({ w, running }) : onWrite(w)),
  });
  onWrite = undefined;
});
const ms = performance.now() - started;
const maxRssKb = process.resourceUsage().maxRSS;

const client = new pg.Client({ connectionString: url });
await client.connect();
const resyncMs = [];
for (let i = 0; i < RESYNCS; i += 1) {
  const next = new Promise((resolve) => (onWrite = resolve));
  const sent = performance.now();
  await client.query(`UPDATE agents SET model = $1 WHERE name = 'agent-1'`, [`anthropic/claude-sonnet-4-5-r${i}`]);
  await next;
  resyncMs.push(performance.now() - sent);
}
await client.end();
await written.running.dispose();
process.stdout.write(`${JSON.stringify({ ms, agents: written.w.agentCount, bytes: Buffer.byteLength(written.w.text), maxRssKb, baselineRssKb, resyncMs })}\n`);
