// Bad data as denial of service (issue 11, item 5): the pure domain on one row with an 80 000-element
// text[] (twice: fallback_models and allowed_subagents), one with 80 000 NULL elements and 20 000 rows
// with a NULL model, then the problem filter, twice (a resync with nothing new). No database.
// Run alone with `node bench/bad-data.mjs` after `npm run build`; bench/run.mjs includes it.
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { makeProblemFilter } from '../dist/domain/problems.js';
import { renderSnapshot } from '../dist/domain/render.js';

export function badData() {
  const row = (id, name, model, extra = {}) => ({ id, name, model, fallback_models: null, allowed_subagents: null, is_default: false, instance_type: 'primary', ...extra });
  const agents = [
    row(1, 'main', 'anthropic/claude-sonnet-4'),
    row(2, 'wide', 'w/primary', {
      fallback_models: Array.from({ length: 80_000 }, (_, i) => `f/${i}`),
      allowed_subagents: Array.from({ length: 80_000 }, (_, i) => `sub-${i}`),
    }),
    row(3, 'holes', 'h/primary', { fallback_models: Array.from({ length: 80_000 }, () => null) }),
    ...Array.from({ length: 20_000 }, (_, i) => row(10 + i, `nomodel-${i}`, null)),
  ];
  const snapshot = { agents, systemConfig: [], columns: ['id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type'] };
  const options = { format: 'entries', layout: 'root' };
  const filter = makeProblemFilter();
  const t0 = performance.now();
  const first = renderSnapshot(snapshot, options);
  const t1 = performance.now();
  const warned = filter(first.problems);
  const t2 = performance.now();
  filter(renderSnapshot(snapshot, options).problems);
  const t3 = performance.now();
  return {
    rows: agents.length,
    problems: first.problems.length,
    warned: warned.length,
    renderMs: Math.round(t1 - t0),
    filterMs: Math.round(t2 - t1),
    secondResyncMs: Math.round(t3 - t2),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(badData());
