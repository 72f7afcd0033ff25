import { execFile } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, makeTempDir, writeOpenclawJson } from './cli.js';

/**
 * A server that accepts TCP connections and never says a word (a frozen host, a black-holed port behind
 * a proxy): every one-shot command must end by itself, exit 1 and name the bound that ran out.
 */
describe('one-shot commands against a server that never answers', () => {
  let server: net.Server;
  let port = 0;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    assertBuilt();
    server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    sockets.forEach((s) => s.destroy());
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Runs the CLI, killed after 15 s: a command that is still waiting then fails the test (no exit code). */
  function run(args: string[], home: string): Promise<{ code: number | string; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: home }, cwd: home, timeout: 15_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : `killed (${String(error.signal)})`) : 0, stdout, stderr });
      });
    });
  }

  it('can end sync --once, status, migrate, fleet and doctor with exit 1, naming the connect timeout', async () => {
    const home = makeTempDir('frozen');
    writeOpenclawJson(home, { gateway: { mode: 'local' }, agents: { $include: './agents.json' } });
    const url = `postgres://app@127.0.0.1:${port}/openclaw`;
    const output = `${home}/agents.json`;
    const commands: [string, string[]][] = [
      ['sync --once', ['sync', '--once', '--database-url', url, '--output', output]],
      ['status', ['status', '--database-url', url, '--output', output]],
      ['migrate', ['migrate', '--database-url', url]],
      ['fleet', ['fleet', '--database-url', url]],
      ['doctor', ['doctor', '--database-url', url, '--output', output]],
    ];
    const results = await Promise.all(commands.map(async ([name, args]) => [name, await run(args, home)] as const));
    for (const [name, result] of results) {
      expect({ name, code: result.code }).toEqual({ name, code: 1 });
      expect(`${result.stdout}${result.stderr}`, name).toMatch(/no connection within 10 s \(connect timeout\)/);
    }
  }, 30_000);
});
