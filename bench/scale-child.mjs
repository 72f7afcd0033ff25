// One full sync in a process of its own, so its peak RSS is the sync's alone.
// Usage: node bench/scale-child.mjs DATABASE_URL OUTPUT_PATH
// Prints {ms, agents, bytes, maxRssKb, baselineRssKb} as JSON on stdout.
import { performance } from 'node:perf_hooks';
import { parseAgentsSource } from '../dist/db/source.js';
import { makeLogger } from '../dist/logger.js';
import { runPipeline } from '../dist/pipeline.js';

const [url, outputPath] = process.argv.slice(2);
const baselineRssKb = process.resourceUsage().maxRSS;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m) => process.stderr.write(`${m}\n`) };
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
    onWritten: (w) => resolve({ w, running }),
  });
});
const ms = performance.now() - started;
await written.running.dispose();
process.stdout.write(
  `${JSON.stringify({ ms, agents: written.w.agentCount, bytes: Buffer.byteLength(written.w.text), maxRssKb: process.resourceUsage().maxRSS, baselineRssKb })}\n`,
);
