import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { rawIssues } from '../domain/hostIssues.js';
import type { RawIssue } from '../domain/mergedConfig.js';
import type { HostChecker } from './checker.js';
import type { ValidateOutcome } from './openclawValidate.js';
import { isRecord } from '../domain/records.js';

/**
 * The running host's own validator, loaded into this process (docs/design.md §10): inside the gateway the
 * modules are the host's own, so a check costs what the host's validation costs — about 1–3 ms for
 * ten agents — instead of a child process (1.7–2.4 s). Surfaces, tried in this order (each verified on
 * 2026.4.29, 2026.7.35, 2026.8.2 and 2026.9.6):
 *
 * 1. `<package>/dist/config/config.js` → `validateConfigObject(config)`: the function the host itself
 *    runs on a config (a build entry of stable name its own modules import, `config validate` among them): its schema, refinements
 *    (durations) and semantic checks (duplicate agentDir, avatar outside the workspace, unknown
 *    system agent). Present on all four hosts; not in the package's `exports`, so it is imported by path.
 * 2. `openclaw/plugin-sdk/config-schema` → `OpenClawSchema.safeParse`: the documented SDK subpath
 *    (2026.4.29, 2026.7.35; deprecated there, gone on 2026.8+): the schema and its refinements only.
 *
 * The JSON-schema route (`openclaw/plugin-sdk/json-schema-runtime` + `config.schema`, 2026.7.35+) is
 * not used: the JSON schema drops the zod refinements (`heartbeat.every: "soon"` passes it) and the
 * whole schema does not compile there (unresolved `$ref`s in plugin sections).
 */

/** A validator of a whole config object, as the host gives its verdict: issues with dotted paths. */
export type ConfigValidator = (config: Record<string, unknown>) => { ok: boolean; issues: { path: string; message: string }[] };

/** Agents per call to the host's validator. Its cross-agent checks are quadratic (a linear agent lookup per agent):
 * 10 000 agents in one call take 2.2 s on 2026.4.29 and 13–14 s on 2026.8.2/2026.9.6, in slices of 250 about 0.1 s and 1.5 s. */
export const SLICE = 250;

/** What loading found: a checker, or why there is none. */
export type InProcessLoad = { ok: true; checker: HostChecker } | { ok: false; error: string };

/**
 * Loads the host's validator from the package at `root` (see the list above) and checks it answers a
 * known-good config (`{}`) before trusting it. Never throws.
 */
export async function loadInProcessChecker(root: string, label: string, slice = SLICE): Promise<InProcessLoad> {
  const tried: string[] = [];
  for (const surface of SURFACES) {
    let validator: ConfigValidator | undefined;
    try {
      validator = await surface.load(root);
    } catch (error) {
      tried.push(`${surface.name}: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`);
      continue;
    }
    if (validator === undefined) {
      tried.push(`${surface.name}: not in this package`);
      continue;
    }
    const probe = safely(validator, {});
    if (!probe.ok || probe.issues.length > 0) {
      tried.push(`${surface.name}: does not accept an empty config (${probe.ok ? probe.issues[0]!.message : probe.error})`);
      continue;
    }
    return { ok: true, checker: inProcessChecker(validator, label, `in process (${surface.name})`, slice) };
  }
  return { ok: false, error: tried.join('; ') };
}

/**
 * A checker over a config validator: the config checked with its agents cut in slices, yielding
 * between slices; abort stops it. Issues below `agents` are the union of the slices' (list indexes
 * mapped back to the roster's); any other issue counts only when every slice has it — a binding
 * naming an agent of another slice is not a problem of the whole.
 */
export function inProcessChecker(validator: ConfigValidator, label: string, how: string, slice = SLICE): HostChecker {
  return {
    label,
    how,
    everyRender: true,
    async validate(config, signal) {
      const below = new Map<string, RawIssue>();
      let outside: Map<string, RawIssue> | undefined;
      for (const part of slices(config.agents, slice)) {
        if (signal.aborted) return { ok: false, error: 'abandoned' };
        const verdict = safely(validator, { ...config, agents: part.agents });
        if (!verdict.ok) return verdict;
        const here = new Map<string, RawIssue>();
        for (const issue of rawIssues(verdict.issues)) {
          if (issue.path === 'agents' || issue.path.startsWith('agents.')) {
            const mapped = mapListIndex(issue, part.listIndex);
            below.set(JSON.stringify(mapped), mapped);
          } else {
            here.set(JSON.stringify(issue), issue);
          }
        }
        outside = outside === undefined ? here : new Map([...outside].filter(([key]) => here.has(key)));
        // Let the gateway breathe between slices (a big roster takes several).
        if (part.more) await new Promise((resolve) => setImmediate(resolve));
      }
      return { ok: true, issues: [...below.values(), ...(outside?.values() ?? [])] };
    },
  };
}

/** `agents.list.<i>…` of a slice as the roster's index. */
function mapListIndex(issue: RawIssue, listIndex: readonly number[]): RawIssue {
  const m = /^agents\.list\.(\d+)(.*)$/s.exec(issue.path);
  if (!m || listIndex.length === 0) return issue;
  return { ...issue, path: `agents.list.${listIndex[Number(m[1])] ?? m[1]}${m[2]}` };
}

