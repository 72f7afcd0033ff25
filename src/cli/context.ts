import fs from 'node:fs';
import { ConfigError, resolveSettings, type SyncSettings } from '../config.js';
import { parseConnectionString, resolveConnection, type ResolvedConnection } from '../connection.js';
import { parseHostVersion } from '../domain/hostProfile.js';
import { resolveGatewayId } from '../fleet/gatewayId.js';
import { planOutput, type HostFacts, type OutputPlan } from '../domain/plan.js';
import { defaultConfigPath, includeRootsFromEnv, lastTouchedVersion, readOpenclawConfig } from '../host.js';
import { consoleLogger, makeLogger, type Logger } from '../logger.js';
import { parseAgentsSource, type AgentsSource } from '../db/source.js';
import { checkOutputPath, realPathOf } from '../sinks/outputGuard.js';
import { channelFlag, choiceFlag, msFlag, textFlag, UsageError, type Flags } from './args.js';

/** Everything a sync-like command needs, resolved from flags and environment. */
export interface CliContext {
  settings: SyncSettings;
  connection: ResolvedConnection;
  source: AgentsSource;
  plan: OutputPlan;
  host: HostFacts;
  log: Required<Logger>;
}

/**
 * Resolves the connection alone (for migrate and doctor's first check): `--database-url URL`, or
 * `--database-url-file FILE` (the URL read from FILE, trimmed), else the environment. Warns (once,
 * on stderr) when the password sits on the command line, where `ps` shows it to every local user.
 */
export function connectionFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const { url, key, file } = databaseUrlFromFlags(flags);
  const connection = resolveConnection({ plugin: url ? { connectionString: url } : undefined, env, pluginKey: key });
  cliSecrets.push(...connection.secrets);
  const warn = makeLogger(consoleLogger(), connection.secrets).warn;
  if (url && key === '--database-url' && parseConnectionString(url, key).hasPassword && !warned.has(url)) {
    warned.add(url);
    warn('--database-url carries a password, which is visible in ps to every user of this machine; use --database-url-file FILE or PGPASSWORD / ~/.pgpass instead.');
  }
  if (file !== undefined && process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0 && parseConnectionString(url ?? '', key).hasPassword) {
    warn(`--database-url-file ${JSON.stringify(file)} holds a password and other users may read it (chmod 600 it).`);
  }
  return connection;
}

/** Secrets of every connection the CLI resolved in this process, to mask in its last error line too. */
export const cliSecrets: string[] = [];
const warned = new Set<string>();

/** `--database-url`, or the trimmed contents of `--database-url-file`; both at once is a usage error. */
export function databaseUrlFromFlags(flags: Flags): { url?: string; key: string; file?: string } {
  const url = textFlag(flags, 'database-url');
  const file = textFlag(flags, 'database-url-file');
  if (url !== undefined && file !== undefined) throw new UsageError('use one of --database-url and --database-url-file, not both.');
  if (file === undefined) return { url, key: '--database-url' };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new UsageError(`--database-url-file: cannot read ${JSON.stringify(file)}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}.`);
  }
  if (text === '') throw new UsageError(`--database-url-file: ${JSON.stringify(file)} is empty (it should hold one postgres:// URL).`);
  return { url: text, key: '--database-url-file', file };
}

/** What the CLI knows of the host: `--openclaw-config` (or the default openclaw.json if it exists) and its version. */
export function hostFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, useDefault = true): HostFacts {
  const given = textFlag(flags, 'openclaw-config');
  const fallback = defaultConfigPath(env);
  const configPath = given ?? (useDefault && fs.existsSync(fallback) ? fallback : undefined);
  const read = configPath ? readOpenclawConfig(configPath) : {};
  if (given && read.error) throw new UsageError(`--openclaw-config: ${read.error}`);
  const versionText = textFlag(flags, 'host-version');
  const version = parseHostVersion(versionText) ?? parseHostVersion(lastTouchedVersion(read.config));
  if (versionText && !parseHostVersion(versionText)) {
    throw new UsageError(`--host-version must look like 2026.8.2, got ${JSON.stringify(versionText)}.`);
  }
  return { version, configPath, config: read.config, includeRoots: includeRootsFromEnv(env), realPath: realPathOf };
}

/**
 * Builds the context of `sync` and `watch`. Throws UsageError for bad flags, ConfigError for no
 * connection, OutputPathError (a ConfigError) for an output path that must not be written.
 */
export function contextFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, useDefaultOpenclawConfig = true): CliContext {
  const sourceText = textFlag(flags, 'agents-source');
  let source: AgentsSource;
  try {
    source = parseAgentsSource(sourceText ?? 'agents');
  } catch (error) {
    throw new UsageError(`--agents-source: ${(error as Error).message.replace(/^agentsSource: /, '')}`);
  }
  const settings = settingsFromFlags(flags, sourceText);
  settings.gatewayId = resolveGatewayId(settings.gatewayId, env);
  const host = hostFromFlags(flags, env, useDefaultOpenclawConfig);
  if (!settings.outputPath && !host.configPath) {
    throw new UsageError('--output FILE is required (or --openclaw-config FILE, to write agents.json beside it).');
  }
  const connection = connectionFromFlags(flags, env);
  const log = makeLogger(consoleLogger(flags.verbose === true), connection.secrets);
  const plan = planOutput({ ...settings, reloadSignal: settings.reloadSignal }, host);
  checkOutputPath(plan.outputPath, { configPath: host.configPath, label: settings.outputPath ? '--output' : 'output path' });
  return { settings, connection, source, plan, host, log };
}

/** The settings the flags give; a bad value is reported under its flag's name (`--reconcile-ms`), not the option's. */
function settingsFromFlags(flags: Flags, sourceText: string | undefined): SyncSettings {
  try {
    return resolveSettings(
      dropUndefined({
        outputPath: textFlag(flags, 'output'),
        format: choiceFlag(flags, 'format', ['auto', 'entries', 'list'] as const),
        layout: choiceFlag(flags, 'layout', ['auto', 'root', 'section'] as const),
        channel: channelFlag(flags),
        agentsSource: sourceText,
        allowEmpty: flags['allow-empty'] === true ? true : undefined,
        debounceMs: msFlag(flags, 'debounce-ms'),
        maxWaitMs: msFlag(flags, 'max-wait-ms'),
        reconcileMs: msFlag(flags, 'reconcile-ms'),
        reload: 'none',
        gatewayId: textFlag(flags, 'gateway-id'),
      }),
      'flags',
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UsageError(error.message.replace(/flags\.([A-Za-z]+)/g, (_m: string, key: string) => `--${FLAG_OF[key] ?? key}`));
  }
}

/** The flag of each option the CLI sets. */
const FLAG_OF: Record<string, string> = {
  outputPath: 'output',
  format: 'format',
  layout: 'layout',
  channel: 'channel',
  agentsSource: 'agents-source',
  allowEmpty: 'allow-empty',
  debounceMs: 'debounce-ms',
  maxWaitMs: 'max-wait-ms',
  reconcileMs: 'reconcile-ms',
  gatewayId: 'gateway-id',
};

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
