import { escapeForLog, quote } from './safeText.js';
import { isRecord } from './records.js';

/** One changed leaf between two JSON documents. */
export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * Deepest level compared key by key; below it a subtree is compared whole. Our own file nests six
 * levels; the bound keeps a hostile file on disk (another writer's) from overflowing the stack.
 */
const MAX_DEPTH = 32;

/** Longest JSON text of one value in a change line, in characters. */
const SHOWN_JSON_CHARS = 2_000;

/** Keys written as `.key` in a path; any other key is written `["…"]`, quoted and escaped. */
const PLAIN_KEY = /^[A-Za-z0-9_$-]+$/;

/**
 * The leaf-level differences between two JSON values: `path` is dotted (`agents.entries.beta.model`);
 * `before`/`after` are undefined where the key is missing. Arrays are compared whole.
 * Total: whatever the values (a file on disk nested 100 000 deep), nothing throws.
 */
export function diffJson(before: unknown, after: unknown, path = ''): Change[] {
  return diffAt(before, after, path, 0);
}

function diffAt(before: unknown, after: unknown, path: string, depth: number): Change[] {
  if (!isRecord(before) && !isRecord(after)) {
    return sameJson(before, after) ? [] : [{ path, before, after }];
  }
  // An object replaced by a scalar or an array (or the other way round), e.g. `model` gaining
  // fallbacks: one change of the whole value reads better than its leaves.
  if (before !== undefined && after !== undefined && isRecord(before) !== isRecord(after)) {
    return [{ path, before, after }];
  }
  if (depth >= MAX_DEPTH) return sameJson(before, after) ? [] : [{ path, before, after }];
  // Both objects, or one side missing: compare leaves, the missing side counting as empty.
  const a: Record<string, unknown> = isRecord(before) ? before : {};
  const b: Record<string, unknown> = isRecord(after) ? after : {};
  // Only keys whose values differ are walked (a value equal as JSON has no changed leaf): one changed
  // agent in a roster of 10 000 costs one path, not 10 000.
  const keys: string[] = [];
  for (const key of Object.keys(a)) if (!Object.hasOwn(b, key) || !sameJson(a[key], b[key])) keys.push(key);
  for (const key of Object.keys(b)) if (!Object.hasOwn(a, key)) keys.push(key);
  return keys.sort().flatMap((key) => diffAt(a[key], b[key], joinPath(path, key), depth + 1));
}

/** `agents.entries.beta.model: "a" → "b"`; `(none)` for a missing side. One line, escaped and bounded. */
export function formatChange(change: Change): string {
  return `${change.path}: ${showJson(change.before)} → ${showJson(change.after)}`;
}

/** Parses a file's text; undefined when it is missing or not JSON. */
export function parseJsonOrUndefined(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function joinPath(path: string, key: string): string {
  if (!PLAIN_KEY.test(key)) return `${path}[${quote(key, 200)}]`;
  return path ? `${path}.${key}` : key;
}

function showJson(value: unknown): string {
  if (value === undefined) return '(none)';
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch {
    return '(too deeply nested to show)';
  }
  const cut = json.length > SHOWN_JSON_CHARS ? `${json.slice(0, SHOWN_JSON_CHARS)}… (${json.length} characters)` : json;
  return escapeForLog(cut);
}

/**
 * Equality of two parsed JSON values as JSON.stringify would see it (object keys in order), without
 * recursion: an explicit stack, so any depth is fine.
 */
function sameJson(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  // Two stacks of the values still to compare (no pair allocated per value).
  const left: unknown[] = [x];
  const right: unknown[] = [y];
  while (left.length > 0) {
    const a = left.pop();
    const b = right.pop();
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) return false;
      for (let i = 0; i < a.length; i += 1) {
        left.push(a[i]);
        right.push(b[i]);
      }
      continue;
    }
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i += 1) {
      if (ka[i] !== kb[i]) return false;
      left.push((a as Record<string, unknown>)[ka[i]!]);
      right.push((b as Record<string, unknown>)[kb[i]!]);
    }
  }
  return true;
}
