import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeSnapshotReader } from '../../src/db/snapshot.js';
import { makeStatusWriter } from '../../src/fleet/statusWriter.js';

/**
 * A server that lets the session in and terminates it in the same breath: ReadyForQuery and a FATAL
 * 57P01 ("terminating connection due to administrator command") in one TCP write, as PostgreSQL does
 * when pg_terminate_backend or a shutdown hits a backend the moment it becomes ready. (The same race on
 * a real server is test/faults/disposeTerminate.test.ts; this server makes its timing certain.)
 * The client parses both messages in one go: the FATAL is emitted while the pool hands the client out,
 * and a client with no 'error' listener at that instant takes the whole process down.
 */
function fatalAtReadyServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const message = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const authOk = message('R', Buffer.from([0, 0, 0, 0]));
  const ready = message('Z', Buffer.from('I'));
  const fields = ['SFATAL', 'VFATAL', 'C57P01', 'Mterminating connection due to administrator command'];
  const fatal = message('E', Buffer.concat([...fields.map((f) => Buffer.from(`${f}\0`)), Buffer.from([0])]));
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => socket.end(Buffer.concat([authOk, ready, fatal])));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

describe('a session terminated as it becomes ready', () => {
  let server: Awaited<ReturnType<typeof fatalAtReadyServer>>;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

  beforeEach(async () => {
    uncaught.length = 0;
    server = await fatalAtReadyServer();
    process.on('uncaughtException', onUncaught);
  });
  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    await server.close();
  });
  const connection = () => ({ host: '127.0.0.1', port: server.port, user: 'acs', database: 'acs', password: 'x' });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  it('the snapshot connection hears the FATAL (warm-up and read)', async () => {
    const heard: string[] = [];
    const reader = makeSnapshotReader(connection(), { onIdleError: (error) => heard.push(error.message) });
    reader.warm();
    await settle();
    const read = await new Promise<string>((resolve) => reader.read$({ kind: 'table', text: 'agents' } as never).subscribe({ error: (e: Error) => resolve(e.message), complete: () => resolve('completed') }));
    await reader.end();
    expect(uncaught.map(String)).toEqual([]);
    expect(heard.join('\n')).toContain('terminating connection due to administrator command');
    expect(read).not.toBe('completed');
  });

  // Its writes go through pool.query (which listens while a query runs) or a checked-out client in a
  // transaction: either way the pool's own listener must cover the hand-out.
  it('the fleet status connection hears the FATAL', async () => {
    const writer = makeStatusWriter({
      connection: connection(),
      facts: () => ({ gatewayId: 'gw', format: 'entries', layout: 'root', outputPath: '/nonexistent/agents.json' }),
      readFile: () => undefined,
      logger: quiet,
      settleMs: 10,
    });
    writer.failed('x');
    await settle();
    await writer.stop();
    expect(uncaught.map(String)).toEqual([]);
  });
});
