// Output bytes of the pure render, as hashes: a refactoring that must not change behaviour prints the same lines
// before and after (not part of npm run bench).
// Usage: node bench/render-hash.mjs [ROOT ...]   (each a checkout with a built dist/; default this one)
// For each roster of 10 000 agents (plain columns, allowed settings, and hostile rows that warn on every reader)
// and each roster shape and layout, prints the sha256 of the rendered text and of the problems (keys and
// messages, in order), so a change in a warning or its order shows as well as a change in the file.
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const roots = process.argv.length > 2 ? process.argv.slice(2) : [path.join(here, '..')];
const N = 10_000;
const columns = ['id', 'is_default', 'instance_type', 'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config', 'fallback_models', 'allowed_subagents'];
const base = (i) => ({ id: i + 1, name: `agent-${i}`, model: 'anthropic/claude-sonnet-4-5', fallback_models: ['openai/gpt-5'], is_default: i === 0, instance_type: null, status: null, heartbeat_enabled: null, heartbeat_every: null, heartbeat_target: null, heartbeat_to: null, thinking: null, allowed_subagents: null, openclaw_config: null });

/** Row i of the hostile roster: every tenth kind of bad value, cycling, so each reader warns many times. */
function hostile(i) {
  const row = { ...base(i), allowed_subagents: [`agent-${(i + 1) % N}`, '*', ''], heartbeat_enabled: true, heartbeat_every: '30m', thinking: 'high' };
  switch (i % 20) {
    case 0: return { ...row, name: `Bad Name ${i}` };
    case 1: return { ...row, model: null };
    case 2: return { ...row, model: `  m/\u0007${i}` };
    case 3: return { ...row, model: `m/\${SECRET_${i}}` };
    case 4: return { ...row, status: 42 };
    case 5: return { ...row, status: 'retired' };
    case 6: return { ...row, instance_type: 7 };
    case 7: return { ...row, instance_type: 'peer', is_default: i % 40 === 7 };
    case 8: return { ...row, is_default: 'yes' };
    case 9: return { ...row, fallback_models: 'not-a-list' };
    case 10: return { ...row, fallback_models: Array.from({ length: 15 }, (_, k) => (k % 2 ? null : `f/${k}`)) };
    case 11: return { ...row, allowed_subagents: ['BAD ID!', 3, null, 'agent-1'] };
    case 12: return { ...row, thinking: 'galaxy-brain' };
    case 13: return { ...row, heartbeat_enabled: 'maybe' };
    case 14: return { ...row, heartbeat_every: 'soon', heartbeat_target: `t\${X}` };
    case 15: return { ...row, heartbeat_every: '1s', heartbeat_to: 3 };
    case 16: return { ...row, openclaw_config: { tools: { exec: { mode: 'full' } }, identity: { name: `A ${i}`, avatar: 'x' }, $include: './x.json', model: 'o/m' } };
    case 17: return { ...row, openclaw_config: [1, 2] };
    case 18: return { ...row, heartbeat_enabled: false, openclaw_config: { heartbeat: { every: '10m' }, description: `d \${HOME}`, secret: { source: 'env', provider: 'default', id: 'X' } } };
    default: return { ...row, id: { weird: true }, name: `agent-${i - 1}`, is_default: true };
  }
}

const rosters = {
  columnsOnly: Array.from({ length: N }, (_, i) => base(i)),
  allowedSettings: Array.from({ length: N }, (_, i) => ({ ...base(i), heartbeat_enabled: true, heartbeat_every: '30m', heartbeat_target: 'last', thinking: 'low', openclaw_config: { identity: { name: `Agent ${i}`, emoji: '🤖' }, description: `Runs job \${JOB_${i}} nightly` } })),
  hostile: Array.from({ length: N }, (_, i) => hostile(i)),
};
const systemConfig = [
  { key: 'max_spawn_depth', value: '9', value_type: 'integer' },
  { key: 'max_concurrent_subagents', value: 'x', value_type: 'integer' },
  { key: 'max_children_per_agent', value: '3', value_type: 'text' },
];
const options = [
  { format: 'entries', layout: 'root' },
  { format: 'entries', layout: 'section' },
  { format: 'list', layout: 'root', version: { year: 2026, month: 7, patch: 35 } },
  { format: 'list', layout: 'root', version: { year: 2026, month: 4, patch: 29 } },
];
const sha = (text) => crypto.createHash('sha256').update(text).digest('hex');

for (const root of roots) {
  const { renderSnapshot } = await import(pathToFileURL(path.resolve(root, 'dist/domain/render.js')).href);
  console.log(`# ${root}`);
  for (const [name, agents] of Object.entries(rosters)) {
    for (const o of options) {
      const rendered = renderSnapshot({ agents, systemConfig, columns }, o);
      const problems = JSON.stringify(rendered.problems.map((p) => [p.key, p.message]));
      const host = o.version ? ` ${o.version.year}.${o.version.month}.${o.version.patch}` : '';
      console.log(`${name} ${o.format}/${o.layout}${host}: text ${sha(rendered.text)} (${rendered.text.length} chars, ${rendered.agentCount} agents) problems ${sha(problems)} (${rendered.problems.length})`);
    }
  }
}
