import { durationMs } from './duration.js';
import { quote } from './safeText.js';

/**
 * The operator's row policy: which settings under an agent entry a database row may set through
 * `openclaw_config`, and the shortest heartbeat interval a row may ask for. A row writer is trusted
 * with agent definitions only; a path such as `tools.exec`, `sandbox` or `heartbeat.prompt` hands
 * whoever can write one row the power to run commands on the gateway host, so such paths reach the
 * file only when the operator lists them. Pure: no I/O.
 */

/** Entry paths the dedicated columns write; always allowed, whatever `rowSettings` says. */
export const COLUMN_PATHS: readonly string[] = ['model', 'subagents.allowAgents', 'heartbeat.every', 'heartbeat.target', 'heartbeat.to', 'thinkingDefault'];

/**
 * The extra `openclaw_config` paths allowed when the operator gives no `rowSettings`: what describes
 * an agent and when it speaks, nothing that reaches the host's commands, files, secrets or network.
 */
export const DEFAULT_ROW_SETTINGS: readonly string[] = [
  'description',
  'identity.name',
  'identity.theme',
  'identity.emoji',
  'heartbeat.activeHours',
  'reasoningDefault',
  'fastModeDefault',
];

/** Default floor of `heartbeat.every`: a row cannot make the host wake an agent (and pay a model) more often. */
export const DEFAULT_MIN_HEARTBEAT_EVERY = '5m';

/** The policy as configured (plugin options `rowSettings` and `minHeartbeatEvery`). */
export interface RowPolicy {
  /**
   * Dotted paths under an agent entry that `openclaw_config` may set, prefix match (`identity`
   * allows `identity.name`); they replace {@link DEFAULT_ROW_SETTINGS}, and the column outputs
   * ({@link COLUMN_PATHS}) are allowed on top. Defaults to {@link DEFAULT_ROW_SETTINGS}.
   */
  rowSettings: readonly string[];
  /** Shortest `heartbeat.every` written; a shorter one is raised to it. Duration text. Defaults to `5m`. */
  minHeartbeatEvery: string;
}

export const DEFAULT_ROW_POLICY: RowPolicy = { rowSettings: DEFAULT_ROW_SETTINGS, minHeartbeatEvery: DEFAULT_MIN_HEARTBEAT_EVERY };

/** Most paths one `rowSettings` may list, and most segments in one path: a policy is a short list. */
export const MAX_ROW_SETTINGS = 200;
const MAX_SEGMENTS = 8;

/** One segment of a path: a setting name as OpenClaw spells them. No `$` (a `$`-key is never a setting). */
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/** The policy's paths as a tree: `true` allows everything below, an object allows only its children. */
export type PolicyTree = { readonly [key: string]: PolicyTree | true };

/** A policy ready to use: the tree of allowed paths and the floor in milliseconds. */
export interface CompiledPolicy {
  tree: PolicyTree;
  floorMs: number;
  floorText: string;
}

const compiled = new WeakMap<RowPolicy, CompiledPolicy>();

/** The tree and floor of a policy (built once per policy object: a render does not rebuild it). */
export function compilePolicy(policy: RowPolicy = DEFAULT_ROW_POLICY): CompiledPolicy {
  const known = compiled.get(policy);
  if (known) return known;
  // Null prototype: a row's key such as "constructor" finds nothing here but what the policy lists.
  const tree: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const path of [...COLUMN_PATHS, ...policy.rowSettings]) {
    let node = tree;
    const segments = path.split('.');
    for (let index = 0; index < segments.length; index += 1) {
      const segment = segments[index]!;
      if (node[segment] === true) break; // a shorter path already allows everything below
      if (index === segments.length - 1) node[segment] = true;
      else node = (node[segment] ??= Object.create(null)) as Record<string, unknown>;
    }
  }
  const result = { tree: tree as PolicyTree, floorMs: durationMs(policy.minHeartbeatEvery) ?? 0, floorText: policy.minHeartbeatEvery.trim() };
  compiled.set(policy, result);
  return result;
}

/**
 * Why a `rowSettings` value is not usable, or undefined when it is: an array of at most
 * {@link MAX_ROW_SETTINGS} dotted paths, each of 1 to 8 setting names (letters, digits, `_`, `-`).
 */
export function rowSettingsProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be an array of dotted setting paths under an agent entry (e.g. ["identity", "tools.profile"])';
  if (value.length > MAX_ROW_SETTINGS) return `must list at most ${MAX_ROW_SETTINGS} paths, got ${value.length}`;
  for (let i = 0; i < value.length; i += 1) {
    const path: unknown = value[i];
    const segments = typeof path === 'string' ? path.split('.') : [];
    if (segments.length === 0 || segments.length > MAX_SEGMENTS || !segments.every((s) => SEGMENT.test(s))) {
      const shown = typeof path === 'string' ? quote(path, 60) : JSON.stringify(path) ?? String(path);
      return `[${i}] must be a dotted path of setting names (letters, digits, "_" and "-"; at most ${MAX_SEGMENTS} names, e.g. "tools.profile"), got ${shown}`;
    }
    if (segments[0] === 'id' || segments[0] === 'default') return `[${i}] "${segments[0]}" belongs to the roster, not to a row's settings`;
  }
  return undefined;
}

/** Why a `minHeartbeatEvery` value is not usable, or undefined: a duration as `heartbeat.every` takes it (`30s`, `5m`, `1h`; `0` for no floor). */
export function minHeartbeatProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || durationMs(value) === undefined) {
    return `must be a duration such as "5m", "30s" or "1h" ("0" for no floor), got ${typeof value === 'string' ? quote(value, 60) : JSON.stringify(value) ?? String(value)}`;
  }
  return undefined;
}

/** What a message says about a path the policy leaves out: how to allow it, and what that hands row writers. */
export function howToAllow(path: string): string {
  let said = advice.get(path);
  if (said === undefined) {
    said = path.split('.').every((s) => SEGMENT.test(s))
      ? `not in rowSettings (add ${quote(path, 60)} to allow it — that hands row writers that power over the host)`
      : 'not in rowSettings (no setting of the host has such a name)';
    // Bounded: a roster repeats a few paths; a hostile one cannot grow this without end.
    if (advice.size >= 1_000) advice.clear();
    advice.set(path, said);
  }
  return said;
}

/** The advice per left-out path, built once: 10 000 rows leaving out `tools.profile` say the same thing. */
const advice = new Map<string, string>();
