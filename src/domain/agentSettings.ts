import { durationMs } from './duration.js';
import { escapeEnvReferences, hasEnvReference, isSecretRefShaped, isSecretShorthand } from './literalText.js';
import { isPlainObject } from './records.js';
import { compilePolicy, DEFAULT_ROW_POLICY, howToAllow, type CompiledPolicy, type PolicyTree } from './rowPolicy.js';
import type { RowReader } from './rowReader.js';
import { hasControlCharacters, kindOf, quote, showValue, valueKey } from './safeText.js';
import type { Heartbeat } from './types.js';

/**
 * Readers of the optional per-agent columns (docs/design.md §10): `status`, `heartbeat_*`, `thinking` and
 * `openclaw_config`. Each one is total (never throws, whatever a view returns), reports bad values
 * through the row's {@link RowReader} (named and keyed by the row), and returns what to export.
 */

/** Longest text accepted in a heartbeat field or a thinking level, in characters. */
export const MAX_SETTING_CHARS = 1_024;

/** Object keys that are never copied from `openclaw_config` (prototype pollution; OpenClaw blocks them too). */
export const BLOCKED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Keys of `openclaw_config` that belong to the roster itself, not to an agent's settings. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['id', 'default']);

/** Deepest nesting read from `openclaw_config`; a deeper value is bad data, not a setting. */
export const MAX_CONFIG_DEPTH = 16;

/** Most values (objects, arrays and leaves together) read from one row's `openclaw_config`. */
export const MAX_CONFIG_NODES = 5_000;

/** `status`: true when the row is exported (NULL or `active`, trimmed, any case). */
export function readStatus(value: unknown, row: RowReader): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim().toLowerCase() === 'active';
  row.warn(`${row.key('status')}:${kindOf(value)}`, `status is not text (${kindOf(value)}); row not exported`);
  return false;
}

/**
 * A duration as OpenClaw's `parseDurationMs` accepts it for `heartbeat.every` (default unit minutes):
 * `30s`, `5m`, `1h30m`, `500ms`, `2d`, or a bare number of minutes; whole milliseconds that fit a safe integer.
 */
export function isValidDuration(text: string): boolean {
  return durationMs(text) !== undefined;
}

/** The heartbeat columns of one row, as read (any subset may be missing). */
export interface HeartbeatColumns {
  heartbeat_enabled?: unknown;
  heartbeat_every?: unknown;
  heartbeat_target?: unknown;
  heartbeat_to?: unknown;
}

/**
 * `heartbeat_*` → `heartbeat {every, target?, to?}` (the upstream plugin's cases TC-262-U-01/03/05/06/07):
 * only when `heartbeat_enabled` is true and `heartbeat_every` a valid duration; the other fields when
 * non-NULL and non-empty. Enabled without a valid `every`: no key, warned. Disabled or NULL: no key.
 * Never a boolean: OpenClaw's schema rejects `heartbeat: false`.
 */
export function readHeartbeat(columns: HeartbeatColumns, row: RowReader, context: SettingsContext = DEFAULT_SETTINGS_CONTEXT): Heartbeat | undefined {
  const enabled = columns.heartbeat_enabled;
  if (enabled !== true) {
    if (enabled !== false && enabled !== null && enabled !== undefined) {
      row.warn(`${row.key('heartbeat_enabled')}:${valueKey(enabled)}`, `heartbeat_enabled is not boolean (${showValue(enabled)}); no heartbeat exported`);
    }
    return undefined;
  }
  const every = columns.heartbeat_every;
  if (typeof every !== 'string' || !isValidDuration(every)) {
    const what = every === null || every === undefined ? 'heartbeat_every is NULL' : `heartbeat_every ${showValue(every)} is not a duration (ms, s, m, h, e.g. "30m")`;
    row.warn(`${row.key('heartbeat_every')}:${valueKey(every)}`, `heartbeat is enabled but ${what}; no heartbeat exported`);
    return undefined;
  }
  const heartbeat: Heartbeat = { every: every.trim() };
  const target = readText(columns.heartbeat_target, row, 'heartbeat_target', context);
  if (target !== undefined) heartbeat.target = target;
  const to = readText(columns.heartbeat_to, row, 'heartbeat_to', context);
  if (to !== undefined) heartbeat.to = to;
  return heartbeat;
}

