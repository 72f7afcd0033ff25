import fs from 'node:fs';
import path from 'node:path';
import JSON5 from 'json5';
import { findInclude, isInside } from '../domain/include.js';
import { MAX_INCLUDE_BYTES } from '../domain/hostRules.js';
import { deepMerge, type RawIssue } from '../domain/mergedConfig.js';
import { isRecord } from '../domain/records.js';
import { realOrResolved } from '../sinks/outputGuard.js';

/**
 * The config the host will load with a candidate agents file in it: openclaw.json read again at
 * each check (an operator's edit since start counts), the candidate in place of the file that
 * includes it, and every other `$include` resolved in the real config directory as OpenClaw
 * resolves them (src/config/includes.ts): a path relative to the including file, inside the config
 * directory or an extra include root both as written and by its real path, at most 2 MiB a file,
 * at most 10 deep, no cycles; an object holding only `$include` is replaced by the file, with
 * sibling keys it is merged under them. The result holds no `$include` at all, so it can be checked
 * anywhere (a child process in a temporary directory resolves nothing back in the real one).
 */

/** Where the merged config comes from. */
export interface HostConfigSource {
  /** openclaw.json. */
  configPath: string;
  /** The agents file openclaw.json includes (the candidate takes its place). */
  outputPath: string;
  /** Extra include roots (OPENCLAW_INCLUDE_ROOTS). */
  includeRoots: readonly string[];
}

/** The merged config of one candidate, and what its own `$include`s got wrong (paths from the config root). */
export type Merged = { ok: true; config: Record<string, unknown>; issues: RawIssue[] } | { ok: false; reason: string };

/** openclaw.json as read now, ready to take candidates; or why there is none to merge with. */
export type HostConfig = { ok: true; configPath: string; outputPath: string; merge(file: Record<string, unknown>): Merged } | { ok: false; reason: string };

/** OpenClaw's limits on includes. */
const MAX_DEPTH = 10;
const MAX_PATH_LENGTH = 4096;

