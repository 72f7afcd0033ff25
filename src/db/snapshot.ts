import pg from 'pg';
import type { Snapshot } from '../domain/types.js';
import type { AgentsSource } from './source.js';

/** Columns the agents source must have. */
export const REQUIRED_AGENT_COLUMNS = ['name', 'model'] as const;
/** Columns read when present. */
export const OPTIONAL_AGENT_COLUMNS = ['id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type'] as const;

/**
 * Reads both tables in one `REPEATABLE READ READ ONLY` transaction, so the file never mixes two
 * database states. Only the columns the domain knows are kept.
 */
export async function readSnapshot(client: pg.ClientBase, source: AgentsSource): Promise<Snapshot> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const agents = await client.query(`SELECT * FROM ${source.sql}`);
    const present = new Set(agents.fields.map((f) => f.name));
    const missing = REQUIRED_AGENT_COLUMNS.filter((c) => !present.has(c));
    if (missing.length > 0) {
      throw new Error(`agents source ${source.text} has no column ${missing.join(', ')} (required: ${REQUIRED_AGENT_COLUMNS.join(', ')})`);
    }
    const columns = OPTIONAL_AGENT_COLUMNS.filter((c) => present.has(c));
    const keep = [...REQUIRED_AGENT_COLUMNS, ...columns];
    const rows = agents.rows.map((row: Record<string, unknown>) => Object.fromEntries(keep.map((c) => [c, row[c]])));
    const system = await client.query('SELECT key, value, value_type FROM agent_system_config');
    await client.query('COMMIT');
    return { agents: rows, systemConfig: system.rows, columns };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The snapshot connection: a pool of at most one client that closes when idle, so the steady
 * state is the listening connection alone.
 */
export function makeSnapshotPool(connection: pg.ClientConfig, onError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({ ...connection, max: 1, idleTimeoutMillis: 2_000, allowExitOnIdle: true });
  // An idle client that dies (server restart, pg_terminate_backend) is reported here, not thrown.
  pool.on('error', onError);
  return pool;
}

/** Checks out the pool's client for one snapshot. */
export async function readSnapshotFrom(pool: pg.Pool, source: AgentsSource): Promise<Snapshot> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await readSnapshot(client, source);
  } catch (error) {
    broken = error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    // A client whose query failed may be in a bad state: drop it instead of reusing it.
    client.release(broken);
  }
}
