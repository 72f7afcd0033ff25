import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
// The same script `npm run e2e:setup` runs: fetches Node 24 and openclaw into .cache/e2e.
import { ensureNode, ensureOpenclaw } from '../../scripts/e2e-setup.mjs';
import { freePort } from '../globalSetup.js';

const run = promisify(execFile);

/** A real `openclaw gateway`, on loopback, with HOME, state dir and config under one temp folder. */
export interface Gateway {
  readonly version: string;
  readonly dir: string;
  readonly port: number;
  readonly configPath: string;
  readonly process: ChildProcess;
  /** Everything the gateway printed so far (stdout and stderr). */
  log(): string;
  /** `openclaw gateway call <method> --json` against this gateway. */
  call(method: string): Promise<unknown>;
  stop(): Promise<number | null>;
}

export interface GatewayFolder {
  readonly dir: string;
  readonly home: string;
  readonly stateDir: string;
  readonly configPath: string;
}

export function makeGatewayFolder(root: string): GatewayFolder {
  const home = path.join(root, 'home');
  const stateDir = path.join(root, 'state');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(stateDir, { recursive: true });
  return { dir: root, home, stateDir, configPath: path.join(stateDir, 'openclaw.json') };
}

export function envFor(folder: GatewayFolder, port: number, node: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['LANG', 'TZ', 'TMPDIR']) if (process.env[key]) env[key] = process.env[key];
  return {
    ...env,
    PATH: `${path.dirname(node)}:${process.env.PATH ?? ''}`,
    HOME: folder.home,
    OPENCLAW_STATE_DIR: folder.stateDir,
    OPENCLAW_CONFIG_PATH: folder.configPath,
    OPENCLAW_GATEWAY_PORT: String(port),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
}

/** Starts the gateway and resolves once `openclaw gateway call health` answers. */
export async function startGateway(version: string, folder: GatewayFolder, readyTimeoutMs = 90_000, extraEnv: NodeJS.ProcessEnv = {}): Promise<Gateway> {
  const node = ensureNode();
  const entry = ensureOpenclaw(version);
  const port = await freePort();
  const env = { ...envFor(folder, port, node), ...extraEnv };
  let output = '';
  const child = spawn(node, [entry, 'gateway', '--port', String(port), '--auth', 'none', '--bind', 'loopback'], {
    cwd: folder.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const call = async (method: string): Promise<unknown> => {
    const { stdout } = await run(node, [entry, 'gateway', 'call', method, '--json'], { cwd: folder.dir, env, timeout: 30_000 });
    return JSON.parse(stdout) as unknown;
  };
  const gateway: Gateway = {
    version,
    dir: folder.dir,
    port,
    configPath: folder.configPath,
    process: child,
    log: () => output,
    call,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };

  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`openclaw ${version} gateway exited with ${child.exitCode} before it was ready:\n${output.slice(-4000)}`);
    if (Date.now() - started > readyTimeoutMs) {
      await gateway.stop();
      throw new Error(`openclaw ${version} gateway not ready after ${readyTimeoutMs} ms:\n${output.slice(-4000)}`);
    }
    if (await isListening(port)) {
      try {
        await call('health');
        return gateway;
      } catch {
        // up but not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The agents the running gateway reports (`gateway call agents.list`), by id. */
export async function liveRoster(gateway: Gateway): Promise<Map<string, { primary?: string }>> {
  const answer = (await gateway.call('agents.list')) as { agents?: { id: string; model?: { primary?: string } | string }[] };
  const roster = new Map<string, { primary?: string }>();
  for (const agent of answer.agents ?? []) {
    const model = agent.model;
    roster.set(agent.id, { primary: typeof model === 'string' ? model : model?.primary });
  }
  return roster;
}

/**
 * The plugin as an operator gets it: `npm pack` of this project (only the files package.json lists),
 * unpacked and given its production dependencies. Loading the work tree instead would hand the
 * gateway node_modules, caches and data folders to capture (2026.9.6 copies the package it loads).
 */
export async function packPlugin(root: string): Promise<string> {
  fs.mkdirSync(root, { recursive: true });
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', root], { cwd: process.cwd() });
  const [packed] = JSON.parse(stdout) as { filename: string }[];
  if (!packed) throw new Error('npm pack wrote nothing');
  await run('tar', ['-xzf', path.join(root, packed.filename), '-C', root]);
  const dir = path.join(root, 'package');
  await run('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'], { cwd: dir });
  return dir;
}
