/**
 * Total, bounded text for any value a database or a view can return (docs/design.md §3 and §8, containment).
 *
 * Nothing here calls a method of the value or reads a property an object could define for itself
 * (`toString`, `valueOf`, `toJSON`, `length`): a jsonb `{"toString": 0}`, an object without a
 * prototype, a 1 MiB string, a bytea or a name holding a newline and an ANSI escape all come out as
 * one short line, JSON-escaped, so an untrusted value can never throw, flood, forge or split a log line.
 */

/** Longest text shown for one value in a message, in characters (before escaping). */
export const SHOWN_CHARS = 80;

/** Longest text kept verbatim in a problem key; longer text is keyed by a prefix, its length and a hash. */
const KEYED_CHARS = 120;

/**
 * Characters JSON.stringify leaves raw that still break or spoof a log line: DEL and the C1 controls
 * (U+009B is an 8-bit CSI), soft hyphen, the Unicode line and paragraph separators, zero-width and
 * bidi controls, BOM and interlinear annotation marks.
 */
const LOG_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** Text that JSON.stringify only wraps in quotes and that holds nothing {@link LOG_UNSAFE} matches. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Control characters that make a text value unusable as an identifier or a model reference. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** True when the text holds a C0/C1 control character, DEL or a Unicode line separator. */
export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * A text as a JSON string literal, cut to `max` characters (an ellipsis marks the cut), with every
 * character a terminal or log reader could act on escaped as `\uXXXX`.
 */
export function quote(text: string, max = SHOWN_CHARS): string {
  // Printable ASCII without a quote or a backslash is its own JSON and safe in a log: no work to do.
  if (text.length <= max && PLAIN_ASCII.test(text)) return `"${text}"`;
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return escapeForLog(JSON.stringify(cut));
}

/** Escapes, in text that is already JSON, the characters JSON leaves raw but a log reader acts on. */
export function escapeForLog(json: string): string {
  return json.replace(LOG_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** What kind of value this is, in words: `string`, `number`, `NULL`, `array`, `bytea`, `date`, `object` … */
export function kindOf(value: unknown): string {
  if (value === null) return 'NULL';
  const type = typeof value;
  if (type !== 'object') return type;
  if (Array.isArray(value)) return 'array';
  if (value instanceof Date) return 'date';
  if (ArrayBuffer.isView(value)) return 'bytea';
  return 'object';
}

/**
 * A short, one-line description of any value for a message: strings quoted and escaped, numbers and
 * booleans as written, arrays and objects by their shape. Never throws, whatever the value.
 */
export function showValue(value: unknown, max = SHOWN_CHARS): string {
  switch (typeof value) {
    case 'string':
      return quote(value, max);
    case 'number':
      return Object.is(value, -0) ? '-0' : `${value}`;
    case 'bigint':
      return `${value}`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} element${value.length === 1 ? '' : 's'}`;
  if (value instanceof Date) return showDate(value);
  if (ArrayBuffer.isView(value)) return `bytea of ${value.byteLength} bytes`;
  return showObject(value as object);
}

/**
 * A bounded, deterministic identity of any value, for problem keys: equal values give equal keys,
 * and a long text is keyed by a prefix, its length and a hash instead of by itself.
 */
export function valueKey(value: unknown): string {
  if (typeof value !== 'string') return showValue(value, KEYED_CHARS);
  if (value.length <= KEYED_CHARS) return value;
  return `${value.slice(0, KEYED_CHARS)}…(${value.length} chars, fnv ${fnv1a(value)})`;
}

/** A bounded description of something thrown, for a message. */
export function showThrown(error: unknown): string {
  try {
    if (error instanceof Error && typeof error.message === 'string') return quote(error.message, 200);
  } catch {
    // A getter on a thrown object: fall through to its shape.
  }
  return showValue(error);
}

function showDate(date: Date): string {
  try {
    const time = Date.prototype.getTime.call(date);
    return Number.isFinite(time) ? `date ${Date.prototype.toISOString.call(date)}` : 'an invalid date';
  } catch {
    return 'a date';
  }
}

function showObject(value: object): string {
  let keys: string[];
  try {
    keys = Object.keys(value);
  } catch {
    return 'an object';
  }
  if (keys.length === 0) return 'an empty object';
  const shown = keys.slice(0, 3).map((k) => quote(k, 24));
  return `an object with key${keys.length === 1 ? '' : 's'} ${shown.join(', ')}${keys.length > 3 ? `, … (${keys.length} keys)` : ''}`;
}

/** 32-bit FNV-1a over UTF-16 code units: cheap, linear, and stable across runs. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}
