/**
 * Finds the gateway's openclaw.json the way OpenClaw does (`OPENCLAW_CONFIG_PATH`, else
 * `$OPENCLAW_STATE_DIR/openclaw.json`, else `~/.openclaw/openclaw.json`) and reads what this plugin
 * needs from it: the plugin's own config (with `${VAR}` and env SecretRefs applied) and
 * `channels.agent_chat`, the second link of the connection chain. Used by the standalone CLI and,
 * with the host's already-resolved values, by `openclaw agent-config-sync`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { configCandidate, readOpenclawConfig, type DefaultConfigOrigin } from '../host.js';
import { resolveSecretInputs, substituteEnv } from './secretInput.js';

/** Where the config was found, for "say which file they used". */
export type ConfigOrigin = '--openclaw-config' | 'the gateway' | DefaultConfigOrigin;

/**
 * What the host hands `openclaw agent-config-sync`: the path of its config and the values it
 * resolved (SecretRefs, `${VAR}`). The file itself is still read from disk, where its `$include`
 * is (the host's config object has the include already applied).
 */
export interface ProvidedGateway {
  configPath: string;
  /** `plugins.entries.agent_config_sync.config`, as the host resolved it. */
  pluginConfig?: unknown;
  /** `channels.agent_chat`, as the host resolved it. */
  agentChat?: unknown;
}

/** The gateway config the CLI works with, or why there is none. */
export interface GatewayConfig {
  /** The file looked at (it may not exist). */
  path?: string;
  from?: ConfigOrigin;
  /** True when the file was read and parsed. */
  found: boolean;
  config?: unknown;
  /** Why it could not be read (absent file included). */
  error?: string;
  /** `plugins.entries.agent_config_sync.config`, `${VAR}` substituted, SecretRefs not yet resolved. */
  pluginConfig?: unknown;
  /** `channels.agent_chat`, `${VAR}` substituted. */
  agentChat?: unknown;
  /** `secrets.providers`, for env SecretRefs of named providers. */
  secretProviders?: unknown;
  /** `${VAR}` names that were missing or empty. */
  missingVars: string[];
}

export const PLUGIN_CONFIG_KEY = 'plugins.entries.agent_config_sync.config';

/**
 * Reads the gateway config: `given` (the --openclaw-config flag) first, then what the host
 * provided, then the OpenClaw default location. Never throws; `found: false` with `error` says why.
 */
export function findGatewayConfig(given: string | undefined, env: Record<string, string | undefined>, provided?: ProvidedGateway): GatewayConfig {
  const missing = new Set<string>();
  const chosen =
    given !== undefined
      ? { path: path.resolve(given), from: '--openclaw-config' as const }
      : provided
        ? { path: path.resolve(provided.configPath), from: 'the gateway' as const }
        : configCandidate(env);
  if (given === undefined && !fs.existsSync(chosen.path)) {
    return { path: chosen.path, from: chosen.from, found: false, error: `${chosen.path} does not exist`, missingVars: [] };
  }
  const read = readOpenclawConfig(chosen.path);
  if (read.error !== undefined) return { path: chosen.path, from: chosen.from, found: false, error: read.error, missingVars: [] };
  const config = read.config;
  const host = chosen.from === 'the gateway' ? provided : undefined;
  const pluginConfig = host?.pluginConfig ?? substituteEnv(pluginConfigOf(config), env, missing);
  const agentChat = host?.agentChat ?? substituteEnv((config as { channels?: { agent_chat?: unknown } } | undefined)?.channels?.agent_chat, env, missing);
  return { path: chosen.path, from: chosen.from, found: true, config, pluginConfig, agentChat, secretProviders: secretProvidersOf(config), missingVars: [...missing] };
}

/** The plugin config with its SecretRefs resolved (throws ConfigError naming the key). */
export function resolvedPluginConfig(gateway: GatewayConfig, env: Record<string, string | undefined>): unknown {
  return resolveSecretInputs(gateway.pluginConfig, env, PLUGIN_CONFIG_KEY, gateway.secretProviders);
}

/** One line naming the file used, or where it was looked for. */
export function describeGatewayConfig(gateway: GatewayConfig): string {
  if (gateway.found) return `using ${gateway.path} (${gateway.from === '--openclaw-config' || gateway.from === 'the gateway' ? `from ${gateway.from}` : `found through ${gateway.from}`})`;
  return `no openclaw.json: ${gateway.error ?? 'not found'}${gateway.from && gateway.from !== '--openclaw-config' ? ` (chosen through ${gateway.from})` : ''}`;
}

function pluginConfigOf(config: unknown): unknown {
  const entry = (config as { plugins?: { entries?: Record<string, { config?: unknown } | undefined> } } | undefined)?.plugins?.entries?.agent_config_sync;
  return entry?.config;
}

function secretProvidersOf(config: unknown): unknown {
  return (config as { secrets?: { providers?: unknown } } | undefined)?.secrets?.providers;
}
