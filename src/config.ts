import { parseAgentsSource } from './db/source.js';
import { checkChannel, DEFAULT_CHANNEL } from './domain/channel.js';
import type { ReloadOption } from './domain/hostProfile.js';
import { isRecord } from './domain/records.js';
import type { FormatOption, LayoutOption } from './domain/types.js';
import { ConfigError } from './configError.js';
import { COLUMN_PATHS, DEFAULT_MIN_HEARTBEAT_EVERY, DEFAULT_ROW_SETTINGS, minHeartbeatProblem, rowSettingsProblem } from './domain/rowPolicy.js';

export type { FormatOption, LayoutOption } from './domain/types.js';
export { ConfigError } from './configError.js';

/** Signals a reload may use. SIGUSR1 is the gateway's restart signal on hosts that handle it. */
export const RELOAD_SIGNALS = ['SIGUSR1', 'SIGUSR2', 'SIGHUP'] as const;
export type ReloadSignal = (typeof RELOAD_SIGNALS)[number];

/** Connection keys of the plugin config (docs/design.md §6). */
export interface ConnectionSettings {
  connectionString?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  ssl?: boolean | Record<string, unknown>;
}

/** The validated settings, defaults applied. */
export interface SyncSettings {
  connection: ConnectionSettings;
  /** Where agents.json goes; undefined means beside openclaw.json. */
  outputPath?: string;
  /** LISTEN channel, trimmed, at most 63 bytes. Defaults to `agent_config_changed`. */
  channel: string;
  /** Quiet window before a resync. Defaults to 250 ms. */
  debounceMs: number;
  /** Longest wait under constant changes. Defaults to 2000 ms. */
  maxWaitMs: number;
  /** Defaults to `auto`. */
  format: FormatOption;
  /** Defaults to `auto`. */
  layout: LayoutOption;
  /** Defaults to `auto`. */
  reload: ReloadOption;
  /** Signal for `reload: "signal"`. Defaults to SIGUSR1. */
  reloadSignal: ReloadSignal;
  /** Allow emptying a non-empty roster. Defaults to false. */
  allowEmpty: boolean;
  /** Table, view or set-returning function. Defaults to `agents`. */
  agentsSource: string;
  /** Full snapshot on this interval, writing only when the file differs. Defaults to 300000 ms; 0 turns it off. */
  reconcileMs: number;
  /** This gateway's id in a fleet (docs/design.md §9); undefined means the default from the host (src/fleet/gatewayId.ts). */
  gatewayId?: string;
  /**
   * Dotted paths under an agent entry that a row's `openclaw_config` may set (prefix match). They
   * replace the default list; what the dedicated columns write is allowed whatever it says. Defaults
   * to description, identity.name|theme|emoji, heartbeat.activeHours, reasoningDefault, fastModeDefault.
   */
  rowSettings: readonly string[];
  /** Shortest heartbeat interval a row may set (a shorter one is raised to it). Duration text. Defaults to `5m`. */
  minHeartbeatEvery: string;
  /**
   * How long the change ledger keeps changes, in whole days (1 to 36500); running syncs prune older
   * ones at most hourly. Defaults to 90 days.
   */
  historyDays: number;
}

export const DEFAULTS = {
  channel: DEFAULT_CHANNEL,
  debounceMs: 250,
  maxWaitMs: 2000,
  format: 'auto',
  layout: 'auto',
  reload: 'auto',
  reloadSignal: 'SIGUSR1',
  allowEmpty: false,
  agentsSource: 'agents',
  reconcileMs: 300_000,
  rowSettings: DEFAULT_ROW_SETTINGS,
  minHeartbeatEvery: DEFAULT_MIN_HEARTBEAT_EVERY,
  historyDays: 90,
} as const satisfies Omit<SyncSettings, 'connection' | 'outputPath'>;

/** A setting that is not allowed; the message names the key and what is allowed. */