/** Reads openclaw.json now. Never throws. */
export function readHostConfig(source: HostConfigSource): HostConfig {
  const configPath = path.resolve(source.configPath);
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (error) {
    return { ok: false, reason: `cannot read ${configPath} (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
  let root: unknown;
  try {
    root = JSON5.parse(text);
  } catch (error) {
    return { ok: false, reason: `cannot parse ${configPath} (${(error as Error).message.split('\n')[0]})` };
  }
  if (!isRecord(root)) return { ok: false, reason: `${configPath} does not hold an object` };
  if (!findInclude(root, configPath, source.outputPath).found) return { ok: false, reason: `${configPath} does not include ${path.resolve(source.outputPath)}` };
  const roots = [path.dirname(configPath), ...source.includeRoots.filter((r) => path.isAbsolute(r))].map((dir) => ({ dir: path.normalize(dir), real: realOrResolved(dir) }));
  const output = path.normalize(path.resolve(source.outputPath));
  return {
    ok: true,
    configPath,
    outputPath: output,
    merge(file) {
      const issues: RawIssue[] = [];
      try {
        const resolver = new Resolver(roots, output, file, issues);
        const config = resolver.process(root, [], { file: configPath, visited: [configPath], depth: 0, inCandidate: false });
        if (!isRecord(config)) return { ok: false, reason: `${configPath} does not resolve to an object` };
        return { ok: true, config, issues };
      } catch (error) {
        return { ok: false, reason: `cannot resolve the includes of ${configPath} (${(error as Error).message})` };
      }
    },
  };
}

class IncludeError extends Error {}

interface At {
  /** The file whose content is being processed (relative includes resolve from its directory). */
  file: string;
  visited: string[];
  depth: number;
  /** Inside the candidate: an include error there is the candidate's issue, not a reason to give up. */
  inCandidate: boolean;
}

class Resolver {
  constructor(
    private readonly roots: { dir: string; real: string }[],
    private readonly output: string,
    private readonly candidate: Record<string, unknown>,
    private readonly issues: RawIssue[],
  ) {}

  process(value: unknown, where: string[], at: At): unknown {
    if (Array.isArray(value)) return value.map((item, i) => this.process(item, [...where, String(i)], at));
    if (!isRecord(value)) return value;
    if (!Object.hasOwn(value, '$include')) {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) out[key] = this.process(item, [...where, key], at);
      return out;
    }
    const others = Object.keys(value).filter((k) => k !== '$include');
    let included: unknown;
    try {
      included = this.resolve(value.$include, where, at);
      if (others.length > 0 && !isRecord(included)) throw new IncludeError('Sibling keys require included content to be an object');
    } catch (error) {
      if (!(error instanceof IncludeError) || !at.inCandidate) throw error;
      // The host would refuse the whole config; here it is a setting of one agent, left out like any other.
      this.issues.push({ path: where.join('.'), message: `$include: ${error.message}` });
      included = {};
    }
    if (others.length === 0) return included;
    const rest: Record<string, unknown> = {};
    for (const key of others) rest[key] = this.process(value[key], [...where, key], at);
    return deepMerge(included, rest);
  }

  private resolve(value: unknown, where: string[], at: At): unknown {
    if (typeof value === 'string') return this.load(value, where, at);
    if (Array.isArray(value)) {
      return value.reduce<unknown>((merged, item) => {
        if (typeof item !== 'string') throw new IncludeError(`Invalid $include array item: expected string, got ${typeof item}`);
        return deepMerge(merged, this.load(item, where, at));
      }, {});
    }
    throw new IncludeError(`Invalid $include value: expected string or array of strings, got ${typeof value}`);
  }

  private load(include: string, where: string[], at: At): unknown {
    if (include.includes('\0')) throw new IncludeError('Include path must not contain null bytes');
    if (include.length >= MAX_PATH_LENGTH) throw new IncludeError(`Include path exceeds maximum length (${MAX_PATH_LENGTH} characters)`);
    const resolved = path.normalize(path.isAbsolute(include) ? include : path.resolve(path.dirname(at.file), include));
    if (!this.roots.some((r) => isInside(r.dir, resolved))) throw new IncludeError(`Include path escapes config directory: ${include}`);
    let real: string | undefined;
    try {
      real = fs.realpathSync(resolved);
    } catch (error) {
      // A file not there (yet) is judged by its path as written; the read says it is missing.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && (error as NodeJS.ErrnoException).code !== 'ENOTDIR') throw new IncludeError(`Failed to resolve include file realpath: ${include}`);
    }
    if (real !== undefined && !this.roots.some((r) => isInside(r.real, real!))) throw new IncludeError(`Include path resolves outside config directory (symlink): ${include}`);
    if (at.visited.includes(resolved)) throw new IncludeError(`Circular include detected: ${[...at.visited, resolved].join(' -> ')}`);
    if (at.depth >= MAX_DEPTH) throw new IncludeError(`Maximum include depth (${MAX_DEPTH}) exceeded at: ${include}`);
    const next: At = { file: resolved, visited: [...at.visited, resolved], depth: at.depth + 1, inCandidate: at.inCandidate || resolved === this.output };
    const content = resolved === this.output ? this.candidate : this.read(include, resolved);
    return this.process(content, where, next);
  }

  private read(include: string, resolved: string): unknown {
    let text: string;
    try {
      const stat = fs.statSync(resolved);
      if (!stat.isFile() || stat.size > MAX_INCLUDE_BYTES) throw new IncludeError(`Include file failed security checks (regular file, max ${MAX_INCLUDE_BYTES} bytes): ${include}`);
      text = fs.readFileSync(resolved, 'utf8');
    } catch (error) {
      if (error instanceof IncludeError) throw error;
      throw new IncludeError(`Failed to read include file: ${include} (resolved: ${resolved})`);
    }
    try {
      return JSON5.parse(text);
    } catch {
      throw new IncludeError(`Failed to parse include file: ${include} (resolved: ${resolved})`);
    }
  }
}



/**
 * What the host-check stage needs of the gateway's files: openclaw.json, read again at each check
 * (none known: the file is checked alone, and the stage says why), and the agents file on disk.
 */
export function hostConfigFiles(configPath: string | undefined, outputPath: string, includeRoots: readonly string[]): { hostConfig: () => HostConfig; current: () => string | undefined } {
  return {
    hostConfig: () => (configPath === undefined ? { ok: false, reason: 'no openclaw.json was found (--openclaw-config, OPENCLAW_CONFIG_PATH, the state dir)' } : readHostConfig({ configPath, outputPath, includeRoots })),
    current: () => {
      try {
        return fs.readFileSync(outputPath, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
}
