import pg from 'pg';
import { Observable } from 'rxjs';
import type { ChangeAuthor, Snapshot } from '../domain/types.js';
import { columnParser, type ColumnParser } from './columnParsers.js';
import { makeSocketTracker, settleWithin } from './sockets.js';
import { listenToEveryClient } from './poolClients.js';
import { checkSourcePrivileges, SESSION_ROLE_SQL, sessionRoleOf } from './privileges.js';
import { checkAgentsSource, type AgentsSource } from './source.js';

/** Columns the agents source must have. */
export const REQUIRED_AGENT_COLUMNS = ['name', 'model'] as const;
/** Columns read when present. */
export const OPTIONAL_AGENT_COLUMNS = [
  'id', 'fallback_models', 'allowed_subagents', 'is_default', 'instance_type',
  'status', 'heartbeat_enabled', 'heartbeat_every', 'heartbeat_target', 'heartbeat_to', 'thinking', 'openclaw_config',
] as const;

/** Every value as the server sent it (text, or null): {@link readSnapshot} parses the columns it keeps. */
const RAW_TEXT = { getTypeParser: (() => (value: string) => value) as unknown as typeof pg.types.getTypeParser };

/** Default server-side bound of one snapshot (statement_timeout and lock_timeout), in ms. */
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 15_000;
/** Default bound of opening a connection, in ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** How much longer than the server-side bound the client waits before it gives the connection up. */
const CLIENT_GRACE_MS = 2_000;

/** Options of {@link readSnapshot}. */
export interface ReadSnapshotOptions {
  /** statement_timeout and lock_timeout of the transaction, in ms. Defaults to 15000 ms; 0 leaves the server's. */
  timeoutMs?: number;
  /**
   * This gateway's id, set transaction-locally as `agent_config_sync.gateway` (a bound parameter) before
   * the agents source is read, so a view or function can return this gateway's roster with
   * `current_setting('agent_config_sync.gateway', true)`. Defaults to unset (the setting reads as NULL).
   */
  gatewayId?: string;
  /**
   * The ledger id the output file holds (a previous snapshot's `through`): the changes after it are
   * read in the same transaction and returned as `changes` (at most 100), so a write can name who made
   * them. Ignored unless it is a whole number. Defaults to unset (no changes read).
   */
  changesAfter?: string;
}

/**
 * How this role may learn the change ledger's mark, checked with catalog functions (a missing table or
 * a denied read would abort the snapshot's transaction): `ledger_fn`, the qualified name of
 * agent_config_sync_changes_since when it may EXECUTE it (ids and authors only: a gateway needs no
 * SELECT on the ledger, which holds every roster's values), else `ledger`, the table's qualified name
 * when it may SELECT it; NULL for what it may not.
 */
const LEDGER_NAME_SQL = `(SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('agent_config_changes')
    AND pg_catalog.has_table_privilege(c.oid, 'SELECT')) AS ledger,
  (SELECT CASE WHEN pg_catalog.has_schema_privilege(n.oid, 'USAGE') THEN
            CASE WHEN pg_catalog.to_regprocedure(pg_catalog.format('%I.agent_config_sync_changes_since(pg_catalog.int8)', n.nspname)) IS NOT NULL THEN
              CASE WHEN pg_catalog.has_function_privilege(pg_catalog.to_regprocedure(pg_catalog.format('%I.agent_config_sync_changes_since(pg_catalog.int8)', n.nspname)), 'EXECUTE')
                THEN pg_catalog.format('%I.agent_config_sync_changes_since', n.nspname) END END END
   FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  WHERE c.oid OPERATOR(pg_catalog.=) pg_catalog.to_regclass('agent_config_changes')) AS ledger_fn`;

/**
 * One statement whose rows are the ledger's mark (the row with a NULL actor) and, after `after`, the
 * authors of the later changes (at most 100, oldest first): through the SECURITY DEFINER function when
 * this role may call it, else from the table; undefined when it may do neither. `after` is a whole
 * number we read before (checked by the caller): the only value spliced in, beside quoted names.
 */
