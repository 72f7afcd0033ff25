import net from 'node:net';

/** The sockets of one connection owner, so they can be destroyed when a graceful close hangs. */
export interface SocketTracker {
  /** node-postgres's `stream` option: called once per connection, returns the socket it will use. */
  readonly stream: () => net.Socket;
  /** Destroys every socket still open; returns how many there were. */
  destroyAll(): number;
}

/**
 * Tracks the sockets node-postgres opens (TLS is layered on top of them, so destroying the socket
 * ends a TLS connection too). A frozen network path — a proxy or NAT that stops relaying without a
 * reset — leaves `client.end()` waiting for an answer that never comes; this is the way out.
 */
export function makeSocketTracker(): SocketTracker {
  const open = new Set<net.Socket>();
  return {
    stream: () => {
      const socket = new net.Socket();
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      return socket;
    },
    destroyAll() {
      const n = open.size;
      for (const socket of open) socket.destroy();
      open.clear();
      return n;
    },
  };
}

/** Resolves with the promise's outcome, or after `ms` whatever happens (never rejects). */
export function settleWithin(promise: Promise<unknown>, ms: number): Promise<'settled' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    timer.unref?.();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve('settled');
      },
      () => {
        clearTimeout(timer);
        resolve('settled');
      },
    );
  });
}
