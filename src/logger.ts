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
 * connection string) is replaced by `***` wherever it appears, including inside driver error
 * messages, and control characters are escaped (see {@link printable}), so text that came from the
 * database or a notification can neither forge a second line nor send terminal escape sequences.
 */
export function makeLogger(target: Logger, secrets: readonly (string | undefined)[] = []): Required<Logger> {
  const mask = secretMasker(secrets);
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
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  return secretMasker(secrets)(text);
}

/** {@link maskSecrets} with the list prepared once, for a logger that masks every line. */
export function secretMasker(secrets: readonly (string | undefined)[]): (text: string) => string {
  const forms = secrets
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .flatMap((s) => [s, JSON.stringify(s).slice(1, -1), printable(s)]);
  const ordered = [...new Set(forms)].sort((a, b) => b.length - a.length);
  return (text) => ordered.reduce((out, secret) => out.split(secret).join('***'), text);
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
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim() || 'unknown error';
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
