import { describe, expect, it } from 'vitest';
import { LISTED_PROBLEMS, makeProblemFilter } from '../../src/domain/problems.js';
import { renderSnapshot } from '../../src/domain/render.js';
import type { Problem, Snapshot } from '../../src/domain/types.js';

const p = (key: string, message = `message of ${key}`): Problem => ({ key, message });

describe('makeProblemFilter', () => {
  // Each step is one resync: the problems found, then the keys expected to be reported.
  const table: { name: string; steps: [string[], string[]][] }[] = [
    { name: 'can report a problem once across resyncs', steps: [[['a'], ['a']], [['a'], []], [['a'], []]] },
    { name: 'can report a problem again after it went away and came back', steps: [[['a'], ['a']], [[], []], [['a'], ['a']], [['a'], []]] },
    { name: 'can report only the new problem when one is added', steps: [[['a'], ['a']], [['a', 'b'], ['b']], [['b', 'a'], []]] },
    { name: 'can forget one problem while keeping another', steps: [[['a', 'b'], ['a', 'b']], [['b'], []], [['a', 'b'], ['a']]] },
    { name: 'can report a key that appears twice in one resync once', steps: [[['a', 'a', 'b'], ['a', 'b']], [['a'], []]] },
    { name: 'can report nothing for no problems', steps: [[[], []], [[], []]] },
  ];
  for (const { name, steps } of table) {
    it(name, () => {
      const filter = makeProblemFilter();
      for (const [found, reported] of steps) expect(filter(found.map((k) => p(k))).map((x) => x.key)).toEqual(reported);
    });
  }

  it('can keep the first message of a key and the order of the problems', () => {
    const filter = makeProblemFilter();
    expect(filter([p('b', 'B1'), p('a', 'A1'), p('b', 'B2')])).toEqual([p('b', 'B1'), p('a', 'A1')]);
  });

  it('can keep separate memories per filter', () => {
    const one = makeProblemFilter();
    const two = makeProblemFilter();
    expect(one([p('a')])).toHaveLength(1);
    expect(two([p('a')])).toHaveLength(1);
  });

  it('can de-duplicate the problems of a real bad row across resyncs, and re-report it after a fix is undone', () => {
    const bad: Snapshot = { agents: [{ id: 1, name: '../x', model: 'm' }], systemConfig: [{ key: 'max_spawn_depth', value: '9', value_type: 'integer' }], columns: [] };
    const fixed: Snapshot = { agents: [{ id: 1, name: 'x', model: 'm' }], systemConfig: [{ key: 'max_spawn_depth', value: '9', value_type: 'integer' }], columns: [] };
    const filter = makeProblemFilter();
    const render = (s: Snapshot) => filter(renderSnapshot(s, { format: 'entries', layout: 'root' }).problems).map((x) => x.message);
    const first = render(bad);
    expect(first).toHaveLength(2);
    expect(render(bad)).toEqual([]);
    expect(render(fixed)).toEqual([]); // the clamp is still the same problem; the id problem is gone
    const again = render(bad);
    expect(again).toHaveLength(1);
    expect(again[0]).toContain('../x');
  });

  it('can list at most LISTED_PROBLEMS new problems of one resync, then count the rest in one line', () => {
    const filter = makeProblemFilter();
    const many = Array.from({ length: LISTED_PROBLEMS + 150 }, (_, i) => p(`k${i}`));
    const first = filter(many);
    expect(first).toHaveLength(LISTED_PROBLEMS + 1);
    expect(first.slice(0, LISTED_PROBLEMS)).toEqual(many.slice(0, LISTED_PROBLEMS));
    expect(first[LISTED_PROBLEMS]!.message).toBe(`150 more new problems in this snapshot are not listed one by one (\`agent-config-sync status\` lists them all)`);
    // The unlisted ones were counted, so they are not listed later either; a new one is.
    expect(filter(many)).toEqual([]);
    expect(filter([...many, p('new')]).map((x) => x.key)).toEqual(['new']);
  });

  it('can take a smaller or no limit', () => {
    const many = Array.from({ length: 30 }, (_, i) => p(`k${i}`));
    expect(makeProblemFilter(5)(many).map((x) => x.key)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'problems:unlisted']);
    expect(makeProblemFilter(Number.POSITIVE_INFINITY)(many)).toEqual(many);
  });

  it('can de-duplicate 20 000 problems that share a few keys, keeping the first of each', () => {
    const filter = makeProblemFilter();
    const repeated = Array.from({ length: 20_000 }, (_, i) => p(`k${i % 7}`, `m${i}`));
    expect(filter(repeated)).toEqual(Array.from({ length: 7 }, (_, i) => p(`k${i}`, `m${i}`)));
  });
});
