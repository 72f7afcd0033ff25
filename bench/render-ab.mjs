// The pure render of 10 000 agents, one build against another, in one process (not part of npm run bench).
// Usage: node bench/render-ab.mjs BEFORE_ROOT [AFTER_ROOT]   (each a checkout with a built dist/; AFTER defaults to this one)
// The two builds take turns on the same in-memory rosters, and each render is timed in CPU time
// (process.cpuUsage), so other work on a busy machine moves both alike. ROUNDS (default 25) renders each.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
const here = path.dirname(fileURLToPath(import.meta.url));
const load = (root) => import(pathToFileURL(path.resolve(root, 'dist/domain/render.js')).href);
const A = await load(process.argv[2]);
const B = await load(process.argv[3] ?? path.join(here, '..'));
const columns = ['id','is_default','instance_type','status','heartbeat_enabled','heartbeat_every','heartbeat_target','heartbeat_to','thinking','openclaw_config','fallback_models','allowed_subagents'];
const base = (i) => ({ id: i + 1, name: `agent-${i}`, model: 'anthropic/claude-sonnet-4-5', fallback_models: ['openai/gpt-5'], is_default: i === 0, instance_type: null, status: null, heartbeat_enabled: null, heartbeat_every: null, heartbeat_target: null, heartbeat_to: null, thinking: null, allowed_subagents: null, openclaw_config: null });
const rosters = {
  columnsOnly: Array.from({ length: 10000 }, (_, i) => base(i)),
  allowedSettings: Array.from({ length: 10000 }, (_, i) => ({ ...base(i), heartbeat_enabled: true, heartbeat_every: '30m', heartbeat_target: 'last', openclaw_config: { identity: { name: `Agent ${i}`, emoji: '🤖' }, description: `Runs job \${JOB_${i}} nightly` } })),
  plainSettings: Array.from({ length: 10000 }, (_, i) => ({ ...base(i), heartbeat_enabled: true, heartbeat_every: '30m', heartbeat_target: 'last', openclaw_config: { identity: { name: `Agent ${i}`, emoji: '🤖' }, description: `Runs job ${i} nightly` } })),
};
const RENDER = { format: 'entries', layout: 'root' };
const ROUNDS = Number(process.env.ROUNDS ?? 25);
for (const [name, agents] of Object.entries(rosters)) {
  const snapshot = { agents, systemConfig: [], columns };
  const t = { A: [], B: [] };
  for (let r = 0; r < ROUNDS + 3; r++) {
    for (const [k, m] of r % 2 ? [['A', A], ['B', B]] : [['B', B], ['A', A]]) {
      const c0 = process.cpuUsage(); m.renderSnapshot(snapshot, RENDER); const c = process.cpuUsage(c0); const ms = (c.user + c.system) / 1000;
      if (r >= 3) t[k].push(ms);
    }
  }
  const med = (x) => { const s = [...x].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
  const min = (x) => Math.min(...x);
  console.log(`${name}: before p50 ${med(t.A).toFixed(1)} min ${min(t.A).toFixed(1)} | after p50 ${med(t.B).toFixed(1)} min ${min(t.B).toFixed(1)} | p50 ratio ${(med(t.B) / med(t.A)).toFixed(3)} min ratio ${(min(t.B) / min(t.A)).toFixed(3)}`);
}
