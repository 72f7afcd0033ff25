import fs from 'node:fs';
import { ConfigError, resolveSettings, type SyncSettings } from '../config.js';
import { parseConnectionString, resolveConnection, type ResolvedConnection } from '../connection.js';
import { parseHostVersion } from '../domain/hostProfile.js';
import { resolveGatewayId } from '../fleet/gatewayId.js';
import { planOutput, type HostFacts, type OutputPlan } from '../domain/plan.js';
import { includeRootsFromEnv, lastTouchedVersion, readPostgresJson } from '../host.js';
import { consoleLogger, makeLogger, type Logger } from '../logger.js';
import { parseAgentsSource, type AgentsSource } from '../db/source.js';
import { checkOutputPath, realPathOf } from '../sinks/outputGuard.js';
import { describeGatewayConfig, findGatewayConfig, PLUGIN_CONFIG_KEY, resolvedPluginConfig, type GatewayConfig, type ProvidedGateway } from '../plugin/gatewayConfig.js';
import { channelFlag, choiceFlag, minHeartbeatFlag, msFlag, rowSettingsFlag, textFlag, UsageError, wholeNumberFlag, type Flags } from './args.js';

/** Everything a sync-like command needs, resolved from flags and environment. */
export interface CliContext {
  settings: SyncSettings;
  connection: ResolvedConnection;
  source: AgentsSource;
  plan: OutputPlan;
  host: HostFacts;
  /** The gateway's openclaw.json the settings came from, or where it was looked for. */
  gateway: GatewayConfig;
  log: Required<Logger>;
}

/**
 * Resolves the connection alone (for migrate and doctor's first check): `--database-url URL`, or
 * `--database-url-file FILE` (the URL read from FILE, trimmed), else the environment. Warns (once,
 * on stderr) when the password sits on the command line, where `ps` shows it to every local user.
 */
export function connectionFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, gateway?: GatewayConnection): ResolvedConnection {
  const { url, key, file } = databaseUrlFromFlags(flags);
  const connection = url || !gateway
    ? resolveConnection({ plugin: url ? { connectionString: url } : undefined, env, pluginKey: key })
    : resolveConnection({
        plugin: gateway.settings?.connection,
        agentChat: gateway.config.agentChat,
        postgresJson: readPostgresJson(env.HOME || undefined),
        env,
        pluginKey: `${PLUGIN_CONFIG_KEY}.connectionString`,
      });
  cliSecrets.push(...connection.secrets);
  cliSafeTexts.push(connection.description);
  const warn = makeLogger(consoleLogger(), connection.secrets, [connection.description]).warn;
  if (url && key === '--database-url' && parseConnectionString(url, key).hasPassword && !warned.has(url)) {
    warned.add(url);
    warn('--database-url carries a password, which is visible in ps to every user of this machine; use --database-url-file FILE or PGPASSWORD / ~/.pgpass instead.');
  }
  if (file !== undefined && process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0 && parseConnectionString(url ?? '', key).hasPassword) {
    warn(`--database-url-file ${JSON.stringify(file)} holds a password and other users may read it (chmod 600 it).`);
  }
  return connection;
}

/**
 * A found openclaw.json and the plugin settings in it: without a --database-url the connection
 * follows the plugin's chain (plugin config → channels.agent_chat → ~/.openclaw/postgres.json → env).
 */
export interface GatewayConnection {
  config: GatewayConfig;
  settings?: SyncSettings;
}

/** Secrets of every connection the CLI resolved in this process, to mask in its last error line too. */
export const cliSecrets: string[] = [];
/** Descriptions of those connections (built without the password): never masked, see secretMasker. */
export const cliSafeTexts: string[] = [];
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

/**
 * The gateway config of a command: `--openclaw-config FILE` (a usage error when unreadable), else
 * what the host provided (`openclaw agent-config-sync`), else OpenClaw's own default location.
 */
export function gatewayFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, useDefault = true, provided?: ProvidedGateway): GatewayConfig {
  const given = textFlag(flags, 'openclaw-config');
  if (given === undefined && !useDefault) return { found: false, error: 'not looked for', missingVars: [] };
  const gateway = findGatewayConfig(given, env, provided);
  if (given !== undefined && !gateway.found) throw new UsageError(`--openclaw-config: ${gateway.error ?? 'cannot read it'}`);
  return gateway;
}

/** The plugin's settings in the gateway config (SecretRefs resolved), or undefined when it has none. */
export function pluginSettingsOf(gateway: GatewayConfig, env: NodeJS.ProcessEnv = process.env): SyncSettings | undefined {
  if (!gateway.found || gateway.pluginConfig === undefined) return undefined;
  return resolveSettings(resolvedPluginConfig(gateway, env), gateway.from === 'the gateway' ? PLUGIN_CONFIG_KEY : `${PLUGIN_CONFIG_KEY} in ${gateway.path}`);
}

