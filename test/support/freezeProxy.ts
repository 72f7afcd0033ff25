import net from 'node:net';

/**
 * A loopback TCP proxy in front of a server, for tests that need a network path that stops
 * answering without closing: `freeze()` stops relaying bytes on every connection open at that
 * moment, in both directions, and closes nothing. Both sockets stop reading (the kernel buffers
 * fill, then the peers' writes block) and nothing already read is passed on, so each end sees a
 * silent peer whose TCP connection is still open and ACKed — a frozen VM, a dropped NAT entry, a
 * stalled middlebox. Connections made after the freeze relay normally.
 */
export interface FreezeProxy {
  /** The proxy's loopback port. */
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  /** Stops relaying on every current connection, both directions, without closing them. */
  freeze(): void;
  /** Connections currently open through the proxy (frozen or not). */
  connections(): number;
  /** Connections frozen so far (still open until `close()`). */
  frozen(): number;
  /** Destroys every connection and stops listening. Safe to call twice. */
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  frozen: boolean;
}

/** Starts a proxy on 127.0.0.1 (a free port) relaying to `target`. */
export async function startFreezeProxy(target: { host: string; port: number }): Promise<FreezeProxy> {
  const pairs = new Set<Pair>();
  const server = net.createServer({ pauseOnConnect: true }, (client) => {
    const upstream = net.connect({ host: target.host, port: target.port });
    const pair: Pair = { client, upstream, frozen: false };
    pairs.add(pair);
    const relay = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk: Buffer) => {
        // Bytes read just before the freeze are dropped too: a frozen path delivers nothing.
        if (pair.frozen) return;
        if (!to.write(chunk)) {
          from.pause();
          to.once('drain', () => {
            if (!pair.frozen) from.resume();
          });
        }
      });
      from.on('end', () => {
        if (!pair.frozen) to.end();
      });
    };
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => {
      if (!pair.frozen) drop();
    });
    upstream.on('close', () => {
      if (!pair.frozen) drop();
    });
    relay(client, upstream);
    relay(upstream, client);
    upstream.once('connect', () => {
      if (!pair.frozen) client.resume();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closed: Promise<void> | undefined;

  return {
    port,
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    freeze() {
      for (const pair of pairs) {
        pair.frozen = true;
        pair.client.pause();
        pair.upstream.pause();
      }
    },
    connections: () => pairs.size,
    frozen: () => [...pairs].filter((p) => p.frozen).length,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.upstream.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
