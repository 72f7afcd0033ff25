/** The logging surface used everywhere: OpenClaw's `api.logger` has this shape. */
export interface Logger {
  debug?(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The prefix of every line: the plugin id. */
export const LOG_PREFIX = 'agent_config_sync';

/**
 * Wraps a logger: every line gets the prefix, every secret (the password in each of its forms, a
 * connection string) is replaced by `***` wherever it stands as itself (see {@link secretMasker}),
 * including inside driver error messages, and control characters are escaped (see {@link printable}),
 * so text that came from the database or a notification can neither forge a second line nor send
 * terminal escape sequences. `safe` texts (the connection's description, built without the password)
 * are never masked, even when the password equals the user or database name.
 */
export function makeLogger(target: Logger, secrets: readonly (string | undefined)[] = [], safe: readonly string[] = []): Required<Logger> {
  const mask = secretMasker(secrets, safe);
  const clean = (message: string) => `${LOG_PREFIX}: ${printable(mask(message))}`;
  return {
    debug: (m) => target.debug?.(clean(m)),
    info: (m) => target.info(clean(m)),
    warn: (m) => target.warn(clean(m)),
    error: (m) => target.error(clean(m)),
  };
}

/**
 * `text` with every secret replaced by `***`: the longest first (a whole URL before the password
 * inside it), and each also in its JSON-escaped form (how it looks inside a JSON-encoded value).
 */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[], safe: readonly string[] = []): string {
  return secretMasker(secrets, safe)(text);
}

/**
 * {@link maskSecrets} with the list prepared once, for a logger that masks every line.
 *
 * A secret is masked where it stands as itself: an occurrence whose first (last) character is a
 * letter or digit counts only when the character before (after) it is not one. So the password
 * `postgres` is masked in `:postgres@` and `password=postgres`, but `postgresql` stays readable,
 * and a one-letter password does not turn every word holding that letter into `***`. Occurrences
 * inside a `safe` text (the connection description, which never holds the password) are left as
 * they are, so a password equal to the user name neither garbles nor reveals that equality.
 */
export function secretMasker(secrets: readonly (string | undefined)[], safe: readonly string[] = []): (text: string) => string {
  const forms = secrets
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1), printable(s)]);
  const ordered = [...new Set(forms)].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  const safeTexts = safePattern(safe);
  // A whole connection string holds its safe description: masked first, before the text is cut at safe texts.
  const holdsSafe = (secret: string) => safe.some((t) => t.length > 0 && secret.includes(t));
  const outer = ordered.filter(holdsSafe);
  const inner = ordered.filter((secret) => !holdsSafe(secret));
  const maskInner = (part: string) => inner.reduce(maskStandalone, part);
  return (text) =>
    splitKeeping(outer.reduce(maskStandalone, text), safeTexts)
      .map(([part, isSafe]) => (isSafe ? part : maskInner(part)))
      .join('');
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

function maskStandalone(text: string, secret: string): string {
  const guardStart = WORD_CHAR.test(secret[0]!);
  const guardEnd = WORD_CHAR.test(secret[secret.length - 1]!);
  let out = '';
  let from = 0;
  for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
    if (at < from) continue;
    const before = text[at - 1];
    const after = text[at + secret.length];
    if ((guardStart && before !== undefined && WORD_CHAR.test(before)) || (guardEnd && after !== undefined && WORD_CHAR.test(after))) continue;
    if (secret.length < SHORT_SECRET && !inPasswordPosition(text, at, at + secret.length)) continue;
    out += `${text.slice(from, at)}***`;
    from = at + secret.length;
  }
  return out + text.slice(from);
}

/** Secrets shorter than this (in UTF-16 units) are masked only where they stand as a password. */
const SHORT_SECRET = 8;

/**
 * True when `text[start, end)` stands where a password is written: a URL's userinfo (`//user:HERE@`),
 * a `password=HERE` / `password: HERE` / `"password":"HERE"` value (also sslpassword, PGPASSWORD).
 * A short password ("x", "pw") is common text elsewhere; a long one is masked wherever it stands alone.
 */
function inPasswordPosition(text: string, start: number, end: number): boolean {
  const head = text.slice(Math.max(0, start - 200), start);
  if (/\/\/[^\s/@]*:$/.test(head) && text[end] === '@') return true;
  return /(?:password|passwd|pwd)["']?\s*[=:]\s*["']?$/i.test(head);
}

/** `text` cut into runs, each marked true when it is one of `safe` (a pattern of them, longest first). */
function splitKeeping(text: string, safe: RegExp | undefined): [string, boolean][] {
  if (safe === undefined) return [[text, false]];
  // split() with one capturing group puts the separators at the odd indexes.
  return text.split(safe).map((part, i): [string, boolean] => [part, i % 2 === 1]);
}

function safePattern(safe: readonly string[]): RegExp | undefined {
  const texts = [...new Set(safe.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return texts.length === 0 ? undefined : new RegExp(`(${texts.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`);
}

// C0 and C1 controls, DEL, the Unicode line/paragraph separators and the bidirectional overrides.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/**
 * `text` with control and line-breaking characters written as JSON escapes (`\n`, `\u001b`), so a
 * value read from the database or a notification stays on its one log line and cannot drive the
 * terminal. Printable text, quotes included, is left as it is.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Untrusted text for a log line: JSON-encoded (quoted, every special character escaped). */
export function quoted(text: string): string {
  return printable(JSON.stringify(text));
}

/** The message of anything thrown, on one line. */
export function describeError(error: unknown): string {
  // A library that rejects with undefined, null or a bare object must not print "undefined".
  const text = error instanceof Error ? error.message : error === undefined || error === null ? '' : typeof error === 'object' ? jsonOrEmpty(error) : String(error);
  return text.replace(/\s+/g, ' ').trim() || 'unknown error (no message)';
}

function jsonOrEmpty(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}

/** A console logger for the CLI; debug lines only when `verbose`. */
export function consoleLogger(verbose = false): Logger {
  return {
    debug: verbose ? (m) => console.error(m) : undefined,
    info: (m) => console.error(m),
    warn: (m) => console.error(m),
    error: (m) => console.error(m),
  };
}

/**
 * The logger with every call made safe: the host's logger is part of the world (a closed transport,
 * a full disk), and a throw from it inside the flow would kill the pipeline, or reach the host's
 * event loop as an uncaught exception from the final subscriber.
 */
export function totalLogger(target: Required<Logger>): Required<Logger> {
  const safe = (write: (message: string) => void) => (message: string) => {
    try {
      write(message);
    } catch {
      // Nowhere left to report it; the sync goes on.
    }
  };
  return { debug: safe((m) => target.debug(m)), info: safe((m) => target.info(m)), warn: safe((m) => target.warn(m)), error: safe((m) => target.error(m)) };
}