/** What the CLI knows of the host: the gateway config found and the version (--host-version, else meta.lastTouchedVersion). */
export function hostFromFlags(flags: Flags, gateway: GatewayConfig, env: NodeJS.ProcessEnv = process.env): HostFacts {
  const versionText = textFlag(flags, 'host-version');
  const version = parseHostVersion(versionText) ?? parseHostVersion(lastTouchedVersion(gateway.config));
  if (versionText && !parseHostVersion(versionText)) {
    throw new UsageError(`--host-version must look like 2026.8.2, got ${JSON.stringify(versionText)}.`);
  }
  const configPath = gateway.found ? gateway.path : undefined;
  return { version, configPath, config: gateway.config, includeRoots: includeRootsFromEnv(env), realPath: realPathOf };
}

/**
 * Builds the context of `sync` and `watch`. Throws UsageError for bad flags, ConfigError for no
 * connection, OutputPathError (a ConfigError) for an output path that must not be written.
 */
export function contextFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, useDefaultOpenclawConfig = true, provided?: ProvidedGateway): CliContext {
  const sourceText = textFlag(flags, 'agents-source');
  let source: AgentsSource;
  try {
    source = parseAgentsSource(sourceText ?? 'agents');
  } catch (error) {
    throw new UsageError(`--agents-source: ${(error as Error).message.replace(/^agentsSource: /, '')}`);
  }
  const gateway = gatewayFromFlags(flags, env, useDefaultOpenclawConfig, provided);
  const fromPlugin = pluginSettingsOf(gateway, env);
  if (fromPlugin?.agentsSource !== undefined && sourceText === undefined) source = parseAgentsSource(fromPlugin.agentsSource);
  const settings = settingsFromFlags(flags, sourceText, fromPlugin);
  settings.gatewayId = resolveGatewayId(settings.gatewayId, env);
  const host = hostFromFlags(flags, gateway, env);
  if (!settings.outputPath && !host.configPath) {
    throw new UsageError(`--output FILE is required (or --openclaw-config FILE, to write agents.json beside it); ${describeGatewayConfig(gateway)}.`);
  }
  const connection = connectionFromFlags(flags, env, gateway.found ? { config: gateway, settings: fromPlugin } : undefined);
  const log = makeLogger(consoleLogger(flags.verbose === true), connection.secrets, [connection.description]);
  if (gateway.found && gateway.from !== '--openclaw-config') {
    // Found by itself: say which file decided the settings.
    log.info(describeGatewayConfig(gateway));
    if (!textFlag(flags, 'database-url') && !textFlag(flags, 'database-url-file')) log.info(`connection from ${connection.source}: ${connection.description}`);
  }
  gateway.missingVars.forEach((name) => log.warn(`\${${name}} in ${gateway.path} is not set in the environment; the value stays unresolved`));
  const plan = planOutput({ ...settings, reloadSignal: settings.reloadSignal }, host);
  const label = textFlag(flags, 'output') ? '--output' : settings.outputPath ? `${PLUGIN_CONFIG_KEY}.outputPath` : 'output path';
  checkOutputPath(plan.outputPath, { configPath: host.configPath, label });
  return { settings, connection, source, plan, host, gateway, log };
}

/** The settings the flags give; a bad value is reported under its flag's name (`--reconcile-ms`), not the option's. */
function settingsFromFlags(flags: Flags, sourceText: string | undefined, fromPlugin?: SyncSettings): SyncSettings {
  try {
    return resolveSettings({
      ...(fromPlugin ? dropUndefined(pluginDefaults(fromPlugin)) : {}),
      ...dropUndefined({
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
        rowSettings: rowSettingsFlag(flags),
        minHeartbeatEvery: minHeartbeatFlag(flags),
        historyDays: wholeNumberFlag(flags, 'history-days'),
      }),
    }, 'flags');
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
  rowSettings: 'row-settings',
  minHeartbeatEvery: 'min-heartbeat-every',
  historyDays: 'history-days',
};

/** The plugin's settings a CLI command takes over when its flags do not say otherwise (not the reload: the CLI has its own flags). */
function pluginDefaults(s: SyncSettings): Record<string, unknown> {
  return {
    outputPath: s.outputPath,
    format: s.format,
    layout: s.layout,
    channel: s.channel,
    agentsSource: s.agentsSource,
    allowEmpty: s.allowEmpty,
    debounceMs: s.debounceMs,
    maxWaitMs: s.maxWaitMs,
    reconcileMs: s.reconcileMs,
    gatewayId: s.gatewayId,
    rowSettings: s.rowSettings,
    minHeartbeatEvery: s.minHeartbeatEvery,
    historyDays: s.historyDays,
  };
}

function dropUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
