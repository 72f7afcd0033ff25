import fs from 'node:fs';
import pg from 'pg';
import { readSnapshot } from '../db/snapshot.js';
import { diffJson, formatChange, parseJsonOrUndefined } from '../domain/diff.js';
import { makeProblemFilter } from '../domain/problems.js';
import { renderSnapshot } from '../domain/render.js';
import { describeError } from '../logger.js';
import { refusals, runPipeline } from '../pipeline.js';
import { makeFileSink } from '../sinks/file.js';
import { makeReloader, type ReloadTarget } from '../sinks/reload.js';
import { formatVersion, type ReloadAction } from '../domain/hostProfile.js';
import { gatewayStatusWriter, withStatusWriter } from '../fleet/statusWriter.js';
import { signalFlag, textFlag, UsageError, type Flags } from './args.js';
import { contextFromFlags, type CliContext } from './context.js';

/** Exit code of `sync --once --diff` when the file would change (like diff(1)). */
export const EXIT_DIFFERENT = 2;

/** The CLI's reload: `--reload-pid-file F --reload-signal SIG`, `--touch FILE`, `--exec CMD`, or none. */
export function reloadFromFlags(flags: Flags): { action: ReloadAction; target: ReloadTarget } {
  const pidFile = textFlag(flags, 'reload-pid-file');
  const touch = textFlag(flags, 'touch');
  const exec = textFlag(flags, 'exec');
  const signal = signalFlag(flags);
  const chosen = [pidFile && '--reload-pid-file', touch && '--touch', exec && '--exec'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`use one of --reload-pid-file, --touch, --exec (got ${chosen.join(' and ')}).`);
  if (signal && !pidFile) throw new UsageError('--reload-signal needs --reload-pid-file.');
  if (pidFile) {
    let text: string;
    try {
      text = fs.readFileSync(pidFile, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`--reload-pid-file: cannot read ${pidFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
    }
    if (!/^\d+$/.test(text)) throw new UsageError(`--reload-pid-file: ${pidFile} does not hold a process id.`);
    const sig = signal ?? 'SIGHUP';
    return { action: { kind: 'signal', signal: sig, why: `--reload-signal ${sig}` }, target: { pid: Number(text) } };
  }
  if (touch) return { action: { kind: 'touch', why: '--touch' }, target: { touchFile: touch } };
  if (exec) return { action: { kind: 'none', why: '--exec' }, target: { exec } };
  return { action: { kind: 'none', why: 'no reload flag' }, target: {} };
}

/** `sync --once`: one snapshot, one render, at most one write and one reload. Returns the exit code. */
export async function syncOnce(flags: Flags): Promise<number> {
  const ctx = contextFromFlags(flags);
  const reloadSpec = reloadFromFlags(flags);
  ctx.plan.warnings.forEach((w) => ctx.log.warn(w));
  const snapshot = await withClient(ctx, (client) => readSnapshot(client, ctx.source, { gatewayId: ctx.settings.gatewayId }));
  const rendered = renderSnapshot(snapshot, ctx.plan.render);
  makeProblemFilter()(rendered.problems).forEach((p) => ctx.log.warn(p.message));
  const file = makeFileSink(ctx.plan.outputPath);
  const current = file.readCurrent();
  const changes = diffJson(parseJsonOrUndefined(current), parseJsonOrUndefined(rendered.text));
  const reasons = refusals(rendered, ctx.plan.render, current, ctx.settings.allowEmpty);

  if (flags['dry-run'] === true && flags.diff !== true) {
    process.stdout.write(rendered.text);
    if (reasons.length > 0) ctx.log.warn(`a real sync would refuse this file: ${reasons.join('; ')}`);
    return 0;
  }
  if (flags.diff === true) {
    const same = current === rendered.text;
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ path: file.path, changed: !same, changes }, null, 2)}\n`);
    else if (same) process.stdout.write(`${file.path}: up to date\n`);
    else if (changes.length === 0) process.stdout.write(`${file.path}: formatting differs (same content)\n`);
    else process.stdout.write(`${changes.map(formatChange).join('\n')}\n`);
    return same ? 0 : EXIT_DIFFERENT;
  }
  if (reasons.length > 0) throw new Error(`not writing ${file.path}: ${reasons.join('; ')}`);
  const stale = file.removeStaleTemps();
  if (stale.length > 0) ctx.log.info(`removed ${stale.length} stale temp file(s) beside ${file.path}: ${stale.join(', ')}`);
  const outcome = await file.write(rendered.text);
  if (outcome === 'written') {
    await makeReloader(reloadSpec.action, reloadSpec.target, ctx.log)();
    ctx.log.info(`wrote ${file.path} (${rendered.agentCount} agents): ${changes.length} change(s)`);
    changes.forEach((c) => ctx.log.info(`  ${formatChange(c)}`));
  } else {
    ctx.log.info(`${file.path} is up to date (${rendered.agentCount} agents)`);
  }
  return 0;
}

/** `watch`: the live pipeline until SIGINT/SIGTERM. Resolves with the exit code. */
export async function watch(flags: Flags): Promise<number> {
  const ctx = contextFromFlags(flags);
  return runUntilSignal(ctx, reloadFromFlags(flags));
}

/** Runs the pipeline of a context until SIGINT/SIGTERM, then disposes it. */
export function runUntilSignal(ctx: CliContext, reloadSpec: { action: ReloadAction; target: ReloadTarget }): Promise<number> {
  ctx.plan.warnings.forEach((w) => ctx.log.warn(w));
  ctx.log.info(`syncing ${ctx.connection.description} → ${ctx.plan.outputPath}; ${ctx.plan.summary}`);
  const gatewayId = ctx.settings.gatewayId ?? '';
  ctx.log.info(`gateway id "${gatewayId}"`);
  const fleet = gatewayStatusWriter({
    connection: ctx.connection.config,
    gatewayId,
    hostVersion: ctx.host.version ? formatVersion(ctx.host.version) : undefined,
    outputPath: ctx.plan.outputPath,
    render: ctx.plan.render,
    logger: ctx.log,
  });
  const running = withStatusWriter(runPipeline({
    connection: ctx.connection.config,
    channel: ctx.settings.channel,
    agentsSource: ctx.source,
    outputPath: ctx.plan.outputPath,
    debounceMs: ctx.settings.debounceMs,
    maxWaitMs: ctx.settings.maxWaitMs,
    render: ctx.plan.render,
    reload: makeReloader(reloadSpec.action, reloadSpec.target, ctx.log),
    allowEmpty: ctx.settings.allowEmpty,
    reconcileMs: ctx.settings.reconcileMs,
    logger: ctx.log,
    gatewayId,
    onError: fleet.failed,
    onRendered: fleet.rendered,
    onWritten: fleet.written,
  }), fleet);
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ctx.log.info(`${signal}: stopping`);
      void running.dispose().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Opens one client for a one-shot command and always closes it. */
export async function withClient<T>(ctx: Pick<CliContext, 'connection'>, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client(ctx.connection.config);
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`cannot connect to PostgreSQL at ${ctx.connection.description}: ${describeError(error)}`);
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
