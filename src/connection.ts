import type pg from 'pg';
import type { ConnectionSettings } from './config.js';
import { ConfigError } from './config.js';

/** The name the plugin's connections carry in pg_stat_activity. */
export const APPLICATION_NAME = 'agent_config_sync';

/** Where the connection settings were found, in the order they are tried (DESIGN §6). */
export type ConnectionSource = 'plugin config' | 'channels.agent_chat' | '~/.openclaw/postgres.json' | 'environment';

/** Inputs of {@link resolveConnection}; the caller reads files and env, this function only decides. */
export interface ConnectionInputs {
  plugin?: ConnectionSettings;
  /** `channels.agent_chat` of openclaw.json. */
  agentChat?: unknown;
  /** Parsed `~/.openclaw/postgres.json` (flat keys), when it exists. */
  postgresJson?: unknown;
  env?: Record<string, string | undefined>;
  /** What to call the `plugin` settings' connection string in messages (the CLI says --database-url). */
  pluginKey?: string;
}

/** A resolved connection. */
export interface ResolvedConnection {
  config: pg.ClientConfig;
  source: ConnectionSource;
  /** Safe to log: user@host:port/database, never the password. */
  description: string;
  /** Values to hide from every log line. */
  secrets: string[];
}

/**
 * Picks the connection: plugin config → `channels.agent_chat` → `~/.openclaw/postgres.json` →
 * DATABASE_URL / PG* env. The first source that names a server or a database wins.
 * Throws a ConfigError listing the places looked at when none does.
 */
export function resolveConnection(inputs: ConnectionInputs): ResolvedConnection {
  const env = inputs.env ?? {};
  const candidates: [ConnectionSource, ConnectionSettings | undefined][] = [
    ['plugin config', inputs.plugin],
    ['channels.agent_chat', flatSettings(inputs.agentChat)],
    ['~/.openclaw/postgres.json', flatSettings(inputs.postgresJson)],
    ['environment', envSettings(env)],
  ];
  for (const [source, settings] of candidates) {
    if (!settings || !(settings.connectionString || settings.host || settings.database)) continue;
    if (settings.connectionString) checkConnectionString(settings.connectionString, keyOf(source, inputs.pluginKey));
    const config: pg.ClientConfig = { ...settings, application_name: APPLICATION_NAME } as pg.ClientConfig;
    const secrets = [settings.password, settings.connectionString && passwordInUrl(settings.connectionString), settings.connectionString]
      .filter((s): s is string => typeof s === 'string' && s.length > 0);
    return { config, source, description: describe(settings, env), secrets };
  }
  throw new ConfigError(
    'no PostgreSQL connection configured: set plugins.entries.agent_config_sync.config.connectionString ' +
      '(or host/database/user/password), channels.agent_chat, ~/.openclaw/postgres.json, or DATABASE_URL / PGHOST / PGDATABASE.',
  );
}

function keyOf(source: ConnectionSource, pluginKey = 'plugins.entries.agent_config_sync.config.connectionString'): string {
  if (source === 'plugin config') return pluginKey;
  if (source === 'environment') return 'DATABASE_URL';
  return `connectionString of ${source}`;
}

const URL_SCHEMES = ['postgres:', 'postgresql:', 'socket:'];

/**
 * Fails fast, naming where the string came from, on a connection string node-postgres would
 * misread (another scheme) or not parse; the message never repeats the password.
 */
function checkConnectionString(text: string, where: string): void {
  if (text.startsWith('/')) return; // a Unix socket directory, as node-postgres accepts it
  const allowed = 'allowed: postgres://user:password@host:port/database, postgresql://…, socket:/dir?db=name';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${where} is not a valid URL (${allowed}); check the host, the port (1-65535) and that special characters in the password are %-encoded.`);
  }
  if (!URL_SCHEMES.includes(url.protocol)) {
    throw new ConfigError(`${where} has the scheme "${url.protocol.replace(/:$/, '')}" (${allowed}).`);
  }
}

function flatSettings(value: unknown): ConnectionSettings | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const text = (k: string) => (typeof v[k] === 'string' && (v[k] as string).trim() !== '' ? (v[k] as string) : undefined);
  const port = typeof v.port === 'number' ? v.port : typeof v.port === 'string' && /^\d+$/.test(v.port) ? Number(v.port) : undefined;
  const out: ConnectionSettings = {
    connectionString: text('connectionString') ?? text('url'),
    host: text('host'),
    port,
    database: text('database') ?? text('dbname'),
    user: text('user') ?? text('username'),
    password: typeof v.password === 'string' ? v.password : undefined,
  };
  if (typeof v.ssl === 'boolean' || (typeof v.ssl === 'object' && v.ssl !== null)) out.ssl = v.ssl as ConnectionSettings['ssl'];
  return Object.fromEntries(Object.entries(out).filter(([, x]) => x !== undefined)) as ConnectionSettings;
}

/** DATABASE_URL, or the PG* variables (node-postgres reads PG* itself; we only check one is set). */
function envSettings(env: Record<string, string | undefined>): ConnectionSettings | undefined {
  if (env.DATABASE_URL) return { connectionString: env.DATABASE_URL };
  if (env.PGHOST || env.PGDATABASE) {
    return Object.fromEntries(
      Object.entries({
        host: env.PGHOST,
        port: env.PGPORT && /^\d+$/.test(env.PGPORT) ? Number(env.PGPORT) : undefined,
        database: env.PGDATABASE,
        user: env.PGUSER,
        password: env.PGPASSWORD,
      }).filter(([, x]) => x !== undefined && x !== ''),
    ) as ConnectionSettings;
  }
  return undefined;
}

function passwordInUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
}

function describe(settings: ConnectionSettings, env: Record<string, string | undefined>): string {
  if (settings.connectionString) {
    try {
      const url = new URL(settings.connectionString);
      const db = url.pathname.replace(/^\//, '') || '(default db)';
      return `${decodeURIComponent(url.username) || '(default user)'}@${url.hostname || 'localhost'}:${url.port || '5432'}/${db}`;
    } catch {
      return '(connection string)';
    }
  }
  const user = settings.user ?? env.PGUSER ?? '(default user)';
  const host = settings.host ?? env.PGHOST ?? 'localhost';
  const port = settings.port ?? env.PGPORT ?? 5432;
  const db = settings.database ?? env.PGDATABASE ?? user;
  return `${user}@${host}:${String(port)}/${db}`;
}
