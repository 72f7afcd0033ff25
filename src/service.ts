import { createHash } from 'node:crypto';
import { ConfigError, resolveSettings, type SyncSettings } from './config.js';
import { resolveConnection, type ResolvedConnection } from './connection.js';
import { formatVersion, parseHostVersion } from './domain/hostProfile.js';
import { findInclude, findShadowedKeys, type ShadowedKey } from './domain/include.js';
import { planOutput, type HostFacts, type OutputPlan } from './domain/plan.js';
import { parseAgentsSource, type AgentsSource } from './db/source.js';
import { defaultConfigPath, includeRootsFromEnv, lastTouchedVersion, readOpenclawConfig, readPostgresJson, runningOpenclawVersion } from './host.js';
import { describeError, makeLogger, type Logger } from './logger.js';
import type { PluginApi, PluginService } from './openclaw.js';
import type { RunningPipeline } from './pipeline.js';
import { startSync } from './startSync.js';
import { checkOutputPath, realPathOf } from './sinks/outputGuard.js';
import { makeReloader } from './sinks/reload.js';
import { gatewayChecker } from './hostCheck/gateway.js';
import { hostConfigFiles } from './hostCheck/hostConfig.js';
import { describeChecker, makeLoggedHostCheck } from './hostCheck/logged.js';
import type { RunningFacts } from './plugin/statusReport.js';
import { resolveSecretInputs, unresolvedSecretInputs } from './plugin/secretInput.js';
import { INSTANCE_ID, resolveGatewayId } from './fleet/gatewayId.js';

/** Plugin id = service id = log prefix. */
export const PLUGIN_ID = 'agent_config_sync';

/**
 * The one pipeline of this process, shared by every started registration (register() may run many
 * times, and the host may stop registrations in any order): it runs while at least one holds it.
 * `key` is a hash of every resolved setting, the connection's password and TLS included, so a rotated
 * password restarts the pipeline; no secret is kept in this process-global slot.
 */
interface Running {
  key: string;
  holders: Set<object>;
  pipeline: RunningPipeline;
  /** Ends what the reload side effect may still run (a command, a pending signal). */
  disposeReload(): Promise<void>;
  /** What it runs under, for the status method (nothing secret). */
  facts: RunningFacts;
}

/** Ends a pipeline and its reload side effect. */
async function disposeRunning(running: Running): Promise<void> {
  await running.pipeline.dispose();
  await running.disposeReload();
}
const SLOT = Symbol.for('agent_config_sync.running');
const slots = globalThis as typeof globalThis & { [SLOT]?: Running };

/** The pipeline this process runs, if any (for status). */
export function runningPipeline(): RunningPipeline | undefined {
  return slots[SLOT]?.pipeline;
}
/** The settings the running pipeline uses, if any (for status). */
export function runningFacts(): RunningFacts | undefined {
  return slots[SLOT]?.facts;
}

/** Why the last start() in this process did not start a pipeline (cleared by a good start), for status. */
const FAILED = Symbol.for('agent_config_sync.startFailure');
const failures = globalThis as typeof globalThis & { [FAILED]?: { at: string; message: string } };
export function lastStartFailure(): { at: string; message: string } | undefined {
  return failures[FAILED];
}

/** Shadowed keys already warned about in this process. */
const warnedShadows = new Set<string>();

/**
 * The plugin's service. `start` resolves settings, connection and host facts, then starts the
 * pipeline without waiting for the database; if this process already runs a pipeline with the same
 * settings (the gateway re-registers plugins on hot reload), it joins it instead of starting a
 * second one, and different settings replace it. `stop` leaves it; the last one to leave ends it.
 * Both are safe in any order, before `start` and twice.
 */
