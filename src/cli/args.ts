import { parseArgs } from 'node:util';
import { ConfigError, RELOAD_SIGNALS } from '../config.js';
import { checkChannel } from '../domain/channel.js';
import { minHeartbeatProblem, rowSettingsProblem } from '../domain/rowPolicy.js';

/** Flags every command shares. */
export const COMMON_FLAGS = {
  'database-url': { type: 'string' },
  'database-url-file': { type: 'string' },
  output: { type: 'string', short: 'o' },
  format: { type: 'string' },
  layout: { type: 'string' },
  channel: { type: 'string' },
  'agents-source': { type: 'string' },
  'allow-empty': { type: 'boolean' },
  'openclaw-config': { type: 'string' },
  'host-version': { type: 'string' },
  'gateway-id': { type: 'string' },
  'row-settings': { type: 'string' },
  'min-heartbeat-every': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Flags of `sync` and `watch`. */
export const SYNC_FLAGS = {
  ...COMMON_FLAGS,
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  diff: { type: 'boolean' },
  'debounce-ms': { type: 'string' },
  'max-wait-ms': { type: 'string' },
  'reconcile-ms': { type: 'string' },
  'reload-pid-file': { type: 'string' },
  'reload-signal': { type: 'string' },
  touch: { type: 'string' },
  exec: { type: 'string' },
  'exec-timeout-ms': { type: 'string' },
  'signal-node-process': { type: 'boolean' },
  'openclaw-bin': { type: 'string' },
  'history-days': { type: 'string' },
} as const;

/** Flags of `quickstart` (npm start). */
export const QUICKSTART_FLAGS = {
  'database-url': COMMON_FLAGS['database-url'],
  'database-url-file': COMMON_FLAGS['database-url-file'],
  'data-dir': { type: 'string' },
  output: COMMON_FLAGS.output,
  format: COMMON_FLAGS.format,
  layout: COMMON_FLAGS.layout,
  'debounce-ms': SYNC_FLAGS['debounce-ms'],
  'max-wait-ms': SYNC_FLAGS['max-wait-ms'],
  'reconcile-ms': SYNC_FLAGS['reconcile-ms'],
  verbose: COMMON_FLAGS.verbose,
  help: COMMON_FLAGS.help,
} as const;

/** Flags of `migrate`. */
export const MIGRATE_FLAGS = {
  'database-url': COMMON_FLAGS['database-url'],
  'database-url-file': COMMON_FLAGS['database-url-file'],
  'verify-only': { type: 'boolean' },
  channel: COMMON_FLAGS.channel,
  json: COMMON_FLAGS.json,
  verbose: COMMON_FLAGS.verbose,
  help: COMMON_FLAGS.help,
} as const;

/** Flags of `status`: what decides the file and its shape, as for `sync`. */
export const STATUS_FLAGS = {
  'database-url': COMMON_FLAGS['database-url'],
  'database-url-file': COMMON_FLAGS['database-url-file'],
  output: COMMON_FLAGS.output,
  format: COMMON_FLAGS.format,
  layout: COMMON_FLAGS.layout,
  'agents-source': COMMON_FLAGS['agents-source'],
  'openclaw-config': COMMON_FLAGS['openclaw-config'],
  'host-version': COMMON_FLAGS['host-version'],
  'gateway-id': COMMON_FLAGS['gateway-id'],
  'row-settings': COMMON_FLAGS['row-settings'],
  'min-heartbeat-every': COMMON_FLAGS['min-heartbeat-every'],
  json: COMMON_FLAGS.json,
  verbose: COMMON_FLAGS.verbose,
  help: COMMON_FLAGS.help,
} as const;

/** Flags of `fleet`. */
export const FLEET_FLAGS = {
  'database-url': COMMON_FLAGS['database-url'],
  'database-url-file': COMMON_FLAGS['database-url-file'],
  change: { type: 'string' },
  forget: { type: 'string' },
  json: COMMON_FLAGS.json,
  verbose: COMMON_FLAGS.verbose,
  help: COMMON_FLAGS.help,
} as const;

/** Flags of `history`. */
export const HISTORY_FLAGS = {
  'database-url': COMMON_FLAGS['database-url'],
  'database-url-file': COMMON_FLAGS['database-url-file'],
  agent: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
  json: COMMON_FLAGS.json,
  verbose: COMMON_FLAGS.verbose,
  help: COMMON_FLAGS.help,
} as const;

/** Flags of `revert` (plus the change id as its one argument). */
export const REVERT_FLAGS = {
  'database-url': COMMON_FLAGS['database-url'],
  'database-url-file': COMMON_FLAGS['database-url-file'],
  to: { type: 'string' },
  force: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  json: COMMON_FLAGS.json,
  verbose: COMMON_FLAGS.verbose,
  help: COMMON_FLAGS.help,
} as const;

/** Flags of `doctor`. */
export const DOCTOR_FLAGS = {
  ...STATUS_FLAGS,
  channel: COMMON_FLAGS.channel,
  'timeout-ms': { type: 'string' },
} as const;

type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
export type Flags = Record<string, string | boolean | undefined>;

/** A wrong flag or value; the CLI prints the message and exits 64 (EX_USAGE). */
export class UsageError extends ConfigError {
  override name = 'UsageError';
}

/**
 * Parses `argv` strictly against `spec`; unknown flags and stray arguments are usage errors. A command
 * that takes one argument (`revert ID`) names it as `argument`: it comes back under that name.
 */
export function parseFlags(argv: string[], spec: FlagSpec, command: string, argument?: string): Flags {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: spec, strict: true, allowPositionals: true });
    // main prefixes every message with the command, so messages here do not repeat it.
    const allowed = argument === undefined ? 0 : 1;
    if (positionals.length > allowed) throw new UsageError(`unexpected argument "${positionals[allowed]}" (see "${command} --help").`);
    if (argument !== undefined && positionals[0] !== undefined) return { ...(values as Flags), [argument]: positionals[0] };
    return values as Flags;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    // parseArgs messages already name the flag ("Unknown option '--x'").
    const message = (error as Error).message.replace(/\. To specify.*$/s, '');
    const allowed = (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? ` (allowed: ${flagList(spec)})` : '';
    throw new UsageError(`${message}${allowed} (see "${command} --help").`);
  }
}

