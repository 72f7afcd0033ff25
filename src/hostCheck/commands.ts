import fs from 'node:fs';
import path from 'node:path';
import { formatVersion, type HostVersion } from '../domain/hostProfile.js';
import type { OpenclawCommand } from './openclawValidate.js';

/**
 * Which `openclaw` checks a file (docs/design.md §10): inside the gateway, the running host itself — the
 * same Node binary and entry script (`process.argv[1]`, the package's `openclaw.mjs`); from the CLI,
 * `--openclaw-bin` or the first `openclaw` on PATH.
 */

/** The running host, when this process is an OpenClaw gateway (its entry script belongs to the openclaw package). */
export function runningHostCommand(version: HostVersion | undefined, entry: string | undefined = process.argv[1], isOpenclawEntry: (entry: string) => boolean = belongsToOpenclaw): OpenclawCommand | undefined {
  if (!entry || !isOpenclawEntry(entry)) return undefined;
  return { command: process.execPath, args: [entry], label: `OpenClaw ${formatVersion(version)}` };
}

/** `--openclaw-bin FILE`, else `openclaw` on PATH; undefined when there is none. */
export function cliHostCommand(given: string | undefined, env: NodeJS.ProcessEnv = process.env): OpenclawCommand | undefined {
  if (given !== undefined) return { command: path.resolve(given), args: [], label: `openclaw (${given})` };
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, 'openclaw');
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return { command: candidate, args: [], label: `openclaw (${candidate})` };
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when `entry` sits in a package named "openclaw" (looked up at most four directories up). */
function belongsToOpenclaw(entry: string): boolean {
  return openclawPackageRoot(entry) !== undefined;
}

/**
 * The root of the "openclaw" package `entry` belongs to (the directory of its package.json, looked up
 * at most four directories up from the entry's real path), or undefined. In the gateway, `entry` is
 * the running host's entry script (`process.argv[1]`, its `openclaw.mjs`).
 */
export function openclawPackageRoot(entry: string | undefined = process.argv[1]): string | undefined {
  if (!entry) return undefined;
  let dir: string;
  try {
    dir = path.dirname(fs.realpathSync(path.resolve(entry)));
  } catch {
    dir = path.dirname(path.resolve(entry));
  }
  for (let i = 0; i < 4; i += 1) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (manifest.name === 'openclaw') return dir;
    } catch {
      // no package.json here
    }
    dir = path.dirname(dir);
  }
  return undefined;
}