export function createAgentConfigSyncService(api: PluginApi): PluginService {
  const owner = {};
  return {
    id: PLUGIN_ID,
    start() {
      const log = makeLogger(api.logger);
      const settings = pluginSettings(api, log);
      if (!settings) return;
      try {
        const start = resolveStart(api, settings);
        if (joinRunning(start, owner)) return;
        const holders = takeOverSlot(start, owner);
        announce(start, settings);
        slots[SLOT] = startRunning(start, settings, holders);
        delete failures[FAILED];
      } catch (error) {
        const what = error instanceof ConfigError ? 'not started' : 'failed to start';
        recordFailure(log, `${what}: ${describeError(error)}`);
      }
    },
    async stop() {
      const current = slots[SLOT];
      if (!current || !current.holders.delete(owner)) return;
      if (current.holders.size > 0) return;
      delete slots[SLOT];
      await disposeRunning(current);
    },
  };
}

/** Logs why start() did not start a pipeline and keeps it for the status method. */
function recordFailure(log: Required<Logger>, message: string): void {
  log.error(message);
  failures[FAILED] = { at: new Date().toISOString(), message };
}

/** The plugin's settings, SecretRefs resolved; undefined (logged and recorded) when they are invalid. */
function pluginSettings(api: PluginApi, log: Required<Logger>): SyncSettings | undefined {
  try {
    // Hosts without manifest secretInputs hand a SecretRef over unresolved: env refs are resolved here.
    const where = `plugins.entries.${PLUGIN_ID}.config`;
    const settings = resolveSettings(resolveSecretInputs(api.pluginConfig, process.env, where, secretProviders(api.config)), where);
    const unresolved = unresolvedSecretInputs(api.pluginConfig);
    if (unresolved.length > 0) log.info(`${unresolved.join(', ')}: SecretRef resolved by the plugin (this host hands it over unresolved; only env refs work here)`);
    return settings;
  } catch (error) {
    recordFailure(log, `not started: ${describeError(error)}`);
    return undefined;
  }
}

/** Everything a start resolved from the settings and the host, before anything runs. */
interface ResolvedStart {
  connection: ResolvedConnection;
  /** The logger that masks the connection's secrets. */
  log: Required<Logger>;
  configPath: string;
  /** Why openclaw.json could not be read, when it could not. */
  configError?: string;
  host: HostFacts;
  plan: OutputPlan;
  source: AgentsSource;
  gatewayId: string;
  /** A hash of every resolved setting, the secrets included: the same key joins the running pipeline. */
  key: string;
}

/** Connection, host facts and output plan for these settings; throws a ConfigError when they do not fit. */
function resolveStart(api: PluginApi, settings: SyncSettings): ResolvedStart {
  const openclaw = api.config as { channels?: { agent_chat?: unknown } } | undefined;
  const connection = resolveConnection({
    plugin: settings.connection,
    agentChat: openclaw?.channels?.agent_chat,
    postgresJson: readPostgresJson(),
    env: process.env,
  });
  const configPath = defaultConfigPath();
  const read = readOpenclawConfig(configPath);
  const host = {
    // runtime.version where the API has it, else what last wrote openclaw.json, else the package we run in.
    version:
      parseHostVersion(api.runtime?.version) ??
      parseHostVersion(lastTouchedVersion(read.config)) ??
      parseHostVersion(runningOpenclawVersion()),
    configPath,
    config: read.config,
    includeRoots: includeRootsFromEnv(),
    realPath: realPathOf,
  };
  const plan = planOutput(settings, host);
  checkOutputPath(plan.outputPath, { configPath });
  const source = parseAgentsSource(settings.agentsSource);
  const gatewayId = resolveGatewayId(settings.gatewayId);
  const key = createHash('sha256')
    .update(JSON.stringify([connection.config, settings, plan.outputPath, plan.render, plan.reload, gatewayId]))
    .digest('hex');
  const log = makeLogger(api.logger, connection.secrets, [connection.description]);
  return { connection, log, configPath, configError: read.error, host, plan, source, gatewayId, key };
}

/** Joins the pipeline this process already runs with the same settings; true when it did. */
function joinRunning(start: ResolvedStart, owner: object): boolean {
  const current = slots[SLOT];
  if (current?.key !== start.key) return false;
  current.holders.add(owner);
  start.log.debug(`already running in this process; joined the running pipeline`);
  return true;
}

