import fs from 'node:fs';
import type pg from 'pg';
import { lastValueFrom, map, of, tap, type Observable } from 'rxjs';
import type { Rendered } from '../domain/types.js';
import { subprocessChecker } from '../hostCheck/checker.js';
import { cliHostCommand } from '../hostCheck/commands.js';
import { makeHostCheck } from '../hostCheck/hostCheck.js';
import { hostConfigFiles } from '../hostCheck/hostConfig.js';
import { makeLoggedHostCheck } from '../hostCheck/logged.js';
import { connectBounded, explainBound } from '../db/oneShot.js';
import { readSnapshot } from '../db/snapshot.js';
import { diffJson, formatChange, parseJsonOrUndefined } from '../domain/diff.js';
import { makeProblemFilter } from '../domain/problems.js';
import { describeError } from '../logger.js';
import { makeStages, refusals, type Trigger } from '../pipeline.js';
import { makeOneShotSources } from '../sources.js';
import { startSync } from '../startSync.js';
import { makeFileSink } from '../sinks/file.js';
import { pidFileRefusal } from '../sinks/pidFile.js';
import { makeReloader, type Reloader, type ReloadTarget } from '../sinks/reload.js';
import { formatVersion, type ReloadAction } from '../domain/hostProfile.js';
import { INSTANCE_ID } from '../fleet/gatewayId.js';
import type { ProvidedGateway } from '../plugin/gatewayConfig.js';
import { msFlag, signalFlag, textFlag, UsageError, type Flags } from './args.js';
import { contextFromFlags, type CliContext } from './context.js';

/** Exit code of `sync --once --diff` when the file would change (like diff(1)). */
export const EXIT_DIFFERENT = 2;

/**
 * The CLI's reload: `--reload-pid-file F --reload-signal SIG [--signal-node-process]`, `--touch FILE`,
 * `--exec CMD [--exec-timeout-ms N]`, or none. The pid file is read here only to fail early; the
 * reloader reads it again before every signal.
 */
