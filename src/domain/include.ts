import path from 'node:path';
import type { Layout } from './types.js';
import { isRecord } from './records.js';

/** Where and how openclaw.json pulls in the agents file. */
export type IncludeSite =
  | { found: true; layout: Layout; siblings: Record<string, unknown> }
  | { found: false };

/**
 * Finds the `$include` of `outputPath` in a parsed openclaw.json: at the root (layout `root`) or
 * under `agents` (layout `section`). `siblings` are the keys next to `$include` at that site,
 * which win over the file on scalars (deepMerge(included, siblings)).
 */
export function findInclude(config: unknown, configPath: string, outputPath: string): IncludeSite {
  if (!isRecord(config)) return { found: false };
  const dir = path.dirname(path.resolve(configPath));
  const target = path.resolve(outputPath);
  const includes = (site: Record<string, unknown>) => includeTargets(site.$include).some((p) => path.resolve(dir, p) === target);
  if (includes(config)) return { found: true, layout: 'root', siblings: withoutInclude(config) };
  if (isRecord(config.agents) && includes(config.agents)) {
    return { found: true, layout: 'section', siblings: withoutInclude(config.agents) };
  }
  return { found: false };
}

/** True when `file` is inside the directory of openclaw.json or one of the extra include roots (by its path as written). */
export function isInsideIncludeRoots(file: string, configPath: string, extraRoots: readonly string[] = []): boolean {
  return isInsideAny(file, includeRoots(configPath, extraRoots));
}

/** The directories `$include` may read: the directory of openclaw.json, then the extra roots (OPENCLAW_INCLUDE_ROOTS). */
export function includeRoots(configPath: string, extraRoots: readonly string[] = []): string[] {
  return [path.dirname(path.resolve(configPath)), ...extraRoots.map((r) => path.resolve(r))];
}

/** Symlink-free paths, found by the caller (this module does no I/O). */
export interface RealPaths {
  /** The real path of the output (for a file not there yet: its directory's real path and its name). */
  file: string;
  /** The real paths of includeRoots(configPath, extraRoots), in the same order. */
  roots: readonly string[];
}

/** Whether OpenClaw would read the output through `$include`, and if not, why. */
export type IncludeRootVerdict =
  | { inside: true }
  /** The path as written is outside every root. */
  | { inside: false; cause: 'path' }
  /** The path is inside, but a symlink takes its real path outside every root (OpenClaw resolves symlinks and refuses it). */
  | { inside: false; cause: 'symlink'; realFile: string };

/**
 * OpenClaw's include-root rule (src/config/includes.ts): the path as written must lie inside a root,
 * and its real path inside a root's real path. Without `real` only the first half is checked.
 */
export function includeRootVerdict(file: string, configPath: string, extraRoots: readonly string[] = [], real?: RealPaths): IncludeRootVerdict {
  if (!isInsideIncludeRoots(file, configPath, extraRoots)) return { inside: false, cause: 'path' };
  if (real && !isInsideAny(real.file, real.roots)) return { inside: false, cause: 'symlink', realFile: real.file };
  return { inside: true };
}

function isInsideAny(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => isInside(root, file));
}

/** True when `file` is below `root` (both made absolute; not `root` itself). */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(file));
  // A name such as `..agents.json` is inside; only a leading `..` path segment leaves the root.
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** A key the DB writes that openclaw.json also sets, so openclaw.json's value is the one in force. */
export interface ShadowedKey {
  /** Dotted path from the config root, e.g. `agents.defaults.subagents.maxSpawnDepth`. */
  path: string;
  kind: 'overridden' | 'concatenated';
  ours: unknown;
  theirs: unknown;
}

/**
 * Keys set both in our file and as `$include` siblings: scalars are overridden by openclaw.json,
 * arrays are concatenated; objects merge and are searched further.
 */
export function findShadowedKeys(site: IncludeSite, fileContent: unknown): ShadowedKey[] {
  if (!site.found) return [];
  const prefix = site.layout === 'root' ? '' : 'agents.';
  const out: ShadowedKey[] = [];
  walk(fileContent, site.siblings, prefix, out);
  return out;
}

function walk(ours: unknown, theirs: unknown, prefix: string, out: ShadowedKey[]): void {
  if (!isRecord(ours) || !isRecord(theirs)) return;
  for (const key of Object.keys(ours).sort()) {
    if (!Object.hasOwn(theirs, key) || key === '$include') continue;
    const a = ours[key];
    const b = theirs[key];
    const where = `${prefix}${key}`;
    if (isRecord(a) && isRecord(b)) walk(a, b, `${where}.`, out);
    else if (Array.isArray(a) && Array.isArray(b)) out.push({ path: where, kind: 'concatenated', ours: a, theirs: b });
    else out.push({ path: where, kind: 'overridden', ours: a, theirs: b });
  }
}

function includeTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

function withoutInclude(site: Record<string, unknown>): Record<string, unknown> {
  const { $include: _ignored, ...rest } = site;
  return rest;
}
