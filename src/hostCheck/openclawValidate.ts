import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rawIssues } from '../domain/hostIssues.js';
import type { RawIssue } from '../domain/mergedConfig.js';

export { hostIssues } from '../domain/hostIssues.js';

/**
 * The host's own schema, asked through its CLI: `openclaw config validate --json` run on a temporary
 * config: the merged config the host would load (openclaw.json with the candidate in place of its
 * include and every include already resolved, so nothing in it points back at the real config
 * directory), or `{agents}` alone when there is no openclaw.json to merge with. The same command exists
 * on every supported host (2026.4.29, 2026.7.35, 2026.8.2, 2026.9.6; measured 1.7–2.4 s a call), and
 * gives exactly the host's verdict, refinements included (heartbeat durations, strict keys, enums).
 * Inside the gateway the command is the running host itself (`process.execPath` + its entry script);
 * from the CLI it is `--openclaw-bin` or `openclaw` on PATH.
 */

/** How to run the host's CLI: a command and the arguments before `config validate --json`. */
export interface OpenclawCommand {
  command: string;
  args: readonly string[];
  /** How messages name it (e.g. "OpenClaw 2026.9.6"). */
  label: string;
}

/** What the host said: its issues, dotted from the config root (empty: valid), or why it could not be asked. */
export type ValidateOutcome = { ok: true; issues: RawIssue[] } | { ok: false; error: string };

/** Options of {@link validateWithOpenclaw}. */
export interface ValidateOptions {
  /** The child is killed after this long, in ms. Defaults to 30000 ms. */
  timeoutMs?: number;
  /** Aborting kills the child (the pipeline's teardown). */
  signal?: AbortSignal;
  /** Where the child's PATH, LANG and TZ come from (nothing else of it is passed). Defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Most bytes of the child's output read; a host never prints this much for one small file. */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * Validates a whole config with the host's CLI in a temporary state directory (its own HOME, state
 * dir and config path, removed afterwards). Never throws; a host that cannot be run, times out or
 * prints something that is not its JSON answer gives `{ ok: false }`.
 */
export async function validateWithOpenclaw(command: OpenclawCommand, config: Record<string, unknown>, options: ValidateOptions = {}): Promise<ValidateOutcome> {
  let dir: string;
  try {
    dir = mkdtempSync(path.join(os.tmpdir(), 'acs-host-check-'));
    writeFileSync(path.join(dir, 'openclaw.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  } catch (error) {
    return { ok: false, error: `cannot write a temporary config: ${(error as Error).message}` };
  }
  try {
    const env = childEnvironment(options.env ?? process.env, dir);
    const run = await runChild(command.command, [...command.args, 'config', 'validate', '--json'], { cwd: dir, env, timeoutMs: options.timeoutMs ?? 30_000, signal: options.signal });
    if (run.error) return { ok: false, error: run.error };
    const outcome = parseValidateOutput(run.stdout);
    // Say what the host printed instead (its first line of stderr, e.g. "requires Node >= 24"), bounded.
    if (!outcome.ok && run.stderr.trim() !== '') return { ok: false, error: `${outcome.error} (exit ${run.code}: ${run.stderr.trim().split('\n')[0]!.slice(0, 200)})` };
    return outcome;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The child's whole environment: PATH, LANG and TZ as the sync has them, and a HOME, state dir and
 * config path of its own. Nothing else of the sync's environment: the host substitutes `${VAR}` in
 * the config it reads and may print values back in its messages, so a secret the sync holds (a
 * database password, cloud keys) must not be there to be substituted or echoed.
 */
export function childEnvironment(from: NodeJS.ProcessEnv, dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ['PATH', 'LANG', 'TZ']) if (from[key] !== undefined) env[key] = from[key];
  return { ...env, HOME: dir, OPENCLAW_STATE_DIR: dir, OPENCLAW_CONFIG_PATH: path.join(dir, 'openclaw.json'), NO_COLOR: '1', FORCE_COLOR: '0' };
}

/**
 * Reads the JSON `openclaw config validate --json` prints: `{valid, issues: [{path, message}]}`, where
 * `path` is dotted from the config root (`agents.entries.main.thinkingDefault`, `bindings.0.agentId`)
 * and an unknown key is reported on its parent (`Unrecognized key: "foo"`). Returns the issues as given.
 */
export function parseValidateOutput(stdout: string): ValidateOutcome {
  const start = stdout.indexOf('{');
  let answer: unknown;
  try {
    answer = start >= 0 ? JSON.parse(stdout.slice(start)) : undefined;
  } catch {
    answer = undefined;
  }
  if (typeof answer !== 'object' || answer === null || typeof (answer as { valid?: unknown }).valid !== 'boolean') {
    return { ok: false, error: 'the host printed no validation answer' };
  }
  const { valid, issues } = answer as { valid: boolean; issues?: unknown };
  return { ok: true, issues: valid ? [] : rawIssues(issues) };
}

/** Runs a child to its end with a bound; never throws. */
function runChild(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number; signal?: AbortSignal },
): Promise<{ stdout: string; stderr: string; code: number | null; error?: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let bytes = 0;
    let settled = false;
    const done = (result: { stdout: string; stderr?: string; code?: number | null; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abort);
      resolve({ stderr, code: null, ...result });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ stdout: '', stderr: '', code: null, error: `cannot run ${command}: ${(error as Error).message}` });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ stdout, error: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    const abort = () => {
      child.kill('SIGKILL');
      done({ stdout, error: 'abandoned' });
    };
    options.signal?.addEventListener('abort', abort, { once: true });
    child.stdout?.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= MAX_OUTPUT_BYTES) stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 4_096) stderr += chunk.toString('utf8');
    });
    child.once('error', (error) => done({ stdout, error: `cannot run ${command}: ${error.message}` }));
    child.once('close', (code) => done({ stdout, code }));
  });
}
