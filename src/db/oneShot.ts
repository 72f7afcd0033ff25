import pg from 'pg';
import { describeError } from '../logger.js';
import { withHint } from './errorHints.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_SNAPSHOT_TIMEOUT_MS } from './snapshot.js';

/**
 * Bounds of a one-shot command's connection (sync --once, status, migrate, fleet, doctor): the same as
 * the live pipeline's. A server that accepts the connection and never answers — a frozen host, a
 * black-holed port behind a proxy — ends the command with a message naming the bound, never a hang.
 */
export interface OneShotBounds {
  /** Opening the connection (TCP, TLS, authentication), in ms. Default 10000. */
  connectMs: number;
  /** statement_timeout and lock_timeout set on the server for the session, in ms. Default 15000. */
  statementMs: number;
  /** Client-side wait for any one answer, in ms: the server-side bound plus a grace. Default 17000. */
  answerMs: number;
}

export const ONE_SHOT_BOUNDS: OneShotBounds = {
  connectMs: DEFAULT_CONNECT_TIMEOUT_MS,
  statementMs: DEFAULT_SNAPSHOT_TIMEOUT_MS,
  answerMs: DEFAULT_SNAPSHOT_TIMEOUT_MS + 2_000,
};

/** `config` with the client-side bounds: node-postgres's connect timeout and query read timeout. */
export function boundedConfig(config: pg.ClientConfig, bounds: OneShotBounds = ONE_SHOT_BOUNDS): pg.ClientConfig {
  return { ...config, connectionTimeoutMillis: bounds.connectMs, query_timeout: bounds.answerMs };
}

/**
 * A connected client for a one-shot command, bounded on both sides: connect timeout and a client-side
 * answer bound (node-postgres), then `statement_timeout` / `lock_timeout` on the server for the session
 * (set after connecting, not as startup parameters, which PgBouncer refuses). Errors name the bound
 * that ran out and where (`description`, which holds no password).
 */
export async function connectBounded(config: pg.ClientConfig, description: string, bounds: OneShotBounds = ONE_SHOT_BOUNDS): Promise<pg.Client> {
  try {
    return await openBounded(config, bounds);
  } catch (error) {
    throw new Error(`cannot connect to PostgreSQL at ${description}: ${explainBound(error, bounds)}`);
  }
}

/**
 * {@link connectBounded} for a caller that reports a failure its own way (doctor makes it a finding):
 * the same bounds on both sides, the driver's or server's error thrown as it is (say it with
 * {@link explainBound}), the client closed when it fails.
 */
export async function openBounded(config: pg.ClientConfig, bounds: OneShotBounds = ONE_SHOT_BOUNDS): Promise<pg.Client> {
  const client = new pg.Client(boundedConfig(config, bounds));
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Whole numbers computed here are the only values spliced in.
    await client.query(`SET statement_timeout = ${Math.floor(bounds.statementMs)}; SET lock_timeout = ${Math.floor(bounds.statementMs)}`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

/** The driver's or server's message for a timeout, said as the bound that ran out; other errors with their hint (errorHints.ts). */
export function explainBound(error: unknown, bounds: OneShotBounds = ONE_SHOT_BOUNDS): string {
  const text = describeError(error);
  if (/connection timeout|timeout expired/i.test(text)) return `no connection within ${seconds(bounds.connectMs)} (connect timeout); is the server up and answering?`;
  if (/query read timeout/i.test(text)) return `no answer within ${seconds(bounds.answerMs)} (client-side bound; the server's statement_timeout is ${seconds(bounds.statementMs)}): the server or the network path is not answering`;
  if (/statement timeout/i.test(text)) return `${text} (statement_timeout ${seconds(bounds.statementMs)})`;
  if (/lock timeout/i.test(text)) return `${text} (lock_timeout ${seconds(bounds.statementMs)}: another session holds a lock)`;
  return withHint(text);
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