const KNOWN_KEYS = new Set([
  'connectionString', 'host', 'port', 'database', 'user', 'password', 'ssl',
  'outputPath', 'channel', 'debounceMs', 'maxWaitMs', 'format', 'layout', 'reload', 'reloadSignal', 'allowEmpty', 'agentsSource',
  'reconcileMs', 'gatewayId', 'rowSettings', 'minHeartbeatEvery', 'historyDays',
]);

/**
 * Validates a plugin config object (`plugins.entries.agent_config_sync.config`) and applies defaults.
 * Throws a ConfigError naming the first bad key and what it allows.
 * @param where Prefix for messages, e.g. `plugins.entries.agent_config_sync.config` or `--flag`.
 */
export function resolveSettings(raw: unknown, where = 'config'): SyncSettings {
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${where} must be an object.`);
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new ConfigError(`${where}.${key} is not a known option (allowed: ${[...KNOWN_KEYS].join(', ')}).`);
    }
  }
  const at = (key: string) => `${where}.${key}`;
  const connection: ConnectionSettings = {
    connectionString: optionalText(input, 'connectionString', at),
    host: optionalText(input, 'host', at),
    port: optionalInteger(input, 'port', at, 1, 65535),
    database: optionalText(input, 'database', at),
    user: optionalText(input, 'user', at),
    password: optionalString(input, 'password', at),
    ssl: optionalSsl(input, at),
  };
  const debounceMs = optionalInteger(input, 'debounceMs', at, 0, 600_000) ?? DEFAULTS.debounceMs;
  const maxWaitMs = optionalInteger(input, 'maxWaitMs', at, 0, 3_600_000) ?? DEFAULTS.maxWaitMs;
  if (maxWaitMs < debounceMs) {
    throw new ConfigError(`${at('maxWaitMs')} (${maxWaitMs}) must be >= ${at('debounceMs')} (${debounceMs}).`);
  }
  return {
    connection: stripUndefined(connection),
    outputPath: optionalText(input, 'outputPath', at),
    channel: optionalChannel(input, at) ?? DEFAULTS.channel,
    debounceMs,
    maxWaitMs,
    format: oneOf(input, 'format', at, ['auto', 'entries', 'list'] as const) ?? DEFAULTS.format,
    layout: oneOf(input, 'layout', at, ['auto', 'root', 'section'] as const) ?? DEFAULTS.layout,
    reload: oneOf(input, 'reload', at, ['auto', 'touch', 'signal', 'none'] as const) ?? DEFAULTS.reload,
    reloadSignal: oneOf(input, 'reloadSignal', at, RELOAD_SIGNALS) ?? DEFAULTS.reloadSignal,
    allowEmpty: optionalBoolean(input, 'allowEmpty', at) ?? DEFAULTS.allowEmpty,
    agentsSource: optionalAgentsSource(input, at) ?? DEFAULTS.agentsSource,
    reconcileMs: optionalReconcile(input, at) ?? DEFAULTS.reconcileMs,
    ...optionalGatewayId(input, at),
    rowSettings: optionalRowSettings(input, at) ?? DEFAULTS.rowSettings,
    minHeartbeatEvery: optionalMinHeartbeat(input, at) ?? DEFAULTS.minHeartbeatEvery,
    // At least a day: the ledger is what "who changed what" and revert read; at most a hundred years.
    historyDays: optionalInteger(input, 'historyDays', at, 1, 36_500) ?? DEFAULTS.historyDays,
  };
}

/**
 * `rowSettings`: the `openclaw_config` paths rows may set, replacing the default list (the column
 * outputs stay allowed). Sorted and without duplicates, so the same policy is the same setting.
 */
function optionalRowSettings(input: Record<string, unknown>, at: (k: string) => string): readonly string[] | undefined {
  const value = input.rowSettings;
  if (value === undefined) return undefined;
  const problem = rowSettingsProblem(value);
  if (problem !== undefined) {
    throw new ConfigError(
      `${at('rowSettings')}${problem.startsWith('[') ? '' : ' '}${problem}. It replaces the default list (${DEFAULT_ROW_SETTINGS.join(', ')}); ` +
        `the column outputs (${COLUMN_PATHS.join(', ')}) are always allowed.`,
    );
  }
  return [...new Set(value as string[])].sort();
}

/** `minHeartbeatEvery`: a duration (`30s`, `5m`, `1h`; `0` for no floor), trimmed. */
function optionalMinHeartbeat(input: Record<string, unknown>, at: (k: string) => string): string | undefined {
  const value = input.minHeartbeatEvery;
  if (value === undefined) return undefined;
  const problem = minHeartbeatProblem(value);
  if (problem !== undefined) throw new ConfigError(`${at('minHeartbeatEvery')} ${problem}.`);
  return (value as string).trim();
}

function optionalString(input: Record<string, unknown>, key: string, at: (k: string) => string): string | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${at(key)} must be a string.`);
  return value;
}

