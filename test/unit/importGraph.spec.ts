import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The direction of imports in src/ (docs/architecture.md): no cycle anywhere, type imports included,
 * and the pure domain imports nothing but itself and pure libraries. Built from the files themselves,
 * so a new edge that breaks a rule fails here, naming it.
 */
const SRC = path.resolve('src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every `import … from` / `export … from` of a file: relative ones resolved to files under src/, others as written. */
function importsOf(file: string): { local: string[]; packages: string[] } {
  const text = fs.readFileSync(file, 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gm)) {
    const spec = match[1]!;
    if (spec.startsWith('.')) local.push(path.relative(SRC, path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'))));
    else packages.push(spec);
  }
  return { local, packages };
}

const graph = new Map(sourceFiles(SRC).map((file) => [path.relative(SRC, file), importsOf(file)]));

/** Every cycle, each once, as a path a → b → … → a. */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next].join(' → '));
      else if (!state.has(next) && edges.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe('the import graph of src/', () => {
  it('can be read: every relative import names a file that exists', () => {
    const missing = [...graph].flatMap(([file, { local }]) => local.filter((l) => !graph.has(l)).map((l) => `${file} → ${l}`));
    expect(graph.size).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('can have no import cycle, type imports included', () => {
    expect(findCycles(new Map([...graph].map(([file, { local }]) => [file, local])))).toEqual([]);
  });

  it('can keep the domain pure: it imports only the domain, node:path and json5', () => {
    const upward = [...graph]
      .filter(([file]) => file.startsWith(`domain${path.sep}`))
      .flatMap(([file, { local, packages }]) => [
        ...local.filter((l) => !l.startsWith(`domain${path.sep}`)).map((l) => `${file} → ${l}`),
        ...packages.filter((p) => !['node:path', 'json5'].includes(p)).map((p) => `${file} → ${p}`),
      ]);
    expect(upward).toEqual([]);
  });

  it('can keep effects below the flow: sinks, sources and db import no operator and not the pipeline', () => {
    const rooms = ['sinks', 'streams', 'db'].map((room) => `${room}${path.sep}`);
    const upward = [...graph]
      .filter(([file]) => rooms.some((room) => file.startsWith(room)))
      .flatMap(([file, { local }]) => local.filter((l) => l.startsWith(`operators${path.sep}`) || l === 'pipeline.ts').map((l) => `${file} → ${l}`));
    expect(upward).toEqual([]);
  });

  it('can find a cycle when there is one (the check itself)', () => {
    expect(findCycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual(['a → b → c → a']);
  });
});
