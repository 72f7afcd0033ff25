import type pg from 'pg';

/**
 * Listens for 'error' on every client `pool` makes, from the moment it is connected, for its whole life.
 *
 * node-postgres emits 'error' on a client that loses its connection between queries, and an 'error'
 * nobody hears crashes the process (in a gateway: the host). pg-pool listens only while a client is
 * idle: it stops listening when it hands the client out, and `await pool.connect()` lets the caller
 * attach its own listener one microtask later. A server that terminates the session just as it
 * becomes ready (pg_terminate_backend, a restart) sends ReadyForQuery and the FATAL in one TCP chunk;
 * the parser handles both synchronously, so the FATAL is emitted inside that gap. The pool's 'connect'
 * event fires before the hand-out, synchronously, and closes the gap for every client it creates.
 */
export function listenToEveryClient(pool: pg.Pool, onError: (error: Error) => void): void {
  pool.on('connect', (client) => {
    client.on('error', onError);
  });
}
