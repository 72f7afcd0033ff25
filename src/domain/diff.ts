/** One changed leaf between two JSON documents. */
export interface Change {
  path: string;
  before: unknown;
  after: unknown;
}

/**
 * The leaf-level differences between two JSON values: `path` is dotted (`agents.entries.beta.model`);
 * `before`/`after` are undefined where the key is missing. Arrays are compared whole.
 */
export function diffJson(before: unknown, after: unknown, path = ''): Change[] {
  if (!isObject(before) && !isObject(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
  }
  // An object replaced by a scalar or an array (or the other way round), e.g. `model` gaining
  // fallbacks: one change of the whole value reads better than its leaves.
  if (before !== undefined && after !== undefined && isObject(before) !== isObject(after)) {
    return [{ path, before, after }];
  }
  // Both objects, or one side missing: compare leaves, the missing side counting as empty.
  const a = isObject(before) ? before : {};
  const b = isObject(after) ? after : {};
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => diffJson(a[key], b[key], path ? `${path}.${key}` : key));
}

/** `agents.entries.beta.model: "a" → "b"`; `(none)` for a missing side. */
export function formatChange(change: Change): string {
  const show = (v: unknown) => (v === undefined ? '(none)' : JSON.stringify(v));
  return `${change.path}: ${show(change.before)} → ${show(change.after)}`;
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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