export function reloadFromFlags(flags: Flags): { action: ReloadAction; target: ReloadTarget } {
  const pidFile = textFlag(flags, 'reload-pid-file');
  const touch = textFlag(flags, 'touch');
  const exec = textFlag(flags, 'exec');
  const signal = signalFlag(flags);
  const execTimeoutMs = msFlag(flags, 'exec-timeout-ms');
  const signalNodeProcess = flags['signal-node-process'] === true;
  const chosen = [pidFile && '--reload-pid-file', touch && '--touch', exec && '--exec'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`use one of --reload-pid-file, --touch, --exec (got ${chosen.join(' and ')}).`);
  if (signal && !pidFile) throw new UsageError('--reload-signal needs --reload-pid-file.');
  if (signalNodeProcess && !pidFile) throw new UsageError('--signal-node-process needs --reload-pid-file.');
  if (execTimeoutMs !== undefined && !exec) throw new UsageError('--exec-timeout-ms needs --exec.');
  if (execTimeoutMs === 0) throw new UsageError('--exec-timeout-ms must be at least 1 (a command without a time limit could block every later reload).');
  if (pidFile) {
    if (signal === 'SIGUSR1') {
      throw new UsageError('--reload-signal SIGUSR1 is never sent to another process (a Node process opens its inspector on it, whatever its name); use SIGHUP or SIGUSR2.');
    }
    const untrusted = pidFileRefusal(pidFile);
    if (untrusted !== undefined) throw new UsageError(`--reload-pid-file: ${untrusted}.`);
    let text: string;
    try {
      text = fs.readFileSync(pidFile, 'utf8').trim();
    } catch (error) {
      throw new UsageError(`--reload-pid-file: cannot read ${pidFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
    }
    if (!/^\d+$/.test(text)) throw new UsageError(`--reload-pid-file: ${pidFile} does not hold a process id.`);
    if (Number(text) <= 1) throw new UsageError(`--reload-pid-file: ${pidFile} names pid ${Number(text)}, which is never signalled.`);
    if (Number(text) === process.pid) throw new UsageError(`--reload-pid-file: ${pidFile} names this process.`);
    const sig = signal ?? 'SIGHUP';
    return { action: { kind: 'signal', signal: sig, why: `--reload-signal ${sig}` }, target: { pidFile, signalNodeProcess } };
  }
  if (touch) return { action: { kind: 'touch', why: '--touch' }, target: { touchFile: touch } };
  if (exec) return { action: { kind: 'none', why: '--exec' }, target: { exec, execTimeoutMs } };
  return { action: { kind: 'none', why: 'no reload flag' }, target: {} };
}

/**
 * `sync --once`: one trigger through the live pipeline's stages — read, render, check, then guard,
 * write, reload and report — with retry schedules that give up, so a failed read or write is the
 * command's error. `--dry-run` and `--diff` stop before the writer. Returns the exit code.
 */
export async function syncOnce(flags: Flags, provided?: ProvidedGateway): Promise<number> {
  const ctx = contextFromFlags(flags, process.env, true, provided);
  const reloadSpec = reloadFromFlags(flags);
  ctx.plan.warnings.forEach((w) => ctx.log.warn(w));
  const file = makeFileSink(ctx.plan.outputPath, { configPath: ctx.host.configPath });
  const sources = makeOneShotSources({
    read: () => withClient(ctx, (client) => readSnapshot(client, ctx.source, { gatewayId: ctx.settings.gatewayId })),
    file,
    labels: { channel: ctx.settings.channel, agentsSource: ctx.source.text },
    logger: ctx.log,
  });
  const reloader = makeReloader(reloadSpec.action, reloadSpec.target, ctx.log);
  let upToDate = false;
  const stage = makeStages(sources, {
    debounceMs: 0,
    maxWaitMs: 0,
    render: ctx.plan.render,
    reload: () => reloadOnce(reloader),
    allowEmpty: ctx.settings.allowEmpty,
    logger: ctx.log,
    reconnectDelay: () => undefined,
    writeRetryDelay: () => undefined,
    hostCheck: cliHostCheck(flags, ctx),
    onSynced: (synced) => (upToDate = !synced.written),
  });
  const { rendered } = await lastValueFrom(of<Trigger>('startup').pipe(stage.read, stage.render, stage.check));
  const current = file.readCurrent();
  const reasons = refusals(rendered, ctx.plan.render, current, ctx.settings.allowEmpty);

  if (flags['dry-run'] === true && flags.diff !== true) {
    process.stdout.write(rendered.text);
    if (reasons.length > 0) ctx.log.warn(`a real sync would refuse this file: ${reasons.join('; ')}`);
    return 0;
  }
  if (flags.diff === true) return printDiff(flags, file.path, current, rendered.text);
  if (reasons.length > 0) throw new Error(`not writing ${file.path}: ${reasons.join('; ')}`);
  const stale = file.removeStaleTemps();
  if (stale.length > 0) ctx.log.info(`removed ${stale.length} stale temp file(s) beside ${file.path}: ${stale.join(', ')}`);
  await lastValueFrom(of(rendered).pipe(map((r) => ({ trigger: 'startup' as const, rendered: r })), stage.guard, stage.write, stage.reload, tap(stage.report)), { defaultValue: undefined });
  if (upToDate) ctx.log.info(`${file.path} is up to date (${rendered.agentCount} agents)`);
  return 0;
}

/** `--diff`: what a sync would change, as text or JSON; exit 0 when the file is up to date, else {@link EXIT_DIFFERENT}. */
function printDiff(flags: Flags, path: string, current: string | undefined, text: string): number {
  const changes = diffJson(parseJsonOrUndefined(current), parseJsonOrUndefined(text));
  const same = current === text;
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ path, changed: !same, changes }, null, 2)}\n`);
  else if (same) process.stdout.write(`${path}: up to date\n`);
  else if (changes.length === 0) process.stdout.write(`${path}: formatting differs (same content)\n`);
  else process.stdout.write(`${changes.map(formatChange).join('\n')}\n`);
  return same ? 0 : EXIT_DIFFERENT;
}

/** `watch`: the live pipeline until SIGINT/SIGTERM. Resolves with the exit code. */
export async function watch(flags: Flags, provided?: ProvidedGateway): Promise<number> {
  const ctx = contextFromFlags(flags, process.env, true, provided);
  return runUntilSignal(ctx, reloadFromFlags(flags), cliHostCheck(flags, ctx, true));
}

/** The host's own schema through `--openclaw-bin` or `openclaw` on PATH (docs/design.md §10); undefined when there is none. */
function cliHostCheck(flags: Flags, ctx: CliContext, logged = false): ((r: Rendered) => Observable<Rendered>) | undefined {
  const command = cliHostCommand(textFlag(flags, 'openclaw-bin'));
  if (!command) {
    ctx.log.debug('no openclaw binary (--openclaw-bin or PATH): the file is checked by our own rules only');
    return undefined;
  }
  // A child process, not the host's validator loaded here: this CLI may run on a Node the host does not
  // support, and only inside the gateway are the host's modules already loaded (see inProcess.ts).
  // Every render is asked (docs/design.md §10): the first file is the one a gateway must accept to start at all;
  // a roster already checked is not asked again (verdicts are remembered by content).
  const checker = subprocessChecker(command, undefined, true);
  // The candidate is checked in openclaw.json as it is at each check (bindings, aliases, its other includes).
  const files = hostConfigFiles(ctx.host.configPath, ctx.plan.outputPath, ctx.host.includeRoots ?? []);
  if (logged) return makeLoggedHostCheck(checker, () => ctx.plan.render, ctx.log, files);
  // One-shot: the host's problems are warned after the render's own; a host that cannot be asked is one warning.
  const fresh = makeProblemFilter();
  return makeHostCheck({
    checker,
    render: () => ctx.plan.render,
    ...files,
    onHostConfig: (reason) => {
      if (reason !== undefined) ctx.log.warn(`the file is checked alone, not in the config the host loads: ${reason}`);
    },
    onDebug: (message) => ctx.log.debug(message),
    onProblems: (problems) => fresh(problems).forEach((p) => ctx.log.warn(p.message)),
    onUnavailable: (error) => ctx.log.warn(`${command.label} could not check the file (${error}); checked by our own rules only`),
  });
}

/** Runs the pipeline of a context until SIGINT/SIGTERM, then disposes it. */
export function runUntilSignal(
  ctx: CliContext,
  reloadSpec: { action: ReloadAction; target: ReloadTarget },
  hostCheck?: (r: Rendered) => Observable<Rendered>,
): Promise<number> {
  ctx.plan.warnings.forEach((w) => ctx.log.warn(w));
  ctx.log.info(`syncing ${ctx.connection.description} → ${ctx.plan.outputPath}; ${ctx.plan.summary}`);
  // After Ctrl-C nothing is a failure any more: the terminal sends SIGINT to the whole process group,
  // so a database started beside us (the quick start's) may drop our connections before we close them.
  let stopping = false;
  const log: CliContext['log'] = {
    ...ctx.log,
    warn: (m) => (stopping ? ctx.log.debug(m) : ctx.log.warn(m)),
    error: (m) => (stopping ? ctx.log.debug(m) : ctx.log.error(m)),
  };
  const reloader = makeReloader(reloadSpec.action, reloadSpec.target, log);
  const gatewayId = ctx.settings.gatewayId ?? '';
  ctx.log.info(`gateway id "${gatewayId}", instance ${INSTANCE_ID}`);
  const running = startSync({
    connection: ctx.connection.config,
    settings: ctx.settings,
    source: ctx.source,
    plan: ctx.plan,
    configPath: ctx.host.configPath,
    hostVersion: ctx.host.version ? formatVersion(ctx.host.version) : undefined,
    gatewayId,
    reload: reloader,
    hostCheck,
    logger: log,
  });
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      stopping = true;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      ctx.log.info(`${signal}: stopping`);
      // The reloader too: an --exec command runs in a process group of its own, which Ctrl-C does not reach.
      void Promise.all([running.dispose(), reloader.dispose()]).then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Runs one reload; SIGINT/SIGTERM meanwhile stop it (an --exec command's whole process group). */
async function reloadOnce(reloader: Reloader): Promise<void> {
  const stop = () => void reloader.dispose();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await reloader();
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await reloader.dispose();
  }
}

/**
 * Opens one client for a one-shot command, bounded like the live pipeline (connect, server-side
 * statement and lock timeouts, a client-side answer bound), and always closes it.
 */
export async function withClient<T>(ctx: Pick<CliContext, 'connection'>, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectBounded(ctx.connection.config, ctx.connection.description);
  try {
    return await fn(client);
  } catch (error) {
    // A timeout is said as the bound that ran out, a first-hour error with its next step; others as they are.
    const explained = explainBound(error);
    if (explained === describeError(error)) throw error;
    throw new Error(`PostgreSQL at ${ctx.connection.description}: ${explained}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
