import { hasControlCharacters, kindOf, quote, showValue, valueKey } from './safeText.js';
import type { Heartbeat, Problem } from './types.js';

/**
 * Readers of the optional per-agent columns (DESIGN §10): `status`, `heartbeat_*`, `thinking` and
 * `openclaw_config`. Each one is total (never throws, whatever a view returns), reports bad values
 * as problems naming the row (`where`) and keyed by the row (`rk`), and returns what to export.
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
export function readStatus(value: unknown, where: string, rk: string, problems: Problem[]): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim().toLowerCase() === 'active';
  problems.push({ key: `agents:status:${rk}:${kindOf(value)}`, message: `${where}: status is not text (${kindOf(value)}); row not exported` });
  return false;
}

/**
 * A duration as OpenClaw's `parseDurationMs` accepts it for `heartbeat.every` (default unit minutes):
 * `30s`, `5m`, `1h30m`, `500ms`, `2d`, or a bare number of minutes; whole milliseconds that fit a safe integer.
 */
export function isValidDuration(text: string): boolean {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '' || trimmed.length > 64) return false;
  const single = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(trimmed);
  if (single) return Number.isSafeInteger(Math.round(Number(single[1]) * UNIT_MS[single[2] ?? 'm']!));
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    if (match.index !== consumed) return false;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed += match[0].length;
  }
  return consumed === trimmed.length && Number.isSafeInteger(Math.round(total));
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

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
export function readHeartbeat(row: HeartbeatColumns, where: string, rk: string, problems: Problem[]): Heartbeat | undefined {
  const enabled = row.heartbeat_enabled;
  if (enabled !== true) {
    if (enabled !== false && enabled !== null && enabled !== undefined) {
      problems.push({
        key: `agents:heartbeat_enabled:${rk}:${valueKey(enabled)}`,
        message: `${where}: heartbeat_enabled is not boolean (${showValue(enabled)}); no heartbeat exported`,
      });
    }
    return undefined;
  }
  const every = row.heartbeat_every;
  if (typeof every !== 'string' || !isValidDuration(every)) {
    const what = every === null || every === undefined ? 'heartbeat_every is NULL' : `heartbeat_every ${showValue(every)} is not a duration (ms, s, m, h, e.g. "30m")`;
    problems.push({ key: `agents:heartbeat_every:${rk}:${valueKey(every)}`, message: `${where}: heartbeat is enabled but ${what}; no heartbeat exported` });
    return undefined;
  }
  const heartbeat: Heartbeat = { every: every.trim() };
  const target = readText(row.heartbeat_target, `${where}: heartbeat_target`, `agents:heartbeat_target:${rk}`, problems);
  if (target !== undefined) heartbeat.target = target;
  const to = readText(row.heartbeat_to, `${where}: heartbeat_to`, `agents:heartbeat_to:${rk}`, problems);
  if (to !== undefined) heartbeat.to = to;
  return heartbeat;
}

/** `thinking` → `thinkingDefault`: a level the host accepts (trimmed, any case), else warned and skipped. */
export function readThinking(value: unknown, levels: readonly string[], where: string, rk: string, problems: Problem[]): string | undefined {
  if (value === null || value === undefined) return undefined;
  const level = typeof value === 'string' && value.length <= MAX_SETTING_CHARS ? value.trim().toLowerCase() : undefined;
  if (level === '') return undefined;
  if (level !== undefined && levels.includes(level)) return level;
  problems.push({
    key: `agents:thinking:${rk}:${valueKey(value)}`,
    message: `${where}: thinking ${showValue(value)} is not a level this host accepts (${levels.join(', ')}); thinkingDefault not exported`,
  });
  return undefined;
}

/** A non-empty text field (trimmed), or undefined; a non-text or unusable value is warned. */
function readText(value: unknown, where: string, key: string, problems: Problem[]): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return undefined;
    if (text.length <= MAX_SETTING_CHARS && !hasControlCharacters(text)) return text;
  }
  problems.push({ key: `${key}:${valueKey(value)}`, message: `${where} ${showValue(value)} is not usable text; left out` });
  return undefined;
}

