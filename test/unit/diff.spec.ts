import { describe, expect, it } from 'vitest';
import { diffJson, formatChange } from '../../src/domain/diff.js';

describe('diffJson / formatChange', () => {
  const cases: [string, unknown, unknown, string[]][] = [
    ['a changed model', { m: 'a' }, { m: 'b' }, ['m: "a" → "b"']],
    ['a new agent, leaf by leaf', { e: {} }, { e: { x: { model: 'm' } } }, ['e.x.model: (none) → "m"']],
    ['a removed key', { e: { x: 1, y: 2 } }, { e: { x: 1 } }, ['e.y: 2 → (none)']],
    ['a model gaining fallbacks (string → object), whole', { m: 'a' }, { m: { primary: 'a', fallbacks: ['b'] } }, ['m: "a" → {"primary":"a","fallbacks":["b"]}']],
    ['an array compared whole', { l: ['a', 'b'] }, { l: ['a', 'c'] }, ['l: ["a","b"] → ["a","c"]']],
    ['nothing', { a: { b: [1] } }, { a: { b: [1] } }, []],
    ['a first file', undefined, { a: 1 }, ['a: (none) → 1']],
  ];
  it.each(cases)('can describe %s', (_name, before, after, want) => {
    expect(diffJson(before, after).map(formatChange)).toEqual(want);
  });
});
