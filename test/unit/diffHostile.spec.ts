import { describe, expect, it } from 'vitest';
import { diffJson, formatChange, parseJsonOrUndefined } from '../../src/domain/diff.js';

/**
 * diffJson and formatChange read the file on disk, which another writer can change (drift): whatever
 * it holds, they never throw, and a change line is one escaped line.
 */
describe('diffJson / formatChange on a hostile file', () => {
  const nested = (depth: number) => parseJsonOrUndefined(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
  const nestedArray = (depth: number) => parseJsonOrUndefined(`${'['.repeat(depth)}1${']'.repeat(depth)}`);

  it.each([5_000, 100_000])('can diff an object nested %i deep without throwing', (depth) => {
    const before = nested(depth);
    expect(before).toBeDefined();
    const changes = diffJson(before, { agents: { x: 1 } });
    expect(changes).toHaveLength(2);
    expect(changes.find((c) => c.path === 'agents.x')).toEqual({ path: 'agents.x', before: undefined, after: 1 });
    for (const change of changes) expect(formatChange(change).length).toBeLessThan(5_000);
  });

  it('can diff and show an array nested 100 000 deep without throwing', () => {
    const before = { agents: { list: nestedArray(100_000) } };
    const changes = diffJson(before, { agents: { list: [] } });
    expect(changes).toHaveLength(1);
    expect(formatChange(changes[0]!)).toMatch(/^agents\.list: \(too deeply nested to show\) → \[\]$/);
  });

  it('can tell two equal deep subtrees apart from different ones', () => {
    expect(diffJson(nested(5_000), nested(5_000))).toEqual([]);
    expect(diffJson({ x: nested(40) }, { x: nested(40) })).toEqual([]);
    expect(diffJson({ x: nested(40) }, { x: nested(41) })).toHaveLength(1);
  });

  it('can escape keys and values with newlines, ANSI escapes and line separators into one line', () => {
    const changes = diffJson({ agents: { entries: {} } }, { agents: { entries: { 'evil\n\u001b[31m': { model: 'a\u2028b\u009b' } } } });
    expect(changes.map(formatChange)).toEqual(['agents.entries["evil\\n\\u001b[31m"].model: (none) → "a\\u2028b\\u009b"']);
  });

  it('can bound a huge value in a change line', () => {
    const line = formatChange({ path: 'agents.entries.x.model', before: 'a'.repeat(1 << 20), after: 'b' });
    expect(line.length).toBeLessThan(5_000);
    expect(line).toContain('(1048578 characters)');
  });
});
