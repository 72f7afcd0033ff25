import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * No function in src/ longer than {@link MAX_LINES} lines: a function that long does more than one
 * thing, and the next change to it lands in the middle of all of them. Measured with the TypeScript
 * parser, from the function's first token to its last (its doc comment not counted, the closures it
 * holds counted with it), for declarations, methods, accessors, constructors, function expressions
 * and arrows alike.
 */
const MAX_LINES = 120;

const SRC = path.resolve('src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every function-like node of `text` longer than `max` lines, as `file:line (n lines)`. */
function longFunctions(file: string, text: string, max: number): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) found.push(`${file}:${first + 1} ${nameOf(node)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The function's name when it has one (a declaration, a method, a variable holding an arrow), for the message. */
function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name !== undefined && ts.isIdentifier(named.name)) return named.name.text;
  if (ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
  if (ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text;
  return '(anonymous)';
}

describe('the length of functions in src/', () => {
  it(`can keep every function at ${MAX_LINES} lines or fewer`, () => {
    const long = sourceFiles(SRC).flatMap((file) => longFunctions(path.relative(process.cwd(), file), fs.readFileSync(file, 'utf8'), MAX_LINES));
    expect(long).toEqual([]);
  });

  it('can find a long function, method or arrow when there is one (the check itself)', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = [
      `/** A doc comment is not counted. */`,
      `export function long(): void {\n${body(3)}\n}`,
      `class C {\n  method(): void {\n${body(4)}\n  }\n}`,
      `const arrow = () => {\n${body(2)}\n};`,
    ].join('\n');
    expect(longFunctions('x.ts', text, 4)).toEqual(['x.ts:2 long (5 lines)', 'x.ts:8 method (6 lines)']);
    expect(longFunctions('x.ts', text, 3)).toEqual(['x.ts:2 long (5 lines)', 'x.ts:8 method (6 lines)', 'x.ts:15 arrow (4 lines)']);
  });
});