/** `thinking` → `thinkingDefault`: a level the host accepts (trimmed, any case), else warned and skipped. */
export function readThinking(value: unknown, levels: readonly string[], row: RowReader): string | undefined {
  if (value === null || value === undefined) return undefined;
  const level = typeof value === 'string' && value.length <= MAX_SETTING_CHARS ? value.trim().toLowerCase() : undefined;
  if (level === '') return undefined;
  if (level !== undefined && levels.includes(level)) return level;
  row.warn(
    `${row.key('thinking')}:${valueKey(value)}`,
    `thinking ${showValue(value)} is not a level this host accepts (${levels.join(', ')}); thinkingDefault not exported`,
  );
  return undefined;
}

/** A non-empty text field of `column` (trimmed, literal for the host), or undefined; a non-text or unusable value is warned. */
function readText(value: unknown, row: RowReader, column: string, context: SettingsContext): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    if (text.length <= MAX_SETTING_CHARS && !hasControlCharacters(text)) return literalText(text, context, row, column);
  }
  row.warn(`${row.key(column)}:${valueKey(value)}`, `${column} ${showValue(value)} is not usable text; left out`);
  return undefined;
}

/** What reading a row's text and settings depends on: the operator's row policy and whether the host can escape `${`. */
export interface SettingsContext {
  policy: CompiledPolicy;
  /** The host reads `$${NAME}` as the literal `${NAME}`: references are escaped. Else a value holding one is refused. */
  escape: boolean;
}

export const DEFAULT_SETTINGS_CONTEXT: SettingsContext = { policy: compilePolicy(DEFAULT_ROW_POLICY), escape: true };

/**
 * Database text as the host must get it: `${NAME}` escaped so the host does not substitute its own
 * environment into it; on a host that cannot escape, a text holding a reference is refused (a
 * problem of the row naming `column`) and undefined returned.
 */
export function literalText(text: string, context: SettingsContext, row: RowReader, column: string): string | undefined {
  if (context.escape) return escapeEnvReferences(text);
  if (!hasEnvReference(text)) return text;
  row.warn(`${row.key(column)}:env-reference`, `${column} ${showValue(text)} holds a \${…} reference this host would fill in from its environment and cannot escape; left out`);
  return undefined;
}

/** Most paths the row policy leaves out that one row warns one by one; the rest are counted in one more problem. */
export const MAX_POLICY_PROBLEMS = 20;

/** The settings of the default policy: text there is shown or sent as text, never read as a secret. */
const PLAIN_TEXT = compilePolicy(DEFAULT_ROW_POLICY).tree;

/** What one `openclaw_config` copy found on the way. */
interface CopyState {
  nodes: number;
  tooBig: boolean;
  /** Values not copied (blocked keys, non-JSON values), as messages. */
  skipped: string[];
  /** Values refused as instructions to the host (`$`-keys, SecretRefs, env references), as [path, reason]. */
  refused: [string, string][];
  /** Paths the row policy leaves out, as their keys. */
  leftOut: string[][];
  context: SettingsContext;
  /** Where the copy is: the keys and array indices from the top of `openclaw_config`. */
  trail: (string | number)[];
}

/**
 * `openclaw_config` → a copy holding only what the operator's row policy allows, as JSON values the
 * host takes literally. Left out, each warned once naming the row and the path: paths the policy does
 * not allow (named down to the setting, e.g. `tools.exec`, with how to allow it); keys beginning with
 * `$` (`$include`, `$schema`: instructions to the host's loader) and SecretRef-shaped objects
 * (`{source, provider, id}`) at any depth; outside the default paths, a whole value `$NAME` or `${NAME}`
 * (the host's env SecretRef form in its secret fields). Every other string has its `${NAME}` escaped.
 * As before: keys `__proto__`, `constructor` and `prototype` are skipped at any depth, `id` and
 * `default` at the top (they belong to the roster), a JSON null means "not set", and a value deeper
 * than {@link MAX_CONFIG_DEPTH} or beyond {@link MAX_CONFIG_NODES} copied values makes the whole
 * column ignored. Not an object: warned, ignored. A path the policy leaves out is not walked at all.
 */
