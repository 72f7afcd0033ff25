import fs from 'node:fs';
import type { PathFacts } from '../domain/pathTrust.js';

/**
 * lstat of `file` as the facts the trust rule reads (a symlink is described, not followed);
 * undefined when nothing is there. `role` names the path in messages.
 */
export function factsOf(file: string, role: string): PathFacts | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  const kind = stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other';
  return { path: file, kind, uid: stat.uid, mode: stat.mode, role };
}
