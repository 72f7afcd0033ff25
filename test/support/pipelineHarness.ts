import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { readSnapshot } from '../../src/db/snapshot.js';
import { parseAgentsSource } from '../../src/db/source.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { Rendered } from '../../src/domain/types.js';
import { makeLogger, type Logger } from '../../src/logger.js';
import { startPipeline as runPipeline, type PipelineOptions, type RunningPipeline, type WrittenFile } from '../../src/pipeline.js';

/** Captured log lines of one pipeline, by level. */
export interface CapturedLog extends Logger {
  lines: { level: string; message: string }[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: { level: string; message: string }[] = [];
  const push = (level: string) => (message: string) => void lines.push({ level, message });
  return { lines, debug: push('debug'), info: push('info'), warn: push('warn'), error: push('error'), text: () => lines.map((l) => `${l.level}: ${l.message}`).join('\n') };
}

/** A pipeline on a real database writing into a fresh temp folder, with counters for assertions. */
export interface PipelineUnderTest {
  outputPath: string;
  dir: string;
  log: CapturedLog;
  written: WrittenFile[];
  rendered: Rendered[];
  reloads: number;
  running: RunningPipeline;
  stop(): Promise<void>;
}

export function startPipeline(url: string, overrides: Partial<PipelineOptions> = {}): PipelineUnderTest {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-pipeline-'));
  const outputPath = overrides.outputPath ?? path.join(dir, 'agents.json');
  const log = captureLog();
  const state: Omit<PipelineUnderTest, 'running' | 'stop'> = { outputPath, dir, log, written: [], rendered: [], reloads: 0 };
  const running = runPipeline({
    connection: { connectionString: url, application_name: 'agent_config_sync' },
    channel: 'agent_config_changed',
    agentsSource: parseAgentsSource('agents'),
    outputPath,
    debounceMs: 50,
    maxWaitMs: 500,
    render: { format: 'entries', layout: 'root' },
    reload: async () => {
      state.reloads += 1;
    },
    allowEmpty: false,
    logger: makeLogger(log),
    reconnectDelay: () => 200,
    writeRetryDelay: () => 100,
    ...overrides,
    onWritten: (w) => {
      state.written.push(w);
      overrides.onWritten?.(w);
    },
    onRendered: (r) => {
      state.rendered.push(r);
      overrides.onRendered?.(r);
    },
  });
  return Object.assign(state, {
    running,
    async stop() {
      await running.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  });
}

/**
 * Waits until the pipeline has reported the write of what its file holds now: the file is renamed a
 * moment before the write is reported, so a test that counts writes right after the file caught up
 * would count one short.
 */
export function writeReported(sync: PipelineUnderTest, timeoutMs = 2_000): Promise<number> {
  return waitFor('the write of the file on disk reported', () => sync.written.at(-1)?.text === readText(sync.outputPath), timeoutMs);
}

/** What the file should hold for the database's current state. */
export async function expectedText(url: string, options: RenderOptions = { format: 'entries', layout: 'root' }, source = 'agents'): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return renderSnapshot(await readSnapshot(client, parseAgentsSource(source)), options).text;
  } finally {
    await client.end();
  }
}

/** Polls until `check` returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
