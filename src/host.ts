import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSON5 from 'json5';

/** Which setting chose the default openclaw.json. */
export type DefaultConfigOrigin = 'OPENCLAW_CONFIG_PATH' | 'OPENCLAW_STATE_DIR' | '~/.openclaw';

/**
 * Where OpenClaw keeps openclaw.json, by its precedence, made absolute as OpenClaw makes it:
 * OPENCLAW_CONFIG_PATH, else `$OPENCLAW_STATE_DIR/openclaw.json`, else `~/.openclaw/openclaw.json`
 * (HOME, or the account's home when HOME is unset or empty); and which setting chose it.
 */
export function configCandidate(env: Record<string, string | undefined> = process.env): { path: string; from: DefaultConfigOrigin } {
  if (env.OPENCLAW_CONFIG_PATH) return { path: path.resolve(env.OPENCLAW_CONFIG_PATH), from: 'OPENCLAW_CONFIG_PATH' };
  if (env.OPENCLAW_STATE_DIR) return { path: path.resolve(env.OPENCLAW_STATE_DIR, 'openclaw.json'), from: 'OPENCLAW_STATE_DIR' };
  return { path: path.join(env.HOME || os.homedir(), '.openclaw', 'openclaw.json'), from: '~/.openclaw' };
}

/** The path of {@link configCandidate}: where the gateway's openclaw.json is when nothing names it. */
export function defaultConfigPath(env: Record<string, string | undefined> = process.env): string {
  return configCandidate(env).path;
}

/** Reads and parses openclaw.json (JSON5, as OpenClaw reads it); undefined when absent or unreadable. */
export function readOpenclawConfig(file: string): { config?: unknown; error?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    return { error: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  try {
    return { config: JSON5.parse(text) };
  } catch (error) {
    return { error: `cannot parse ${file}: ${(error as Error).message}` };
  }
}

/** Extra include roots from OPENCLAW_INCLUDE_ROOTS (path-list separated). */
export function includeRootsFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  return (env.OPENCLAW_INCLUDE_ROOTS ?? '').split(path.delimiter).filter((p) => p.trim() !== '');
}

/** Parsed `~/.openclaw/postgres.json`, or undefined when absent or invalid. */
export function readPostgresJson(home = os.homedir()): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(home, '.openclaw', 'postgres.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/** OpenClaw stamps the version that last wrote openclaw.json into `meta.lastTouchedVersion`. */
export function lastTouchedVersion(config: unknown): string | undefined {
  const meta = (config as { meta?: { lastTouchedVersion?: unknown } } | undefined)?.meta;
  return typeof meta?.lastTouchedVersion === 'string' ? meta.lastTouchedVersion : undefined;
}

/**
 * The version of the openclaw package this process was started from (`process.argv[1]` is its
 * `openclaw.mjs`): the fallback for hosts whose plugin API has no `runtime.version`.
 */
export function runningOpenclawVersion(entry: string | undefined = process.argv[1]): string | undefined {
  if (!entry) return undefined;
  let dir = path.dirname(path.resolve(entry));
  for (let i = 0; i < 4; i += 1) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'openclaw' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // no package.json here: look one level up
    }
    dir = path.dirname(dir);
  }
  return undefined;
}
