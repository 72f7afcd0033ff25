/**
 * OpenClaw's two ways of keeping a secret out of openclaw.json, for the places where the host does
 * not apply them for us: `${VAR}` in any config string (the standalone CLI reads openclaw.json
 * itself) and SecretRefs `{source, provider, id}` on the plugin's secret inputs (`password`,
 * `connectionString`; hosts older than the manifest's `configContracts.secretInputs` hand the
 * object over unresolved). Pure: the environment comes in as an argument.
 */
import { ConfigError } from '../config.js';
import { isRecord } from '../domain/records.js';

/** The plugin config keys declared as secret inputs in openclaw.plugin.json. */
export const SECRET_INPUTS = ['password', 'connectionString'] as const;

/** OpenClaw's SecretRef: `{ source: "env" | "file" | "exec" | "store", provider, id }`. */
export interface SecretRef {
  source: string;
  provider: string;
  id: string;
}

/** True for an object shaped like a SecretRef (three string fields, nothing else). */
export function isSecretRef(value: unknown): value is SecretRef {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.source === 'string' &&
    typeof v.provider === 'string' &&
    typeof v.id === 'string' &&
    Object.keys(v).every((k) => k === 'source' || k === 'provider' || k === 'id')
  );
}

/** The secret inputs of `config` that are still SecretRef objects (the host did not resolve them). */
export function unresolvedSecretInputs(config: unknown): string[] {
  if (typeof config !== 'object' || config === null) return [];
  return SECRET_INPUTS.filter((key) => isSecretRef((config as Record<string, unknown>)[key]));
}

/** OpenClaw substitutes only upper-case names; `$${VAR}` is the escape for a literal `${VAR}`. */
const PLACEHOLDER = /\$?\$\{([A-Z_][A-Z0-9_]*)\}/g;

/**
 * `value` with `${VAR}` replaced in every string, at any depth, as OpenClaw does it: upper-case
 * names only, `$${VAR}` gives a literal `${VAR}`, and a missing or empty variable stays visibly
 * unresolved (named in `missing`).
 */
export function substituteEnv(value: unknown, env: Record<string, string | undefined>, missing: Set<string> = new Set()): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (whole: string, name: string) => {
      if (whole.startsWith('$$')) return whole.slice(1);
      const found = env[name];
      if (found === undefined || found === '') {
        missing.add(name);
        return whole;
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substituteEnv(v, env, missing));
  if (isRecord(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, missing)]));
  }
  return value;
}

/**
 * The plugin config with every SecretRef on a secret input replaced by its value. `env` refs are
 * read from `env` (provider "default", or a provider `secrets.providers.<name>` with source "env");
 * other sources are resolved only by the gateway, so they are refused with a sentence saying what
 * to do. Throws ConfigError naming the key (never the value).
 * @param where The config path for messages, e.g. `plugins.entries.agent_config_sync.config`.
 * @param providers `secrets.providers` of openclaw.json, when known.
 */
export function resolveSecretInputs(config: unknown, env: Record<string, string | undefined>, where: string, providers?: unknown): unknown {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) return config;
  const out: Record<string, unknown> = { ...(config as Record<string, unknown>) };
  for (const key of SECRET_INPUTS) {
    const ref = out[key];
    if (ref === undefined || typeof ref === 'string') continue;
    if (!isSecretRef(ref)) throw new ConfigError(`${where}.${key} must be a string or a SecretRef {source, provider, id}.`);
    out[key] = resolveRef(ref, env, `${where}.${key}`, providers);
  }
  return out;
}

function resolveRef(ref: SecretRef, env: Record<string, string | undefined>, at: string, providers: unknown): string {
  const named = `SecretRef ${ref.source}:${ref.provider}:${ref.id}`;
  const provider = (providers as Record<string, { source?: unknown } | undefined> | undefined)?.[ref.provider];
  const providerSource = provider && typeof provider.source === 'string' ? provider.source : ref.provider === 'default' ? ref.source : undefined;
  if (ref.source !== 'env' || providerSource !== 'env') {
    throw new ConfigError(
      `${at} is a ${named}, which only the OpenClaw gateway resolves (this reader knows env refs of the "default" provider); ` +
        'run "openclaw agent-config-sync …" so the host resolves it, or give --database-url-file here.',
    );
  }
  const value = env[ref.id];
  if (value === undefined || value === '') throw new ConfigError(`${at} is a ${named}, but the environment variable ${ref.id} is not set.`);
  return value;
}