function ledgerMarkSql(ledgerFn: unknown, ledger: unknown, after: string | undefined): string | undefined {
  const from = after === undefined ? 'NULL' : `${after}::pg_catalog.int8`;
  if (typeof ledgerFn === 'string') return `SELECT id::pg_catalog.text, actor, db_role, application_name FROM ${ledgerFn}(${from})`;
  if (typeof ledger !== 'string') return undefined;
  const mark = `SELECT COALESCE(pg_catalog.max(id), 0)::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text, NULL::pg_catalog.text FROM ${ledger}`;
  if (after === undefined) return mark;
  return `${mark} UNION ALL (SELECT id::pg_catalog.text, actor, db_role::pg_catalog.text, application_name FROM ${ledger} WHERE id OPERATOR(pg_catalog.>) ${from} ORDER BY id LIMIT 100)`;
}

/** Every column the domain reads. */
const KNOWN_AGENT_COLUMNS: readonly string[] = [...REQUIRED_AGENT_COLUMNS, ...OPTIONAL_AGENT_COLUMNS];

/** The transaction-local setting that carries the gateway id into the snapshot (docs/design.md §9). */
export const GATEWAY_SETTING = 'agent_config_sync.gateway';

/**
 * Reads both tables in one `REPEATABLE READ READ ONLY` transaction, so the file never mixes two
 * database states. The transaction bounds itself on the server (statement and lock timeouts, set
 * transaction-locally). Only the columns the domain knows are kept. Refuses (a ConfigError, before
 * anything is read) when a superuser would run code of another role through the source.
 */
