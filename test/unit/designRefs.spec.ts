import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every file under `dir` whose name ends with one of `endings`, recursively. */
function filesUnder(dir: string, endings: readonly string[]): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'sql-before-ledger' ? [] : filesUnder(full, endings);
    return endings.some((e) => entry.name.endsWith(e)) ? [full] : [];
  });
}

/**
 * The design the comments cite lives in the repository (docs/design.md): a reference to a file outside
 * it ("DESIGN §N") or to a section it does not have cannot be followed by whoever carries the code on.
 */
/** The old citation of the design file outside the repository (spelled in two parts, so this file does not match itself). */
const OUTSIDE = new RegExp(`${'DESIGN'} §\\d`);

describe('design references', () => {
  const design = fs.readFileSync('docs/design.md', 'utf8');
  const sections = new Set([...design.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
  const files = [...filesUnder('src', ['.ts']), ...filesUnder('test', ['.ts', '.mjs']), ...filesUnder('bench', ['.mjs']), 'README.md', ...filesUnder('docs', ['.md'])];

  it('can resolve every § a file cites to a section of docs/design.md, and cites no design outside the repository', () => {
    const outside: string[] = [];
    const dangling: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      if (OUTSIDE.test(text)) outside.push(file);
      for (const m of text.matchAll(/design\.md(?:#[\w-]+)? ((?:§\d+(?:, )?)+)/g)) {
        for (const n of m[1]!.matchAll(/§(\d+)/g)) if (!sections.has(n[1]!)) dangling.push(`${file}: §${n[1]}`);
      }
    }
    expect(sections.size).toBeGreaterThanOrEqual(13);
    expect(outside).toEqual([]);
    expect(dangling).toEqual([]);
  });
});
