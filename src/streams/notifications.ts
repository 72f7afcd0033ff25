import pgListen from 'pg-listen';
import type pg from 'pg';
import { asyncScheduler, Observable, retry, timer, type SchedulerLike } from 'rxjs';
import { makeSocketTracker, settleWithin } from '../db/sockets.js';
import { reconnectDelay } from '../domain/backoff.js';

// pg-listen is CommonJS with `exports.default`; Node's ESM loader hands us the exports object.
const pgListenExports = pgListen as unknown as typeof pgListen.default | { default: typeof pgListen.default };
const createSubscriber = typeof pgListenExports === 'function' ? pgListenExports : pgListenExports.default;

/** What the listening connection reports. */
export type ListenEvent =
  /** LISTEN is active (first time, or again after a reconnect): everything must be re-read. */
  | { type: 'connected'; first: boolean }
  /** A notification arrived; its payload is informational only. */
  | { type: 'notification'; channel: string; payload: string | undefined };

/** Options of {@link makeNotificationSource}. */
export interface NotificationSourceOptions {
  connection: pg.ClientConfig;
  /** Channel to LISTEN on; quoted as an identifier by pg-listen. */
  channel: string;
  /** Keep-alive query interval on the listening connection. Defaults to 30000 ms. */
  keepAliveMs?: number;
  /** A keep-alive (or any) query with no answer within this bound replaces the connection. Defaults to 10000 ms. */
  keepAliveTimeoutMs?: number;
  /** Bound of opening the connection. Defaults to 10000 ms. */
  connectTimeoutMs?: number;
  /** Delay before reconnect attempt `attempt` (1-based). Defaults to 5 s doubling to 60 s. */
  reconnectDelay?: (attempt: number) => number;
  /** Told when the connection is lost or cannot be made, with the delay before the next attempt. */
  onDisconnected?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Receives the promise of each connection's close, so a caller can wait for them. */
  track?: (closing: Promise<unknown>) => void;
  /** Schedules the reconnect timers. Defaults to asyncScheduler. */
  scheduler?: SchedulerLike;
  /**
   * Sends a notification from another session (e.g. the snapshot connection). When given, every
   * connection proves LISTEN holds before it reports `connected`: it LISTENs on a probe channel of its
   * own and waits for a notification sent from the other session. Through a pooler in transaction or
   * statement mode (PgBouncer) it never arrives, and the connection is refused as a {@link SessionRequiredError}.
   * A probe that cannot be sent proves nothing and does not hold the connection up. Defaults to no probe.
   */
  probe?: (channel: string, payload: string) => Promise<unknown>;
  /** How long a sent probe may take to arrive, in ms. Defaults to 3000 ms. */
  probeTimeoutMs?: number;
}

/** LISTEN does not hold on this connection: a pooler in transaction or statement mode is in between. */
export class SessionRequiredError extends Error {
  override name = 'SessionRequiredError';
}

/** The server is a hot standby (LISTEN fails during recovery). */
export class StandbyError extends Error {
  override name = 'StandbyError';
}

/** The message of a LISTEN refused by a hot standby, turned into advice (docs/design.md §9). */
export function explainListenError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (/during recovery/i.test(message)) {
    return new StandbyError(`the server is a hot standby (${message}): point the plugin at the primary; retrying, and resuming by itself once this server is promoted`);
  }
  return error;
}

/**
 * A pg-listen subscriber as an Observable: subscribe to connect and LISTEN, unsubscribe to close.
 * Emits `connected` only once LISTEN is active (listen, then read), so a resync triggered by it
 * cannot miss a commit.
 *
 * Reconnection is ours, not pg-listen's: its reconnect loop cannot be stopped by close() (its
 * issue #61), gives up after `retryTimeout` (issue #56) and does not cover the first connect. So its
 * own loop is switched off (`retryLimit: 1`): any loss errors this connection's stream, and rxjs
 * `retry` builds a fresh subscriber after the backoff delay, forever. Unsubscribing cancels the
 * timer and closes the connection, whatever state it is in.
 */
