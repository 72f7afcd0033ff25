import pg from 'pg';
import { listenToEveryClient } from '../db/poolClients.js';
import { settleWithin } from '../db/sockets.js';
import { describeError, type Logger } from '../logger.js';
import { GATEWAYS_TABLE, upsertBounded, type StatusRow, type WriteBounds } from './statusUpsert.js';

/** SQLSTATEs that mean "this database does not take our row": no table or column, no permission, read-only. */
const REFUSED = new Map([
  ['42P01', `run "agent-config-sync migrate" to create it`],
  ['42703', `run "agent-config-sync migrate" to add its new columns`],
  ['42501', `GRANT SELECT, INSERT, UPDATE ON ${GATEWAYS_TABLE} to this gateway's own role; a row another role owns cannot be written (choose another gateway id)`],
  ['25006', 'the connection is read-only (a hot standby, or default_transaction_read_only)'],
]);

/** The one connection a status writer uses. */
export interface StatusConnection {
  /**
   * Upserts the row `rowNow` gives once the connection is ready (its ages are measured then, so the time
   * spent connecting is not counted in them); resolves false when it failed (reported as below), never rejects.
   */
  write(rowNow: () => StatusRow): Promise<boolean>;
  /** Closes the connection within a second. */
  end(): Promise<void>;
}

/**
 * One connection of its own (`application_name` `agent_config_sync_status`, closed after 2 s idle, never a
 * second one while the first is open), each upsert bounded on the server. A missing table or column, no
 * permission or a read-only server is one warning with its fix (and one info line when it works again);
 * any other failure is debug only, because the pipeline already reports its own connection trouble.
 *
 * @param statementTimeoutMs The server's bound of one upsert; its lock wait gets half. The client gives up
 *   2 s later still (destroying the connection), in case the server itself does not answer.
 */
export function makeStatusConnection(connection: pg.ClientConfig, statementTimeoutMs: number, log: Required<Logger>): StatusConnection {
  const bounds: WriteBounds = { statementTimeoutMs, lockTimeoutMs: statementTimeoutMs / 2 };
  const pool = new pg.Pool({
    ...connection,
    application_name: 'agent_config_sync_status',
    max: 1,
    idleTimeoutMillis: 2_000,
    allowExitOnIdle: true,
    connectionTimeoutMillis: statementTimeoutMs + 2_000,
    // The backstop only: the server's own timeouts end a blocked upsert first.
    query_timeout: statementTimeoutMs + 2_000,
  } as pg.PoolConfig);
  const lost = (error: Error) => log.debug(`fleet status connection failed: ${describeError(error)}`);
  pool.on('error', lost);
  // From the moment each client connects: `await pool.connect()` hands it over a microtask after the pool
  // stopped listening, and a FATAL in the same chunk as ReadyForQuery is emitted in between.
  listenToEveryClient(pool, lost);
  let warned = false;

  return {
    async write(rowNow) {
      let row: StatusRow | undefined;
      let client: pg.PoolClient | undefined;
      let broken: Error | undefined;
      // A checked-out client's connection errors (a terminated backend, a reset) are emitted on the client,
      // not the pool: unheard, they would be thrown as the process's uncaught exception.
      const onError = (error: Error) => {
        broken = error;
        log.debug(`fleet status connection failed: ${describeError(error)}`);
      };
      try {
        client = await pool.connect();
        client.on('error', onError);
        row = rowNow();
        await upsertBounded(client, row, bounds);
        if (warned) log.info(`fleet status: ${GATEWAYS_TABLE} takes this gateway's row again`);
        warned = false;
        return true;
      } catch (e) {
        const code = (e as { code?: string }).code;
        // No SQLSTATE: the connection itself failed (or the client-side backstop fired); it is not reused.
        if (code === undefined) broken = e instanceof Error ? e : new Error(String(e));
        const advice = REFUSED.get(code ?? '');
        if (advice && !warned) {
          warned = true;
          log.warn(`fleet status: cannot record gateway "${(row ?? rowNow()).gatewayId}" in ${GATEWAYS_TABLE} (${describeError(e)}); ${advice}. The sync goes on.`);
        } else {
          log.debug(`fleet status: upsert failed: ${describeError(e)}`);
        }
        return false;
      } finally {
        client?.off('error', onError);
        client?.release(broken);
      }
    },
    async end() {
      await settleWithin(pool.end(), 1_000);
    },
  };
}
