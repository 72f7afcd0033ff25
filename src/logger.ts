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
 * Wraps a logger: every line gets the prefix, and every secret (the password, a connection string)
 * is replaced by `***` wherever it appears, including inside driver error messages.
 */
export function makeLogger(target: Logger, secrets: readonly (string | undefined)[] = []): Required<Logger> {
  const hidden = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  const clean = (message: string) => `${LOG_PREFIX}: ${hidden.reduce((text, secret) => text.split(secret).join('***'), message)}`;
  return {
    debug: (m) => target.debug?.(clean(m)),
    info: (m) => target.info(clean(m)),
    warn: (m) => target.warn(clean(m)),
    error: (m) => target.error(clean(m)),
  };
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