/** A plain JSON object (what jsonb `{…}` arrives as), not an array, a Date or a bytea. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `openclaw_config` → a copy holding only JSON values: keys `__proto__`, `constructor` and
 * `prototype` are skipped at any depth, `id` and `default` at the top (they belong to the roster),
 * a JSON null means "not set" and is left out, and a value deeper than {@link MAX_CONFIG_DEPTH} or
 * beyond {@link MAX_CONFIG_NODES} values makes the whole column ignored. Not an object: warned, ignored.
 */
export function readOpenclawConfig(value: unknown, where: string, rk: string, problems: Problem[]): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isPlainObject(value)) {
    problems.push({
      key: `agents:openclaw_config:${rk}:not-object:${kindOf(value)}`,
      message: `${where}: openclaw_config is not a JSON object (${showValue(value)}); ignored`,
    });
    return undefined;
  }
  const state = { nodes: 0, tooBig: false };
  const skipped: string[] = [];
  const copy = copyObject(value, 'openclaw_config', 0, state, skipped);
  for (const key of Object.keys(copy)) {
    if (RESERVED_KEYS.has(key)) {
      delete copy[key];
      skipped.push(`openclaw_config.${key} (the roster sets it)`);
    }
  }
  if (state.tooBig) {
    problems.push({
      key: `agents:openclaw_config:${rk}:too-big`,
      message: `${where}: openclaw_config is nested deeper than ${MAX_CONFIG_DEPTH} levels or holds more than ${MAX_CONFIG_NODES} values; ignored`,
    });
    return undefined;
  }
  for (const path of skipped.slice(0, 10)) {
    problems.push({ key: `agents:openclaw_config:${rk}:skipped:${valueKey(path)}`, message: `${where}: ${path} is not copied; left out` });
  }
  return copy;
}

function copyObject(value: Record<string, unknown>, path: string, depth: number, state: { nodes: number; tooBig: boolean }, skipped: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (state.tooBig) break;
    const at = memberPath(path, key);
    if (BLOCKED_KEYS.has(key)) {
      skipped.push(`${at} (a blocked key)`);
      continue;
    }
    const copied = copyValue(value[key], at, depth + 1, state, skipped);
    if (copied !== undefined) out[key] = copied;
  }
  return out;
}

function copyValue(value: unknown, path: string, depth: number, state: { nodes: number; tooBig: boolean }, skipped: string[]): unknown {
  state.nodes += 1;
  if (depth > MAX_CONFIG_DEPTH || state.nodes > MAX_CONFIG_NODES) {
    state.tooBig = true;
    return undefined;
  }
  if (value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return value;
  } else if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length && !state.tooBig; i += 1) {
      const copied = copyValue(value[i], `${path}[${i}]`, depth + 1, state, skipped);
      if (copied !== undefined) out.push(copied);
    }
    return out;
  } else if (isPlainObject(value)) {
    return copyObject(value, path, depth, state, skipped);
  }
  skipped.push(`${path} (${kindOf(value)}, not a JSON value)`);
  return undefined;
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
  where: string,
  rk: string,
  problems: Problem[],
  path: string[] = [],
): void {
  for (const key of Object.keys(columns)) {
    if (!Object.hasOwn(config, key)) continue;
    const theirs = config[key];
    const ours = columns[key];
    const at = [...path, key];
    if (isPlainObject(theirs) && isPlainObject(ours)) {
      dropCollisions(theirs, ours, columnOf, where, rk, problems, at);
      continue;
    }
    delete config[key];
    const shown = at.reduce(memberPath, 'openclaw_config');
    problems.push({
      key: `agents:openclaw_config:${rk}:collision:${valueKey(at.join('.'))}`,
      message: `${where}: ${shown} is also set by the ${columnOf(at)} column; the column wins`,
    });
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