/** Calls the host's validator; a throw or an answer of another shape is "cannot be asked". */
function safely(validator: ConfigValidator, config: Record<string, unknown>): { ok: true; issues: { path: string; message: string }[] } | { ok: false; error: string } {
  try {
    const verdict = validator(config);
    if (typeof verdict !== 'object' || verdict === null || typeof verdict.ok !== 'boolean') return { ok: false, error: 'the host validator gave no verdict' };
    return { ok: true, issues: verdict.ok ? [] : Array.isArray(verdict.issues) ? verdict.issues : [{ path: '', message: 'invalid' }] };
  } catch (error) {
    return { ok: false, error: `the host validator failed: ${(error as Error)?.message ?? String(error)}` };
  }
}

/**
 * The agents object cut into slices of at most `size` agents, each a whole agents object (its other
 * keys kept) so the host can check it alone. Agents the host compares across the roster ride in every
 * slice: the default agent (named by any `agents.defaults.<target>.agentId`, or `default: true`) and every agent that sets
 * its own `agentDir` (duplicates are rejected). `listIndex` maps a slice's list index to the roster's.
 */
export function slices(agents: unknown, size: number): { agents: unknown; listIndex: number[]; more: boolean }[] {
  if (typeof agents !== 'object' || agents === null || Array.isArray(agents)) return [{ agents, listIndex: [], more: false }];
  const whole = agents as Record<string, unknown>;
  const entries = whole.entries;
  const list = whole.list;
  if (isRecord(entries)) {
    const ids = Object.keys(entries);
    if (ids.length <= size) return [{ agents, listIndex: [], more: false }];
    // Every agent `agents.defaults.<target>.agentId` names (systemAgent, heartbeat, authInheritance,
    // sessionStore: the host rejects a target that is not in the roster), not only the system agent —
    // openclaw.json may set systemAgent itself while the file still names the default under heartbeat.
    const named = new Set<unknown>();
    if (isRecord(whole.defaults)) for (const target of Object.values(whole.defaults)) if (isRecord(target) && typeof target.agentId === 'string') named.add(target.agentId);
    const shared = new Set(ids.filter((id) => named.has(id) || (isRecord(entries[id]) && entries[id].agentDir !== undefined)));
    const rest = ids.filter((id) => !shared.has(id));
    if (rest.length === 0) return [{ agents, listIndex: [], more: false }];
    const out: { agents: unknown; listIndex: number[]; more: boolean }[] = [];
    for (let at = 0; at < rest.length; at += size) {
      const chosen = new Set([...shared, ...rest.slice(at, at + size)]);
      const part: Record<string, unknown> = {};
      for (const id of ids) if (chosen.has(id)) part[id] = entries[id];
      out.push({ agents: { ...whole, entries: part }, listIndex: [], more: at + size < rest.length });
    }
    return out;
  }
  if (Array.isArray(list) && list.length > size) {
    const isShared = (a: unknown) => isRecord(a) && (a.default === true || a.agentDir !== undefined);
    const shared = list.map((a, i) => (isShared(a) ? i : -1)).filter((i) => i >= 0);
    const rest = list.map((a, i) => (isShared(a) ? -1 : i)).filter((i) => i >= 0);
    if (rest.length === 0) return [{ agents, listIndex: [], more: false }];
    const out: { agents: unknown; listIndex: number[]; more: boolean }[] = [];
    for (let at = 0; at < rest.length; at += size) {
      const listIndex = [...shared, ...rest.slice(at, at + size)].sort((a, b) => a - b);
      out.push({ agents: { ...whole, list: listIndex.map((i) => list[i]) }, listIndex, more: at + size < rest.length });
    }
    return out;
  }
  return [{ agents, listIndex: [], more: false }];
}


/** The surfaces, best first. Each returns undefined when the package does not have it. */
const SURFACES: { name: string; load(root: string): Promise<ConfigValidator | undefined> }[] = [
  {
    name: 'dist/config/config.js validateConfigObject',
    async load(root) {
      const file = path.join(root, 'dist', 'config', 'config.js');
      if (!fs.existsSync(file)) return undefined;
      const mod = (await import(pathToFileURL(file).href)) as { validateConfigObject?: unknown };
      const validate = mod.validateConfigObject;
      if (typeof validate !== 'function') return undefined;
      return (config) => validate(config) as ReturnType<ConfigValidator>;
    },
  },
  {
    name: 'openclaw/plugin-sdk/config-schema OpenClawSchema',
    async load(root) {
      let file: string;
      try {
        // The package resolving its own subpath through its `exports`, as a plugin's import would.
        file = createRequire(path.join(root, 'package.json')).resolve('openclaw/plugin-sdk/config-schema');
      } catch {
        return undefined;
      }
      const mod = (await import(pathToFileURL(file).href)) as { OpenClawSchema?: { safeParse?: unknown } };
      const schema = mod.OpenClawSchema;
      if (typeof schema?.safeParse !== 'function') return undefined;
      const safeParse = schema.safeParse.bind(schema) as (value: unknown) => { success: boolean; error?: { issues?: { path?: unknown[]; message?: string }[] } };
      return (config) => {
        const result = safeParse(config);
        if (result.success) return { ok: true, issues: [] };
        return { ok: false, issues: (result.error?.issues ?? []).map((i) => ({ path: (i.path ?? []).map(String).join('.'), message: i.message ?? 'invalid' })) };
      };
    },
  },
];