export function makeNotificationSource(options: NotificationSourceOptions): Observable<ListenEvent> {
  const delayOf = options.reconnectDelay ?? reconnectDelay;
  const scheduler = options.scheduler ?? asyncScheduler;
  let connections = 0;

  const oneConnection$ = new Observable<ListenEvent>((subscriber) => {
    let closed = false;
    const sockets = makeSocketTracker();
    const config = {
      ...options.connection,
      // pg-listen's keep-alive query has no timeout of its own: node-postgres's query_timeout fails
      // it on a path that stopped answering, which pg-listen reports as an error → a new connection.
      query_timeout: options.keepAliveTimeoutMs ?? 10_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      stream: sockets.stream,
    } as pg.ClientConfig;
    const listener = createSubscriber(config, {
      // Payloads are informational: keep them as text, never throw on non-JSON.
      parse: (text: string) => text,
      paranoidChecking: options.keepAliveMs ?? 30_000,
      retryLimit: 1,
    });
    const fail = (error: unknown) => {
      if (!closed) subscriber.error(explainListenError(error));
    };
    /** The probe's own channel, and what it waits for (set while a probe is out). */
    const probeChannel = `agent_config_sync_probe_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    let probeArrived: (() => void) | undefined;
    // Attached before connect(): an EventEmitter 'error' without a listener would crash the host.
    listener.events.on('error', fail);
    listener.events.on('notification', (n: { channel: string; payload?: unknown }) => {
      if (n.channel === probeChannel) return probeArrived?.();
      subscriber.next({ type: 'notification', channel: n.channel, payload: typeof n.payload === 'string' ? n.payload : undefined });
    });
    listener
      .connect()
      // The probe first, so the connection's last statement is the LISTEN it keeps.
      .then(() => (options.probe ? proveSession() : undefined))
      .then(() => listener.listenTo(options.channel))
      .then(() => {
        if (!closed) subscriber.next({ type: 'connected', first: connections++ === 0 });
      })
      .catch(fail);

    /** LISTENs on the probe channel, has the other session notify it, and waits for it to arrive. */
    async function proveSession(): Promise<void> {
      const timeoutMs = options.probeTimeoutMs ?? 3_000;
      await listener.listenTo(probeChannel);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arrived = new Promise<'arrived'>((resolve) => (probeArrived = () => resolve('arrived')));
      try {
        const sent = await Promise.race([
          options.probe!(probeChannel, 'probe').then(() => 'sent' as const, () => 'unsent' as const),
          new Promise<'unsent'>((resolve) => (timer = setTimeout(() => resolve('unsent'), timeoutMs))),
          arrived,
        ]);
        clearTimeout(timer);
        // Could not send: proves nothing either way (the snapshot path has its own error reporting).
        if (sent === 'unsent') return;
        const outcome = await Promise.race([arrived, new Promise<'lost'>((resolve) => (timer = setTimeout(() => resolve('lost'), timeoutMs)))]);
        if (outcome === 'lost') {
          throw new SessionRequiredError(
            `LISTEN does not hold on this connection: a notification sent from another session did not arrive within ${timeoutMs} ms. ` +
              'A pooler in transaction or statement mode (PgBouncer pool_mode = transaction) is in between: ' +
              'use a session-mode pool or a direct connection',
          );
        }
      } finally {
        clearTimeout(timer);
        probeArrived = undefined;
      }
      await listener.unlisten(probeChannel);
    }

    return () => {
      closed = true;
      // A graceful close waits for the server's answer; on a frozen path that never comes.
      options.track?.(settleWithin(listener.close(), 1_000).then(() => sockets.destroyAll()));
    };
  });

  return oneConnection$.pipe(
    retry({
      resetOnSuccess: true,
      delay: (error: unknown, attempt: number) => {
        const ms = delayOf(attempt);
        options.onDisconnected?.(error, attempt, ms);
        return timer(ms, scheduler);
      },
    }),
  );
}
