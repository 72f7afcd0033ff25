/**
 * What doctor looks at, from its flags, the environment and openclaw.json: the output and its
 * shape, the connection, the channel and the agents source. Unlike sync, a broken openclaw.json or
 * connection is a finding here, not a usage error; only bad flags throw.
 */
import fs from 'node:fs';
import { ConfigError, DEFAULTS, type SyncSettings } from '../config.js';
import type { ResolvedConnection } from '../connection.js';
import { parseAgentsSource, type AgentsSource } from '../db/source.js';
import type { OpenclawConfigFacts } from '../domain/doctorChecks.js';
import { parseHostVersion, type HostVersion } from '../domain/hostProfile.js';
import { planOutput, type OutputPlan } from '../domain/plan.js';
import { resolveGatewayId } from '../fleet/gatewayId.js';
import { includeRootsFromEnv, lastTouchedVersion } from '../host.js';
import { findGatewayConfig, type GatewayConfig, type ProvidedGateway } from '../plugin/gatewayConfig.js';
import { realPathOf } from '../sinks/outputGuard.js';
import { channelFlag, choiceFlag, minHeartbeatFlag, msFlag, rowSettingsFlag, textFlag, UsageError, type Flags } from './args.js';
import { connectionFromFlags, pluginSettingsOf } from './context.js';

/** How long doctor waits for the test notification. Defaults to 2000 ms (`--timeout-ms`). */
export const DEFAULT_DOCTOR_WAIT_MS = 2000;

/** What doctor looks at, resolved from flags. Unlike sync, a broken openclaw.json or connection is a finding, not a usage error. */
export interface DoctorSetup {
  /** The output and its shape; undefined when neither --output nor an openclaw.json tells where it is. */
  plan?: OutputPlan;
  /** Why there is no plan. */
  noOutput?: string;
  channel: string;
  waitMs: number;
  source: AgentsSource;
  gateway: GatewayConfig;
  openclaw: OpenclawConfigFacts;
  version?: HostVersion;
  versionFrom?: string;
  includeRoots: string[];
  connection: ResolvedConnection | { error: string };
  /** --gateway-id, else the host's default: scoped views render this gateway's roster. */
  gatewayId: string;
}

/** Reads the flags (and openclaw.json, and the environment) into what doctor looks at; throws a UsageError only for a bad flag. */
export function setupFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, provided?: ProvidedGateway): DoctorSetup {
  const waitMs = msFlag(flags, 'timeout-ms') ?? DEFAULT_DOCTOR_WAIT_MS;
  if (waitMs < 1 || waitMs > 600_000) throw new UsageError(`--timeout-ms must be from 1 to 600000 milliseconds, got ${waitMs}.`);
  const configFlag = textFlag(flags, 'openclaw-config');
  const gateway = findGatewayConfig(configFlag, env, provided);
  let fromPlugin: SyncSettings | undefined;
  let pluginError: string | undefined;
  try {
    fromPlugin = pluginSettingsOf(gateway, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    pluginError = error.message;
  }
  const channel = channelFlag(flags) ?? fromPlugin?.channel ?? DEFAULTS.channel;
  const sourceText = textFlag(flags, 'agents-source') ?? fromPlugin?.agentsSource ?? DEFAULTS.agentsSource;
  let source: AgentsSource;
  try {
    source = parseAgentsSource(sourceText);
  } catch (error) {
    throw new UsageError(`--agents-source: ${(error as Error).message.replace(/^agentsSource: /, '')}`);
  }
  const format = choiceFlag(flags, 'format', ['auto', 'entries', 'list'] as const) ?? fromPlugin?.format ?? 'auto';
  const layout = choiceFlag(flags, 'layout', ['auto', 'root', 'section'] as const) ?? fromPlugin?.layout ?? 'auto';
  const versionText = textFlag(flags, 'host-version');
  const given = parseHostVersion(versionText);
  if (versionText && !given) throw new UsageError(`--host-version must look like 2026.8.2, got ${JSON.stringify(versionText)}.`);

  // An openclaw.json that exists but cannot be read still locates the output beside it.
  const configPath = gateway.path !== undefined && (gateway.found || configFlag !== undefined || fs.existsSync(gateway.path)) ? gateway.path : undefined;
  // No openclaw.json at all (none named, none at the default place) is "not checked", not a failure:
  // only one that exists and cannot be read is an error of its own.
  const openclaw: OpenclawConfigFacts = gateway.found && configPath
    ? { found: true, path: configPath, config: gateway.config }
    : { found: false, path: configPath, error: configPath === undefined ? undefined : gateway.error };
  const detected = parseHostVersion(lastTouchedVersion(gateway.config));
  const version = given ?? detected;
  const versionFrom = given ? '--host-version' : detected ? 'meta.lastTouchedVersion of openclaw.json' : undefined;

  const outputPath = textFlag(flags, 'output') ?? fromPlugin?.outputPath;
  const includeRoots = includeRootsFromEnv(env);
  const plan =
    outputPath || configPath
      ? planOutput(
          { outputPath, format, layout, reload: 'none', reloadSignal: DEFAULTS.reloadSignal, rowSettings: rowSettingsFlag(flags) ?? fromPlugin?.rowSettings, minHeartbeatEvery: minHeartbeatFlag(flags) ?? fromPlugin?.minHeartbeatEvery },
          { version, configPath, config: gateway.config, includeRoots, realPath: realPathOf },
        )
      : undefined;
  const noOutput = plan ? undefined : `no --output and no openclaw.json (${gateway.error ?? 'not found'})`;

  const connection = connectionOf(flags, env, gateway, fromPlugin, pluginError);
  const gatewayId = resolveGatewayId(textFlag(flags, 'gateway-id'), env);
  return { plan, noOutput, channel, waitMs, source, gateway, openclaw, version, versionFrom, includeRoots, connection, gatewayId };
}

/**
 * The connection as the sync would resolve it; a plugin config or connection setting that cannot be
 * used is a finding of the `database` check (unless a --database-url flag stands in for it).
 */
function connectionOf(
  flags: Flags,
  env: NodeJS.ProcessEnv,
  gateway: GatewayConfig,
  fromPlugin: SyncSettings | undefined,
  pluginError: string | undefined,
): DoctorSetup['connection'] {
  if (pluginError !== undefined && !textFlag(flags, 'database-url') && !textFlag(flags, 'database-url-file')) return { error: pluginError };
  try {
    return connectionFromFlags(flags, env, gateway.found ? { config: gateway, settings: fromPlugin } : undefined);
  } catch (error) {
    if (!(error instanceof ConfigError) || error instanceof UsageError) throw error;
    return { error: error.message };
  }
}