/** Ends a pipeline with other settings (its holders carry over to the new one); returns the holders. */
function takeOverSlot(start: ResolvedStart, owner: object): Set<object> {
  const current = slots[SLOT];
  const holders = new Set<object>(current?.holders ?? []);
  holders.add(owner);
  if (current) {
    start.log.info('settings changed; restarting the pipeline');
    void disposeRunning(current);
    delete slots[SLOT];
  }
  return holders;
}

/** The start's info lines: where the connection came from, the plan, the gateway id. */
function announce(start: ResolvedStart, settings: SyncSettings): void {
  const { log, connection, plan, gatewayId } = start;
  log.info(`connection from ${connection.source}: ${connection.description}`);
  if (start.configError) log.warn(start.configError);
  plan.warnings.forEach((w) => log.warn(w));
  log.info(`writing ${plan.outputPath}; ${plan.summary}`);
  log.info(`gateway id "${gatewayId}"${settings.gatewayId ? '' : ' (from the host; set gatewayId to choose one)'}, instance ${INSTANCE_ID}`);
}

/** Starts the pipeline with its reload, host check and fleet status; returns what the slot keeps. */
function startRunning(start: ResolvedStart, settings: SyncSettings, holders: Set<object>): Running {
  const { log, connection, configPath, host, plan, source, gatewayId } = start;
  const reloader = makeReloader(plan.reload, { touchFile: configPath }, log);
  const checker = gatewayChecker(plan.render.version);
  const pipeline = startSync({
    connection: connection.config,
    settings,
    source,
    plan,
    configPath,
    hostVersion: host.version ? formatVersion(host.version) : undefined,
    gatewayId,
    reload: reloader,
    hostCheck: checker ? makeLoggedHostCheck(checker, () => plan.render, log, hostConfigFiles(configPath, plan.outputPath, host.includeRoots ?? [])) : undefined,
    logger: log,
    onWritten: (written) => warnShadowed(log, configPath, plan.outputPath, written.text),
  });
  const facts: RunningFacts = {
    connection: connection.description,
    connectionSource: connection.source,
    channel: settings.channel,
    source: source.text,
    gatewayId,
    outputPath: plan.outputPath,
    configPath,
    host: { version: formatVersion(host.version), format: plan.render.format, layout: plan.render.layout, reload: plan.reload.kind },
    hostCheck: checker ? 'loading the host validator' : 'our own rules only (not running inside an OpenClaw gateway)',
    startedAt: new Date().toISOString(),
  };
  void checker?.then((c) => {
    facts.hostCheck = describeChecker(c);
  });
  return { key: start.key, holders, pipeline, disposeReload: () => reloader.dispose(), facts };
}

/** Each key openclaw.json also sets (and so wins or concatenates) is warned once per process. */
function warnShadowed(log: Required<Logger>, configPath: string, outputPath: string, text: string): void {
  const site = readOpenclawConfig(configPath).config;
  const shadowed = site === undefined ? [] : shadowedIn(site, configPath, outputPath, text);
  for (const s of shadowed) {
    if (warnedShadows.has(s.path)) continue;
    warnedShadows.add(s.path);
    log.warn(describeShadow(s, configPath));
  }
}

function secretProviders(config: unknown): unknown {
  return (config as { secrets?: { providers?: unknown } } | undefined)?.secrets?.providers;
}

function shadowedIn(config: unknown, configPath: string, outputPath: string, text: string): ShadowedKey[] {
  return findShadowedKeys(findInclude(config, configPath, outputPath), JSON.parse(text) as unknown);
}

/** One warning line for a key openclaw.json also sets. */
export function describeShadow(s: ShadowedKey, configPath: string): string {
  return s.kind === 'overridden'
    ? `${s.path} is set in ${configPath} (${JSON.stringify(s.theirs)}), which wins over the database value (${JSON.stringify(s.ours)}); remove it there to let the database decide`
    : `${s.path} is an array in both ${configPath} and the database; OpenClaw concatenates them`;
}