function flagList(spec: FlagSpec): string {
  return Object.keys(spec).map((name) => `--${name}`).join(', ');
}

/** A non-negative integer flag in milliseconds. */
export function msFlag(flags: Flags, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value)) {
    throw new UsageError(`--${name} must be a whole number of milliseconds (0 or more), got ${JSON.stringify(value)}.`);
  }
  return Number(value);
}

/** A flag restricted to a list of values. */
export function choiceFlag<T extends string>(flags: Flags, name: string, allowed: readonly T[]): T | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}.`);
  }
  return value as T;
}

/** `--reload-signal`. */
export function signalFlag(flags: Flags): (typeof RELOAD_SIGNALS)[number] | undefined {
  return choiceFlag(flags, 'reload-signal', RELOAD_SIGNALS);
}

/** A flag holding a whole number (its range is the option's, checked where the option is), or undefined. */
export function wholeNumberFlag(flags: Flags, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}.`);
  return Number(value.trim());
}

/** A whole-number flag within [min, max], or undefined; the message names the flag and the range. */
export function wholeFlag(flags: Flags, name: string, min: number, max: number): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  }
  return Number(value);
}

/** A string flag, or undefined. */
export function textFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError(`--${name} needs a value.`);
  return value;
}

/** `--channel`: trimmed, 1 to 63 bytes (PostgreSQL's limit, src/domain/channel.ts), or undefined. */
export function channelFlag(flags: Flags): string | undefined {
  const value = flags.channel;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError('--channel needs a value.');
  const checked = checkChannel(value);
  if (!checked.ok) throw new UsageError(`--channel ${checked.reason}.`);
  return checked.channel;
}

/**
 * `--row-settings a,b.c`: the comma-separated `openclaw_config` paths rows may set (checked as the
 * plugin option `rowSettings` is); an empty value (`--row-settings=`) allows the column outputs only.
 */
export function rowSettingsFlag(flags: Flags): string[] | undefined {
  const value = flags['row-settings'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError('--row-settings needs a value (comma-separated paths, e.g. identity,tools.profile).');
  const paths = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const problem = rowSettingsProblem(paths);
  if (problem !== undefined) throw new UsageError(`--row-settings${problem.startsWith('[') ? '' : ' '}${problem}.`);
  return paths;
}

/** `--min-heartbeat-every D`: the heartbeat floor, a duration (`30s`, `5m`, `1h`; `0` for none). */
export function minHeartbeatFlag(flags: Flags): string | undefined {
  const value = textFlag(flags, 'min-heartbeat-every');
  if (value === undefined) return undefined;
  const problem = minHeartbeatProblem(value);
  if (problem !== undefined) throw new UsageError(`--min-heartbeat-every ${problem}.`);
  return value.trim();
}