export function readOpenclawConfig(value: unknown, row: RowReader, context: SettingsContext = DEFAULT_SETTINGS_CONTEXT): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  const key = row.key('openclaw_config');
  if (!isPlainObject(value)) {
    row.warn(`${key}:not-object:${kindOf(value)}`, `openclaw_config is not a JSON object (${showValue(value)}); ignored`);
    return undefined;
  }
  const state: CopyState = { nodes: 0, tooBig: false, skipped: [], refused: [], leftOut: [], context, trail: [] };
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (RESERVED_KEYS.has(key)) state.skipped.push(`openclaw_config.${key} (the roster sets it)`);
    else copyMember(value, key, copy, 0, state, context.policy.tree);
    if (state.tooBig) break;
  }
  if (state.tooBig) {
    row.warn(`${key}:too-big`, `openclaw_config is nested deeper than ${MAX_CONFIG_DEPTH} levels or holds more than ${MAX_CONFIG_NODES} values; ignored`);
    return undefined;
  }
  for (const path of state.skipped.slice(0, 10)) row.warn(`${key}:skipped:${valueKey(path)}`, `${path} is not copied; left out`);
  for (const [path, why] of state.refused.slice(0, 10)) row.warn(`${key}:refused:${valueKey(path)}`, `${path} left out: ${why}`);
  for (const keys of state.leftOut.slice(0, MAX_POLICY_PROBLEMS)) {
    const path = keys.join('.');
    row.warn(`${key}:policy:${valueKey(path)}`, `${keys.reduce(memberPath, 'openclaw_config')} left out: ${howToAllow(path)}`);
  }
  if (state.leftOut.length > MAX_POLICY_PROBLEMS) {
    row.warn(`${key}:policy:more`, `${state.leftOut.length - MAX_POLICY_PROBLEMS} more openclaw_config paths left out (not in rowSettings)`);
  }
  return copy;
}

/**
 * Copies `source[key]` into `out` when the policy `node` allows it. Where it is, `state.trail` (the
 * keys and array indices from the top), is turned into text only for a message: a row without
 * problems builds no path strings. A path the policy does not list is recorded, not walked.
 */
function copyMember(source: Record<string, unknown>, key: string, out: Record<string, unknown>, depth: number, state: CopyState, node: PolicyTree | true): void {
  const trail = state.trail;
  trail.push(key);
  try {
    if (BLOCKED_KEYS.has(key)) {
      state.skipped.push(`${shownPath(trail)} (a blocked key)`);
      return;
    }
    if (key.charCodeAt(0) === 36 /* $ */) {
      state.refused.push([shownPath(trail), `a key beginning with "$" is an instruction to the host's config loader ($include, $schema …), not a setting`]);
      return;
    }
    const value = source[key];
    const below = node === true ? true : Object.hasOwn(node, key) ? node[key]! : undefined;
    if (below === undefined || (below !== true && !isPlainObject(value))) {
      if (value !== null) leaveOut(key, value, below, state); // a JSON null is "not set": nothing to leave out
      return;
    }
    const copied = copyValue(value, depth + 1, state, below);
    if (copied !== undefined) out[key] = copied;
  } finally {
    trail.pop();
  }
}

/** Records a path the policy leaves out, named down to the setting (tools.exec, sandbox.mode), as the operator would allow it. */
function leaveOut(key: string, value: unknown, below: PolicyTree | true | undefined, state: CopyState): void {
  const keys = settingKeys(state.trail);
  if (keys.length === 1 && below === undefined && isPlainObject(value)) {
    const children = Object.keys(value).filter((child) => !BLOCKED_KEYS.has(child) && !child.startsWith('$'));
    if (children.length > 0) {
      for (const child of children) state.leftOut.push([key, child]);
      return;
    }
  }
  state.leftOut.push(keys);
}

