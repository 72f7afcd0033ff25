import type pg from 'pg';
import type { ConnectionSettings } from './config.js';
import { ConfigError } from './config.js';
import { printable } from './logger.js';

/** The name the plugin's connections carry in pg_stat_activity. */
export const APPLICATION_NAME = 'agent_config_sync';

/** Where the connection settings were found, in the order they are tried (docs/design.md §6). */
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
    const url = settings.connectionString ? parseConnectionString(settings.connectionString, keyOf(source, inputs.pluginKey)) : undefined;
    const config: pg.ClientConfig = { ...settings, application_name: APPLICATION_NAME } as pg.ClientConfig;
    const passphrase = typeof settings.ssl === 'object' && settings.ssl !== null ? settings.ssl.passphrase : undefined; // a TLS key's
    // node-postgres falls back to PGPASSWORD whenever the settings carry no password of their own.
    const secrets = secretList([...(url?.secrets ?? []), ...passwordForms(settings.password), ...passwordForms(passphrase), ...passwordForms(env.PGPASSWORD)]);
    return { config, source, description: url?.description ?? describeSettings(settings, env), secrets };
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

/** What a connection string holds, taken apart: safe parts for messages, secret parts to hide. */
export interface ConnectionStringParts {
  /** user@host:port/database, built from the parsed parts only; never the password or a query parameter. */
  description: string;
  /** The password in every form it may be printed in (as typed, %-encoded, decoded), the password
   *  and sslpassword query parameters, and the whole string. */
  secrets: string[];
  /** True when the string itself carries a password (user:password@ or ?password=). */
  hasPassword: boolean;
}

/** Query parameters whose values are secrets (node-postgres reads `password` and hands `sslpassword` to TLS). */
const SECRET_PARAMS = ['password', 'sslpassword'];

/**
 * Takes a connection string apart the way node-postgres does, after refusing what it would misread.
 * Throws a ConfigError naming `where` (never repeating the string) for: not a URL (including libpq
 * `key=value` strings), another scheme, and an `@` after the host part — which is how a password
 * with an unencoded `/`, `?` or `#` looks: the URL parser ends the host at that character, so the
 * rest of the password would become the port, the database name or a query parameter and be shown
 * in messages as such.
 */
export function parseConnectionString(text: string, where: string): ConnectionStringParts {
  if (text.startsWith('/')) {
    // A Unix socket directory and a database name, as node-postgres accepts it: "/dir db".
    const [dir, database] = text.split(' ');
    return { description: describeParts({ host: dir, database }), secrets: [text], hasPassword: false };
  }
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
  const rawUserinfo = rawUserinfoOf(text, url.protocol);
  if (rawUserinfo === AMBIGUOUS) {
    throw new ConfigError(
      `${where} has an "@" after the host part, so the URL parser would read part of the password (or user name) as the host, ` +
        `port, database or a parameter: %-encode "/", "?", "#", "@" and "%" in the password and user name ` +
        `(%2F, %3F, %23, %40, %25), e.g. with encodeURIComponent, or move the password to PGPASSWORD / ~/.pgpass.`,
    );
  }
  const rawPassword = rawUserinfo === undefined || !rawUserinfo.includes(':') ? undefined : rawUserinfo.slice(rawUserinfo.indexOf(':') + 1);
  const params = url.searchParams;
  const paramSecrets = SECRET_PARAMS.flatMap((name) => [...params.getAll(name), ...rawParamValues(text, name)]);
  const secrets = secretList([
    ...passwordForms(rawPassword),
    ...passwordForms(url.password),
    ...passwordForms(pgDecodedPassword(text)),
    ...paramSecrets.flatMap(passwordForms),
    url.href,
    text,
  ]);
  const socket = url.protocol === 'socket:';
  const description = describeParts({
    user: params.get('user') ?? (safeDecode(url.username) || undefined),
    host: params.get('host') ?? (socket ? safeDecode(url.pathname) : url.hostname) ?? undefined,
    port: params.get('port') ?? (url.port || undefined),
    database: (socket ? params.get('db') : safeDecode(url.pathname.replace(/^\//, ''))) || undefined,
  });
  return { description, secrets, hasPassword: Boolean(rawPassword) || params.has('password') };
}

const AMBIGUOUS = Symbol('ambiguous');

/**
 * The user[:password] part exactly as typed, or AMBIGUOUS when an `@` follows the end of the host
 * part (the first `/`, `?` or `#` after `//`), or undefined when there is none.
 */
function rawUserinfoOf(text: string, protocol: string): string | undefined | typeof AMBIGUOUS {
  const start = text.indexOf('//', protocol.length - 1) === protocol.length ? protocol.length + 2 : protocol.length;
  const rest = text.slice(start);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  if (end >= 0 && rest.slice(end).includes('@')) return AMBIGUOUS;
  const at = authority.lastIndexOf('@');
  return at < 0 ? undefined : authority.slice(0, at);
}

/** Values of `name=` in the raw query, as typed (%-encoded or not). */
function rawParamValues(text: string, name: string): string[] {
  const query = text.includes('?') ? text.slice(text.indexOf('?') + 1) : '';
  return query
    .split('&')
    .filter((pair) => pair.toLowerCase().startsWith(`${name}=`))
    .map((pair) => pair.slice(name.length + 1));
}

/** The password node-postgres will send, decoded as pg-connection-string decodes it. */
function pgDecodedPassword(text: string): string | undefined {
  try {
    // pg-connection-string re-encodes strings holding a space or a stray "%" before parsing them.
    const fixed = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(text) ? encodeURI(text).replace(/%25(\d\d)/g, '%$1') : text;
    return decodeURIComponent(new URL(fixed).password) || undefined;
  } catch {
    return undefined;
  }
}

/** A password as typed, %-decoded and %-encoded: any of these may end up in a message. */
function passwordForms(password: unknown): string[] {
  if (typeof password !== 'string' || password === '') return [];
  const decoded = safeDecode(password);
  return [password, decoded, encodeURIComponent(password), encodeURIComponent(decoded)];
}

function secretList(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((s): s is string => typeof s === 'string' && s.length > 0))];
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
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

function describeSettings(settings: ConnectionSettings, env: Record<string, string | undefined>): string {
  const user = settings.user ?? env.PGUSER;
  return describeParts({
    user,
    host: settings.host ?? env.PGHOST,
    port: String(settings.port ?? env.PGPORT ?? 5432),
    database: settings.database ?? env.PGDATABASE ?? user,
  });
}

/** user@host:port/database with defaults filled in; each part printable (control characters escaped). */
function describeParts(parts: { user?: string; host?: string; port?: string; database?: string }): string {
  const user = parts.user || '(default user)';
  const host = parts.host || 'localhost';
  const port = parts.port || '5432';
  const database = parts.database || '(default db)';
  return printable(`${user}@${host}:${port}/${database}`);
}
