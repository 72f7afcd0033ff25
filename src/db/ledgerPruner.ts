import type pg from 'pg';
import { makeOnceLogger } from '../logOnce.js';
import { describeError, type Logger } from '../logger.js';
import { LEDGER_TABLE } from './ledger.js';
import { openBounded } from './oneShot.js';

/** Default retention of the change ledger, in days. */
export const DEFAULT_HISTORY_DAYS = 90;
/** Default time between prunes, in ms (an hour). */
export const DEFAULT_PRUNE_INTERVAL_MS = 3_600_000;
/** Default server-side bound of one prune (statement_timeout and lock_timeout), in ms. */
export const DEFAULT_PRUNE_TIMEOUT_MS = 10_000;

/** Options of {@link makeLedgerPruner}. */
export interface LedgerPrunerOptions {
  /** Where the ledger is. Each prune opens a connection of its own and closes it. */
  connection: pg.ClientConfig;
  /** Changes older than this many days are removed (whole days, at least 1). Defaults to 90. */
  historyDays?: number;
  /** The service's logger (prefixed and masked already). */
  logger: Required<Logger>;
  /** Time between prunes, in ms. Defaults to 3600000 ms (an hour). */
  intervalMs?: number;
  /**
   * Wait before the first prune, in ms. Defaults to a random moment in the first 10 minutes: a fleet
   * that starts at once does not open a prune connection per gateway at once, and a sync that runs only
   * briefly (a restart loop, a CLI watch stopped at once) opens none.
   */
  firstDelayMs?: number;
  /** statement_timeout and lock_timeout of one prune, in ms; the client gives up 2 s later. Defaults to 10000 ms. */
  timeoutMs?: number;
}

export interface LedgerPruner {
  /** Prunes now, then every interval. Calling it again does nothing. */
  start(): void;
  /** Stops the timer and waits (at most the prune's own bound) for a prune in flight. Safe twice or before start. */
  stop(): Promise<void>;
  /** One prune now; resolves with the number of rows removed, or undefined when it could not run (warned). */
  pruneNow(): Promise<number | undefined>;
}

/**
 * Keeps the change ledger to `historyDays`: at most once an interval, through the SECURITY DEFINER
 * function agent_config_sync_prune_changes (the sync's role needs EXECUTE on it, nothing on the
 * table). Each prune is one short transaction bounded on the server (statement and lock timeouts)
 * and on the client, on its own connection, so it never holds up the sync: the snapshot reads the
 * ledger without waiting on the rows being deleted, and the function never removes the newest row
 * (every sync's "through change N"). A failure is warned once per episode; the sync goes on.
 */
export function makeLedgerPruner(options: LedgerPrunerOptions): LedgerPruner {
  const historyDays = options.historyDays ?? DEFAULT_HISTORY_DAYS;
  if (!Number.isInteger(historyDays) || historyDays < 1) {
    throw new Error(`historyDays must be a whole number of days, at least 1; got ${JSON.stringify(historyDays)}`);
  }
  const intervalMs = options.intervalMs ?? DEFAULT_PRUNE_INTERVAL_MS;
  const timeoutMs = Math.max(1, Math.floor(options.timeoutMs ?? DEFAULT_PRUNE_TIMEOUT_MS));
  const log = options.logger;
  const once = makeOnceLogger(log);
  let timer: ReturnType<typeof setInterval> | undefined;
  let first: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<number | undefined> | undefined;

  const prune = async (): Promise<number | undefined> => {
    let client: pg.Client | undefined;
    try {
      // A connection of its own, bounded as the one-shot commands are (connect, statement and lock
      // timeouts on the server, a client-side answer bound), and closed after the prune.
      client = await openBounded({ ...options.connection, application_name: 'agent_config_sync_prune' }, { connectMs: timeoutMs, statementMs: timeoutMs, answerMs: timeoutMs + 2_000 });
      // The function lives beside the ledger: called by its schema, not found through the search_path.
      // pg_catalog's `=` by name: oid against regclass has no exact match there, so one planted in
      // public would run as the sync's role.
      const results = (await client.query(
        `BEGIN;
         SELECT pg_catalog.quote_ident(n.nspname) AS schema FROM pg_catalog.pg_class c
           JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
          WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('${LEDGER_TABLE}')`,
      )) as unknown as pg.QueryResult<{ schema: string }>[];
      const schema = results[results.length - 1]?.rows[0]?.schema;
      if (schema === undefined) {
        await client.query('ROLLBACK');
        once.warn('prune', `ledger: no ${LEDGER_TABLE} table to prune; run "agent-config-sync migrate" to record who changes what`);
        return undefined;
      }
      const { rows } = await client.query<{ removed: string }>(
        `SELECT ${schema}.agent_config_sync_prune_changes($1::pg_catalog.int4) AS removed`,
        [historyDays],
      );
      await client.query('COMMIT');
      const removed = Number(rows[0]?.removed ?? 0);
      if (once.clear('prune')) log.info('ledger: pruning works again');
      if (removed > 0) log.info(`ledger: removed ${removed} change${removed === 1 ? '' : 's'} older than ${historyDays} days`);
      return removed;
    } catch (error) {
      const code = (error as { code?: string }).code;
      const hint = code === '42501' ? ` (grant it: GRANT EXECUTE ON FUNCTION agent_config_sync_prune_changes(integer, integer) TO <the sync's role>)`
        : code === '42883' ? ' (run "agent-config-sync migrate")' : '';
      once.warn('prune', `ledger: pruning changes older than ${historyDays} days failed: ${describeError(error)}${hint}; the sync goes on`);
      return undefined;
    } finally {
      await client?.end().catch(() => undefined);
    }
  };

  const pruneNow = (): Promise<number | undefined> => {
    // One prune at a time: a call during one gets that one's result.
    inFlight ??= prune().finally(() => (inFlight = undefined));
    return inFlight;
  };

  return {
    start() {
      if (timer !== undefined || first !== undefined) return;
      first = setTimeout(() => {
        first = undefined;
        void pruneNow();
        timer = setInterval(() => void pruneNow(), intervalMs);
        timer.unref?.();
      }, options.firstDelayMs ?? Math.round(Math.random() * 600_000));
      first.unref?.();
    },
    async stop() {
      if (first !== undefined) clearTimeout(first);
      first = undefined;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await inFlight?.catch(() => undefined);
    },
    pruneNow,
  };
}