function copyValue(value: unknown, depth: number, state: CopyState, node: PolicyTree | true): unknown {
  state.nodes += 1;
  if (depth > MAX_CONFIG_DEPTH || state.nodes > MAX_CONFIG_NODES) {
    state.tooBig = true;
    return undefined;
  }
  if (value === null) return undefined;
  if (typeof value === 'string') return copyText(value, state);
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (Array.isArray(value)) {
    const out: unknown[] = [];
    const trail = state.trail;
    for (let i = 0; i < value.length && !state.tooBig; i += 1) {
      trail.push(i);
      const copied = copyValue(value[i], depth + 1, state, node);
      trail.pop();
      if (copied !== undefined) out.push(copied);
    }
    return out;
  } else if (isPlainObject(value)) {
    if (isSecretRefShaped(value)) {
      state.refused.push([shownPath(state.trail), 'it has the shape of a SecretRef ({source, provider, id}); a row never names a secret of the host']);
      return undefined;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value);
    for (const key of keys) {
      if (state.tooBig) break;
      copyMember(value, key, out, depth, state, node);
    }
    // An object whose every member was left out is left out too, not written as {}.
    return keys.length > 0 && Object.keys(out).length === 0 ? undefined : out;
  }
  state.skipped.push(`${shownPath(state.trail)} (${kindOf(value)}, not a JSON value)`);
  return undefined;
}

/** A string leaf: refused when it is the host's env SecretRef form outside the plain-text settings, else literal. */
function copyText(text: string, state: CopyState): string | undefined {
  if (!text.includes('$')) return text; // the common case: nothing to escape or refuse
  if (isSecretShorthand(text) && !isPlainText(settingKeys(state.trail))) {
    state.refused.push([shownPath(state.trail), `${showValue(text)} is the host's env SecretRef form, which its secret fields resolve even escaped; a row never names a secret of the host`]);
    return undefined;
  }
  if (state.context.escape) return escapeEnvReferences(text);
  if (!hasEnvReference(text)) return text;
  state.refused.push([shownPath(state.trail), `${showValue(text)} holds a \${…} reference this host would fill in from its environment and cannot escape`]);
  return undefined;
}

/** The setting names of a trail (its object keys, without array indices): what the row policy is written in. */
function settingKeys(trail: readonly (string | number)[]): string[] {
  return trail.filter((part): part is string => typeof part === 'string');
}

/** A trail as messages show it: `openclaw_config.tools["x y"][2]`. */
function shownPath(trail: readonly (string | number)[]): string {
  let path = 'openclaw_config';
  for (const part of trail) path = typeof part === 'number' ? `${path}[${part}]` : memberPath(path, part);
  return path;
}

/** True when the path is one of the default row settings or the column outputs (text shown or sent as text). */
function isPlainText(keys: readonly string[]): boolean {
  let node: PolicyTree | true = PLAIN_TEXT;
  for (const key of keys) {
    if (node === true) return true;
    if (!Object.hasOwn(node, key)) return false;
    node = node[key]!;
  }
  return node === true;
}

/** `path.key`, or `path["…"]` quoted and escaped when the key is not a plain name. */
export function memberPath(path: string, key: string): string {
  return /^[A-Za-z0-9_$-]{1,64}$/.test(key) ? `${path}.${key}` : `${path}[${quote(key, 40)}]`;
}

/**
 * Removes from `config` every leaf the dedicated columns also set (`columns`, same shape), so a
 * deep merge lets the column win; each collision is one problem naming the row, the path and the
 * column. Objects on both sides merge; anything else on both sides is a collision.
 */
export function dropCollisions(
  config: Record<string, unknown>,
  columns: Record<string, unknown>,
  columnOf: (path: readonly string[]) => string,
  row: RowReader,
  path: string[] = [],
): void {
  for (const key of Object.keys(columns)) {
    if (!Object.hasOwn(config, key)) continue;
    const theirs = config[key];
    const ours = columns[key];
    const at = [...path, key];
    if (isPlainObject(theirs) && isPlainObject(ours)) {
      dropCollisions(theirs, ours, columnOf, row, at);
      continue;
    }
    delete config[key];
    const shown = at.reduce(memberPath, 'openclaw_config');
    row.warn(`${row.key('openclaw_config')}:collision:${valueKey(at.join('.'))}`, `${shown} is also set by the ${columnOf(at)} column; the column wins`);
  }
}

/** Deep merge where `over` wins: objects merge key by key, anything else from `over` replaces. New objects; inputs untouched. */
export function mergeOver(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(over)) {
    const a = out[key];
    const b = over[key];
    out[key] = isPlainObject(a) && isPlainObject(b) ? mergeOver(a, b) : b;
  }
  return out;
}