export async function readSnapshot(client: pg.ClientBase, source: AgentsSource, options: ReadSnapshotOptions = {}): Promise<Snapshot> {
  const timeoutMs = Math.max(0, Math.floor(options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS));
  // One round trip: the transaction, its own bounds on the server (SET LOCAL ends with it), and
  // client_connection_check_interval (PostgreSQL 14+), which lets the server notice an abandoned read
  // and stop it instead of running it to the statement timeout; older servers skip it. The only
  // value spliced in is the whole number computed above.
  const bounds =
    timeoutMs > 0
      ? `; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL lock_timeout = ${timeoutMs}` +
        "; SELECT CASE WHEN pg_catalog.current_setting('server_version_num')::int >= 140000" +
        " THEN pg_catalog.set_config('client_connection_check_interval', '1000', true) END"
      : '';
  try {
    // The session's role comes back in the same round trip: before anything is read, a superuser must
    // not run code another role owns (a view's functions, a function source) with its privileges.
    // Checked on every snapshot, as owners and memberships change while a sync runs.
    const begun = (await client.query(`BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY${bounds}; ${SESSION_ROLE_SQL}`)) as unknown as pg.QueryResult[];
    await checkSourcePrivileges(client, source, sessionRoleOf(begun[begun.length - 1]?.rows[0]));
    // The system config, and (fleets) the gateway id as a bound parameter, local to this transaction
    // (is_local = true), in one round trip: a one-row relation left-joined to the table, so set_config
    // runs even when the table is empty, before the agents source is read. For a table or view the
    // same round trip lists its columns, so the read below asks only for the ones the domain knows
    // (an upstream table's long prompts and timestamps are never sent).
    const params: unknown[] = [];
    const extra: string[] = [];
    if (options.gatewayId !== undefined) {
      params.push(options.gatewayId);
      extra.push(`pg_catalog.set_config('${GATEWAY_SETTING}', $${params.length}::pg_catalog.text, true) AS gateway`);
    }
    if (!source.isFunction) {
      params.push(source.sql);
      extra.push(
        `(SELECT pg_catalog.array_agg(a.attname::pg_catalog.text) FROM pg_catalog.pg_attribute a
           WHERE a.attrelid OPERATOR(pg_catalog.=) pg_catalog.to_regclass($${params.length}) AND a.attnum > 0 AND NOT a.attisdropped) AS source_columns`,
      );
    }
    extra.push(LEDGER_NAME_SQL);
    const system = await client.query(
      `SELECT ${[...extra, 's.key', 's.value', 's.value_type'].join(', ')} FROM (VALUES (1)) AS one (x) LEFT JOIN agent_system_config s ON true`,
      params,
    );
    const ledger: unknown = system.rows[0]?.ledger;
    const ledgerFn: unknown = system.rows[0]?.ledger_fn;
    const systemConfig = system.rows.filter((r) => r.key !== null).map((r) => ({ key: r.key, value: r.value, value_type: r.value_type }));
    const available: unknown = system.rows[0]?.source_columns;
    const known = Array.isArray(available) ? KNOWN_AGENT_COLUMNS.filter((c) => available.includes(c)) : [];
    // A function source must be set-returning: checked before it is ever called (pg_reload_conf() is not a roster).
    await checkAgentsSource(client, source);
    // The read and the COMMIT in one round trip (simple protocol; nothing spliced but quoted names:
    // the source's, and the known column names, which are constants). Rows come as arrays of raw
    // text: only the columns kept below are parsed, by their type's parser.
    const list = known.length > 0 ? known.map((c) => `"${c}"`).join(', ') : '*';
    // The ledger's mark and who made the changes since the file's own mark ride in the same round trip,
    // inside the transaction, only when the check above found a way this role may read them.
    const after = options.changesAfter !== undefined && /^\d{1,19}$/.test(options.changesAfter) ? options.changesAfter : undefined;
    const marks = ledgerMarkSql(ledgerFn, ledger, after);
    const results = (await client.query({ text: `SELECT ${list} FROM ${source.sql}${marks === undefined ? '' : `; ${marks}`}; COMMIT`, rowMode: 'array', types: RAW_TEXT })) as unknown as pg.QueryResult<unknown[]>[];
    const agents = results[0];
    if (!agents) throw new Error(`agents source ${source.text} returned no result`);
    // The mark is the row without an actor (every recorded change has one); the others are the authors.
    const markRows = marks === undefined ? [] : (results[1]?.rows ?? []);
    const through = marks === undefined ? undefined : String(markRows.find((r) => r[1] === null || r[1] === undefined)?.[0] ?? '0');
    const names = agents.fields.map((f) => f.name);
    const present = new Set(names);
    const missing = REQUIRED_AGENT_COLUMNS.filter((c) => !present.has(c));
    if (missing.length > 0) {
      throw new Error(`agents source ${source.text} has no column ${missing.join(', ')} (required: ${REQUIRED_AGENT_COLUMNS.join(', ')})`);
    }
    const columns = OPTIONAL_AGENT_COLUMNS.filter((c) => present.has(c));
    const keep = [...REQUIRED_AGENT_COLUMNS, ...columns].map((name) => {
      // A source with two columns of one name: the last wins, as in an object row.
      const index = names.lastIndexOf(name);
      const field = agents.fields[index]!;
      const parse = field.format === 'binary' ? (pg.types.getTypeParser(field.dataTypeID, 'binary') as ColumnParser) : columnParser(field.dataTypeID);
      return { name, index, parse };
    });
    const rows = agents.rows.map((raw) => {
      const row: Record<string, unknown> = {};
      for (const k of keep) {
        const value = raw[k.index];
        row[k.name] = value === null || value === undefined ? null : k.parse(value as string);
      }
      return row;
    });
    const changes: ChangeAuthor[] | undefined =
      marks === undefined || after === undefined
        ? undefined
        : markRows
            .filter((r) => r[1] !== null && r[1] !== undefined)
            .map((r) => ({ id: String(r[0]), actor: String(r[1]), role: String(r[2] ?? ''), application: r[3] === null || r[3] === undefined ? null : String(r[3]) }));
    return { agents: rows, systemConfig, columns, ...(through === undefined ? {} : { through }), ...(changes === undefined ? {} : { changes }) };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** Options of {@link makeSnapshotReader}. */
export interface SnapshotReaderOptions {
  /** Server-side bound of one snapshot, in ms; the client gives the connection up 2 s later. Defaults to 15000 ms. */
  timeoutMs?: number;
  /** Bound of opening the connection, in ms. Defaults to 10000 ms. */
  connectTimeoutMs?: number;
  /** Told when an idle snapshot connection fails (server restart, pg_terminate_backend). */
  onIdleError?: (error: Error) => void;
  /** This gateway's id, passed to {@link readSnapshot}. Defaults to unset. */
  gatewayId?: string;
}

/** Reads snapshots over one connection of its own. */
export interface SnapshotReader {
  /** One snapshot; unsubscribing (or the client-side bound) destroys the connection it was using. */
  read$(source: AgentsSource, changesAfter?: string): Observable<Snapshot>;
  /** Closes the connection; resolves within about a second whatever the server does. */
  end(): Promise<void>;
  /**
   * Sends one notification over this reader's connection (the LISTEN probe's other session). Bounded:
   * with no answer within `timeoutMs` it rejects and its connection is given up, as a stuck read's is.
   */
  notify(channel: string, payload: string, timeoutMs: number): Promise<void>;
  /**
   * Opens the connection ahead of the first read (at start, beside the listening connection's own
   * connect), so the probe and the first snapshot do not wait for a second connect. Never fails:
   * a connect that fails here is tried again, and reported, by the read.
   */
  warm(): void;
}

/**
 * The snapshot connection: a pool of at most one client that closes when idle, so the steady state
 * is the listening connection alone. A read that does not finish within the bound — a frozen path
 * the server's own timeouts cannot help with — is abandoned and its connection destroyed, so the
 * next read gets a new one instead of queueing behind it.
 */
export function makeSnapshotReader(connection: pg.ClientConfig, options: SnapshotReaderOptions = {}): SnapshotReader {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SNAPSHOT_TIMEOUT_MS;
  const sockets = makeSocketTracker();
  const pool = new pg.Pool({
    ...connection,
    max: 1,
    idleTimeoutMillis: 2_000,
    allowExitOnIdle: true,
    connectionTimeoutMillis: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    stream: sockets.stream,
  } as pg.PoolConfig);
  // An idle client that dies is reported here, not thrown.
  pool.on('error', (error) => options.onIdleError?.(error));
  listenToEveryClient(pool, (error) => options.onIdleError?.(error));

  return {
    read$(source, changesAfter) {
      return new Observable<Snapshot>((subscriber) => {
        let client: pg.PoolClient | undefined;
        let released = false;
        const release = (broken?: Error) => {
          if (released || client === undefined) return;
          released = true;
          // A client whose query failed, timed out or was abandoned may be mid-query: release(error)
          // removes it from the pool, and node-postgres destroys the socket of a client with a query in flight.
          const socket = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
          client.release(broken);
          // A graceful end over a frozen path never finishes: give it a second, then cut the socket.
          if (broken) setTimeout(() => socket?.destroy?.(), 1_000).unref();
        };
        const bound = timeoutMs > 0 ? setTimeout(() => {
          const error = new Error(`snapshot got no answer within ${timeoutMs + CLIENT_GRACE_MS} ms; connection given up`);
          release(error);
          subscriber.error(error);
        }, timeoutMs + CLIENT_GRACE_MS) : undefined;
        pool.connect()
          .then(async (c) => {
            client = c;
            if (subscriber.closed) return release(new Error('snapshot abandoned'));
            const snapshot = await readSnapshot(c, source, { timeoutMs, gatewayId: options.gatewayId, changesAfter });
            release();
            subscriber.next(snapshot);
            subscriber.complete();
          })
          .catch((error: unknown) => {
            release(error instanceof Error ? error : new Error(String(error)));
            subscriber.error(error);
          });
        return () => {
          if (bound) clearTimeout(bound);
          release(new Error('snapshot abandoned'));
        };
      });
    },
    warm() {
      pool.connect().then(
        (client) => client.release(),
        () => undefined,
      );
    },
    async notify(channel, payload, boundMs) {
      const client = await pool.connect();
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        await Promise.race([
          client.query('SELECT pg_catalog.pg_notify($1::pg_catalog.text, $2::pg_catalog.text)', [channel, payload]),
          new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`notification got no answer within ${boundMs} ms`)), boundMs))),
        ]);
        client.release();
      } catch (error) {
        const socket = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
        client.release(error instanceof Error ? error : new Error(String(error)));
        setTimeout(() => socket?.destroy?.(), 1_000).unref();
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
    async end() {
      await settleWithin(pool.end(), 1_000);
      sockets.destroyAll();
    },
  };
}
