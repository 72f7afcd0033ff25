// Run by trustBoundary.e2e.ts under the hosts' Node (24): the host's own env substitution
// (`resolveConfigEnvVars`, src/config/env-substitution.ts in OpenClaw) reads back every escaped text
// as the text itself. Usage: node envEscapeChild.mjs PACKAGE_ROOT → prints {file, checked, wrong} as JSON.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { escapeEnvReferences } from '../../dist/domain/literalText.js';

const dist = path.join(process.argv[2], 'dist');
/** The host's module that defines resolveConfigEnvVars, and the name it exports it under. */
function findSubstitution() {
  for (const name of fs.readdirSync(dist).sort()) {
    if (!/\.m?js$/.test(name)) continue;
    const text = fs.readFileSync(path.join(dist, name), 'utf8');
    if (!text.includes('function resolveConfigEnvVars(')) continue;
    const alias = /resolveConfigEnvVars as (\w+)/.exec(text);
    if (alias) return { file: name, exported: alias[1] };
  }
  throw new Error(`no module exporting resolveConfigEnvVars in ${dist}`);
}
const { file, exported } = findSubstitution();
const resolve = (await import(pathToFileURL(path.join(dist, file)).href))[exported];
// Every name is "set", so a reference the escape missed comes back substituted.
const env = new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? '<SUBSTITUTED>' : undefined) });

const corpus = ['${HOME}', '$${HOME}', '$$${HOME}', 'a ${A}${B_2} b', '${A${B}', '${1A} ${a} ${} ${A', '$', '$$', '${', '}${X}{', 'x$${Y}}', '${GW_SECRET}'];
// Deterministic fuzz over the characters the grammar cares about.
let seed = 42;
const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8);
const alphabet = ['$', '$', '{', '}', 'A', 'B', '_', 'a', '1', ' '];
for (let i = 0; i < 20_000; i += 1) {
  let text = '';
  const length = 1 + (next() % 14);
  for (let j = 0; j < length; j += 1) text += alphabet[next() % alphabet.length];
  corpus.push(text);
}
const wrong = [];
for (const text of corpus) {
  const back = resolve({ value: escapeEnvReferences(text) }, env).value;
  if (back !== text) wrong.push({ text, escaped: escapeEnvReferences(text), back });
}
process.stdout.write(JSON.stringify({ file, checked: corpus.length, wrong: wrong.slice(0, 5) }));