function optionalText(input: Record<string, unknown>, key: string, at: (k: string) => string): string | undefined {
  const value = optionalString(input, key, at);
  if (value !== undefined && value.trim() === '') throw new ConfigError(`${at(key)} must be a non-empty string.`);
  return value?.trim();
}

function optionalInteger(input: Record<string, unknown>, key: string, at: (k: string) => string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${at(key)} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** 0 (off) or at least a second: a shorter period would read the database all the time. */
function optionalReconcile(input: Record<string, unknown>, at: (k: string) => string): number | undefined {
  const value = optionalInteger(input, 'reconcileMs', at, 0, 86_400_000);
  if (value !== undefined && value > 0 && value < 1_000) {
    throw new ConfigError(`${at('reconcileMs')} must be 0 (off) or from 1000 to 86400000 ms, got ${value}.`);
  }
  return value;
}

function optionalBoolean(input: Record<string, unknown>, key: string, at: (k: string) => string): boolean | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new ConfigError(`${at(key)} must be true or false, got ${JSON.stringify(value)}.`);
  return value;
}

function oneOf<T extends string>(input: Record<string, unknown>, key: string, at: (k: string) => string, allowed: readonly T[]): T | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${at(key)} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}.`);
  }
  return value as T;
}

function optionalSsl(input: Record<string, unknown>, at: (k: string) => string): ConnectionSettings['ssl'] {
  const value = input.ssl;
  if (value === undefined || typeof value === 'boolean') return value;
  if (isRecord(value)) return value;
  throw new ConfigError(`${at('ssl')} must be true, false or an object of TLS options.`);
}

/** A table, view or set-returning function name (docs/design.md §6), checked here so a bad one fails as a setting. */
function optionalAgentsSource(input: Record<string, unknown>, at: (k: string) => string): string | undefined {
  const value = optionalText(input, 'agentsSource', at);
  if (value === undefined) return undefined;
  try {
    parseAgentsSource(value);
  } catch (error) {
    throw new ConfigError(`${at('agentsSource')}: ${(error as Error).message.replace(/^agentsSource: /, '')}`);
  }
  return value;
}

/** A channel name: trimmed, 1 to 63 bytes (PostgreSQL counts bytes, not characters), no NUL. Quoted when used. */
function optionalChannel(input: Record<string, unknown>, at: (k: string) => string): string | undefined {
  const value = optionalString(input, 'channel', at);
  if (value === undefined) return undefined;
  const checked = checkChannel(value);
  if (!checked.ok) throw new ConfigError(`${at('channel')} ${checked.reason}.`);
  return checked.channel;
}

/** A gateway id: trimmed, 1 to 200 characters, printable (it is shown by `fleet` and logged). */
function optionalGatewayId(input: Record<string, unknown>, at: (k: string) => string): { gatewayId?: string } {
  const value = optionalText(input, 'gatewayId', at);
  if (value === undefined) return {};
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new ConfigError(`${at('gatewayId')} must be 1 to 200 printable characters, got ${JSON.stringify(value.slice(0, 60))}.`);
  }
  return { gatewayId: value };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
