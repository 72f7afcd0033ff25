import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ConfigError, DEFAULTS, type SyncSettings } from '../config.js';
import type { ResolvedConnection } from '../connection.js';
import { callAsOwner, ownerAdvice, tableOwner } from '../db/asOwner.js';
import { verifySchema } from '../db/migrate.js';
import { privilegesCheck } from './doctorPrivileges.js';
import { readSnapshot } from '../db/snapshot.js';
import { resolveGatewayId } from '../fleet/gatewayId.js';
import { parseAgentsSource, type AgentsSource } from '../db/source.js';
import { diffJson, parseJsonOrUndefined } from '../domain/diff.js';
import {
  checkDatabase,
  checkIncluded,
  checkIncludeRoots,
  checkListen,
  checkOutputExists,
  checkOutputOwner,
  checkOutputWritable,
  checkRosterShape,
  checkAgentColumns,
  checkDefaultAgentTargets,
  checkSchema,
  checkShadowedKeys,
  checkTempFiles,
  checkTriggersFiring,
  doctorExitCode,
  notChecked,
  type CheckResult,
  type DatabaseFacts,
  type ListenFacts,
  type OpenclawConfigFacts,
  type OutputFacts,
  type TriggerProbe,
} from '../domain/doctorChecks.js';
import { parseHostVersion, type HostVersion } from '../domain/hostProfile.js';
import { includeRoots as includeRootsOf, type RealPaths } from '../domain/include.js';
import { planOutput, type OutputPlan } from '../domain/plan.js';
import { renderSnapshot } from '../domain/render.js';
import type { Snapshot } from '../domain/types.js';
import { includeRootsFromEnv, lastTouchedVersion } from '../host.js';
import { describeError, secretMasker } from '../logger.js';
import { boundedConfig, explainBound, ONE_SHOT_BOUNDS } from '../db/oneShot.js';
import { listStaleTemps } from '../sinks/file.js';
import { checkOutputPath, realPathOf, untrustedOutputPaths } from '../sinks/outputGuard.js';
import { channelFlag, choiceFlag, minHeartbeatFlag, msFlag, rowSettingsFlag, textFlag, UsageError, type Flags } from './args.js';
import { connectionFromFlags, pluginSettingsOf } from './context.js';
import { describeGatewayConfig, findGatewayConfig, type GatewayConfig, type ProvidedGateway } from '../plugin/gatewayConfig.js';

/** How long doctor waits for the test notification. Defaults to 2000 ms (`--timeout-ms`). */
export const DEFAULT_DOCTOR_WAIT_MS = 2000;

/** The key doctor inserts and deletes (one transaction) when agent_system_config is empty; also the scratch agent's name. */
export const DOCTOR_SCRATCH_KEY = '__agent_config_sync_doctor';

/** What doctor looks at, resolved from flags. Unlike sync, a broken openclaw.json or connection is a finding, not a usage error. */
interface DoctorSetup {
  /** The output and its shape; undefined when neither --output nor an openclaw.json tells where it is. */
  plan?: OutputPlan;
  /** Why there is no plan. */
  noOutput?: string;
  channel: string;
  waitMs: number;
  source: AgentsSource;
  gateway: GatewayConfig;
  openclaw: OpenclawConfigFacts;
  version?: HostVersion;
  versionFrom?: string;
  includeRoots: string[];
  connection: ResolvedConnection | { error: string };
  /** --gateway-id, else the host's default: scoped views render this gateway's roster. */
  gatewayId: string;
}

function setupFromFlags(flags: Flags, env: NodeJS.ProcessEnv = process.env, provided?: ProvidedGateway): DoctorSetup {
  const waitMs = msFlag(flags, 'timeout-ms') ?? DEFAULT_DOCTOR_WAIT_MS;
  if (waitMs < 1 || waitMs > 600_000) throw new UsageError(`--timeout-ms must be from 1 to 600000 milliseconds, got ${waitMs}.`);
  const configFlag = textFlag(flags, 'openclaw-config');
  const gateway = findGatewayConfig(configFlag, env, provided);
  let fromPlugin: SyncSettings | undefined;
  let pluginError: string | undefined;
  try {
    fromPlugin = pluginSettingsOf(gateway, env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    pluginError = error.message;
  }
  const channel = channelFlag(flags) ?? fromPlugin?.channel ?? DEFAULTS.channel;
  const sourceText = textFlag(flags, 'agents-source') ?? fromPlugin?.agentsSource ?? DEFAULTS.agentsSource;
  let source: AgentsSource;
  try {
    source = parseAgentsSource(sourceText);
  } catch (error) {
    throw new UsageError(`--agents-source: ${(error as Error).message.replace(/^agentsSource: /, '')}`);
  }
  const format = choiceFlag(flags, 'format', ['auto', 'entries', 'list'] as const) ?? fromPlugin?.format ?? 'auto';
  const layout = choiceFlag(flags, 'layout', ['auto', 'root', 'section'] as const) ?? fromPlugin?.layout ?? 'auto';
  const versionText = textFlag(flags, 'host-version');
  const given = parseHostVersion(versionText);
  if (versionText && !given) throw new UsageError(`--host-version must look like 2026.8.2, got ${JSON.stringify(versionText)}.`);

  // An openclaw.json that exists but cannot be read still locates the output beside it.
  const configPath = gateway.path !== undefined && (gateway.found || configFlag !== undefined || fs.existsSync(gateway.path)) ? gateway.path : undefined;
  // No openclaw.json at all (none named, none at the default place) is "not checked", not a failure:
  // only one that exists and cannot be read is an error of its own.
  const openclaw: OpenclawConfigFacts = gateway.found && configPath
    ? { found: true, path: configPath, config: gateway.config }
    : { found: false, path: configPath, error: configPath === undefined ? undefined : gateway.error };
  const detected = parseHostVersion(lastTouchedVersion(gateway.config));
  const version = given ?? detected;
  const versionFrom = given ? '--host-version' : detected ? 'meta.lastTouchedVersion of openclaw.json' : undefined;

  const outputPath = textFlag(flags, 'output') ?? fromPlugin?.outputPath;
  const includeRoots = includeRootsFromEnv(env);
  const plan =
    outputPath || configPath
      ? planOutput(
          { outputPath, format, layout, reload: 'none', reloadSignal: DEFAULTS.reloadSignal, rowSettings: rowSettingsFlag(flags) ?? fromPlugin?.rowSettings, minHeartbeatEvery: minHeartbeatFlag(flags) ?? fromPlugin?.minHeartbeatEvery },
          { version, configPath, config: gateway.config, includeRoots, realPath: realPathOf },
        )
      : undefined;
  const noOutput = plan ? undefined : `no --output and no openclaw.json (${gateway.error ?? 'not found'})`;

  let connection: DoctorSetup['connection'];
  if (pluginError !== undefined && !textFlag(flags, 'database-url') && !textFlag(flags, 'database-url-file')) {
    connection = { error: pluginError };
  } else {
    try {
      connection = connectionFromFlags(flags, env, gateway.found ? { config: gateway, settings: fromPlugin } : undefined);
    } catch (error) {
      if (!(error instanceof ConfigError) || error instanceof UsageError) throw error;
      connection = { error: error.message };
    }
  }
  const gatewayId = resolveGatewayId(textFlag(flags, 'gateway-id'), env);
  return { plan, noOutput, channel, waitMs, source, gateway, openclaw, version, versionFrom, includeRoots, connection, gatewayId };
}

/** The checks about the output file, in their order: without a known output, none of them can run. */
const OUTPUT_CHECKS = ['output-writable', 'output-owner', 'output-exists', 'include-roots', 'included', 'shadowed-keys', 'roster-shape', 'default-agent', 'in-sync', 'temp-files'];

/**
 * `doctor`: checks the whole chain, from the database to the gateway's `$include`, and prints one
 * finding per check. It commits one no-op write per table (a row updated to itself, or a scratch
 * row inserted and deleted) to see a real trigger notification arrive. Exit 1 if any check fails.
 */
export async function doctorCommand(flags: Flags, provided?: ProvidedGateway): Promise<number> {
  const setup = setupFromFlags(flags, process.env, provided);
  const checks: CheckResult[] = [];
  const secrets = 'secrets' in setup.connection ? setup.connection.secrets : [];

  const db = await databaseChecks(setup);
  checks.push(...db.checks);
  if (setup.plan) checks.push(...outputChecks(setup, setup.plan, db));
  else checks.push(...OUTPUT_CHECKS.map((id) => notChecked(id, setup.noOutput ?? 'no output file known')));

  const where = 'description' in setup.connection ? setup.connection.description : '(no connection)';
  const target = setup.plan?.outputPath ?? '(no output file)';
  const gatewayLine = describeGatewayConfig(setup.gateway);
  const hide = secretMasker(secrets, [where]);
  if (flags.json === true) {
    const g = setup.gateway;
    const openclawConfig = { path: g.path ?? null, from: g.from ?? null, found: g.found, ...(g.found ? {} : { error: g.error }) };
    const report = { output: setup.plan?.outputPath ?? null, openclawConfig, connection: where, channel: setup.channel, ok: doctorExitCode(checks) === 0, checks };
    process.stdout.write(hide(`${JSON.stringify(report, null, 2)}\n`));
  } else {
    process.stdout.write(hide(formatDoctor(checks, `${where} → ${target}\n  ${gatewayLine}`)));
  }
  return doctorExitCode(checks);
}

/** The checks of the output file, its $include and its content. */
function outputChecks(setup: DoctorSetup, plan: OutputPlan, db: DatabaseOutcome): CheckResult[] {
  const checks: CheckResult[] = [];

  const output = outputFacts(plan.outputPath, setup.openclaw.path);
  const fileText = readText(plan.outputPath);
  const include = plan.include;
  checks.push(checkOutputWritable(output));
  checks.push(checkOutputOwner(output));
  checks.push(checkOutputExists(output, include.found));
  const real: RealPaths | undefined = setup.openclaw.path
    ? { file: realPathOf(plan.outputPath), roots: includeRootsOf(setup.openclaw.path, setup.includeRoots).map(realPathOf) }
    : undefined;
  checks.push(checkIncludeRoots(plan.outputPath, setup.openclaw, setup.includeRoots, real));
  checks.push(checkIncluded(plan.outputPath, setup.openclaw, include));
  // What the database sets: its rendering now, else the file it last wrote.
  const content = parseJsonOrUndefined(db.rendered ?? fileText);
  checks.push(checkShadowedKeys(include, content, setup.openclaw.found ? setup.openclaw.path : undefined));
  checks.push(checkRosterShape(fileText, setup.version, setup.versionFrom, include.found ? include.layout : plan.render.layout));
  checks.push(checkDefaultAgentTargets(setup.openclaw.found ? setup.openclaw.config : undefined, content));
  checks.push(inSyncCheck(fileText, db.rendered, db.renderError));
  const temps = listStaleTemps(plan.outputPath);
  checks.push(checkTempFiles(temps.names, temps.dir, temps.fresh));

  return checks;
}

/** The human text of doctor's findings. */
export function formatDoctor(checks: readonly CheckResult[], heading: string): string {
  const width = Math.max(...checks.map((c) => c.id.length));
  const lines = [`agent-config-sync doctor: ${heading}`];
  for (const c of checks) {
    lines.push(`  ${c.status.padEnd(4)}  ${c.id.padEnd(width)}  ${c.detail}`);
    if (c.advice) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  → ${c.advice}`);
  }
  const count = (s: string) => checks.filter((c) => c.status === s).length;
  lines.push(`${count('fail')} fail, ${count('warn')} warn, ${count('ok')} ok`);
  return `${lines.join('\n')}\n`;
}

function inSyncCheck(fileText: string | undefined, rendered: string | undefined, renderError: string | undefined): CheckResult {
  if (rendered === undefined) return notChecked('in-sync', renderError ?? 'the database could not be read');
  if (fileText === undefined) return { id: 'in-sync', status: 'warn', detail: 'no file yet to compare with the database', advice: 'run "agent-config-sync sync --once"' };
  if (fileText === rendered) return { id: 'in-sync', status: 'ok', detail: 'the file is byte-equal to what the database renders now' };
  const changes = diffJson(parseJsonOrUndefined(fileText), parseJsonOrUndefined(rendered));
  return {
    id: 'in-sync',
    status: 'warn',
    detail: `the file differs from the database's view (${changes.length ? `${changes.length} change(s), first ${changes[0]!.path}` : 'formatting only'})`,
    advice: 'is the plugin (or "agent-config-sync watch") running? "agent-config-sync status" shows the difference',
  };
}

interface DatabaseOutcome {
  checks: CheckResult[];
  /** Optional agent columns the source has (when it could be read). */
  columns?: readonly string[];
  rendered?: string;
  renderError?: string;
}

async function databaseChecks(setup: DoctorSetup): Promise<DatabaseOutcome> {
  const later = ['schema', 'listen', 'triggers-firing', 'agent-columns', 'privileges'];
  if ('error' in setup.connection) {
    const first: CheckResult = { id: 'database', status: 'fail', detail: setup.connection.error, advice: 'set --database-url or DATABASE_URL / PG*' };
    return { checks: [first, ...later.map((id) => notChecked(id, 'no database connection'))], renderError: 'no database connection' };
  }
  const connection = setup.connection;
  // Bounded like every one-shot command: a server that accepts and never answers ends in a failed check.
  const writer = new pg.Client(boundedConfig(connection.config));
  const listener = new pg.Client(boundedConfig(connection.config));
  writer.on('error', () => undefined);
  listener.on('error', () => undefined);
  try {
    let facts: DatabaseFacts;
    try {
      await writer.connect();
      await writer.query(`SET statement_timeout = ${ONE_SHOT_BOUNDS.statementMs}; SET lock_timeout = ${ONE_SHOT_BOUNDS.statementMs}`);
      const r = await writer.query<{ version: string; recovery: boolean }>(
        "SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS recovery",
      );
      facts = { reachable: true, description: connection.description, serverVersion: r.rows[0]!.version, inRecovery: r.rows[0]!.recovery };
    } catch (error) {
      facts = { reachable: false, description: connection.description, error: explainBound(error) };
    }
    const checks = [checkDatabase(facts)];
    if (!facts.reachable) {
      return { checks: [...checks, ...later.map((id) => notChecked(id, 'the database is unreachable'))], renderError: 'the database is unreachable' };
    }

    const schema = await verifySchema(writer);
    checks.push(checkSchema(schema.missing, schema.present));
    const tablesPresent = !schema.missing.some((m) => m.startsWith('table '));

    const listen = await listenFacts(listener, setup.channel, facts.inRecovery, writer, setup.waitMs);
    checks.push(checkListen(listen));

    if (!tablesPresent) checks.push(notChecked('triggers-firing', 'the tables are missing'));
    else if (listen.error !== undefined) checks.push(notChecked('triggers-firing', 'LISTEN failed'));
    else if (facts.inRecovery) checks.push(notChecked('triggers-firing', 'a hot standby accepts no writes'));
    else {
      const probes: TriggerProbe[] = [];
      for (const table of ['agent_system_config', 'agents'] as const) probes.push(await probeTrigger(writer, listener, table, setup.channel, setup.waitMs));
      checks.push(checkTriggersFiring(probes, setup.channel, setup.waitMs));
    }

    // Gathered without running anything it inspects; the snapshot below refuses by itself when it fails.
    const privileges = await privilegesCheck(writer, setup.source);

    let rendered: string | undefined;
    let renderError: string | undefined;
    let snapshot: Snapshot | undefined;
    try {
      snapshot = await readSnapshot(writer, setup.source, { gatewayId: setup.gatewayId });
      checks.push(checkAgentColumns(snapshot.columns));
    } catch (error) {
      renderError = `the database could not be read: ${describeError(error)}`;
      checks.push(notChecked('agent-columns', renderError));
    }
    checks.push(privileges);
    if (!setup.plan || !snapshot) return { checks, renderError };
    rendered = renderSnapshot(snapshot, setup.plan.render).text;
    return { checks, rendered, renderError };
  } finally {
    await Promise.all([writer.end().catch(() => undefined), listener.end().catch(() => undefined)]);
  }
}

/** LISTENs on the second connection (and on the default channel too, to spot a channel mismatch). */
async function listenFacts(listener: pg.Client, channel: string, inRecovery: boolean, writer: pg.Client, waitMs: number): Promise<ListenFacts> {
  try {
    await listener.connect();
    await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (channel !== DEFAULTS.channel) await listener.query(`LISTEN ${pg.escapeIdentifier(DEFAULTS.channel)}`);
  } catch (error) {
    return { channel, error: describeError(error), channelListed: false, samePid: false, inRecovery };
  }
  const pids = new Set<number>();
  for (let i = 0; i < 3; i += 1) pids.add((await listener.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  const listed = await listener.query<{ c: string }>('SELECT pg_listening_channels() AS c');
  const probeArrived = await probeListen(listener, writer, waitMs);
  return { channel, channelListed: listed.rows.some((r) => r.c === channel), samePid: pids.size === 1, inRecovery, probeArrived, probeWaitMs: waitMs };
}

/**
 * Whether a notification sent by another session reaches the listener: through a pooler in
 * transaction mode the LISTEN was made on a server connection the listener no longer holds (and the
 * checks above still pass), so it never does. A probe channel of its own wakes no running sync.
 */
async function probeListen(listener: pg.Client, writer: pg.Client, waitMs: number): Promise<boolean | undefined> {
  const probe = `agent_config_sync_doctor_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  let onNotification: ((n: pg.Notification) => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await listener.query(`LISTEN ${pg.escapeIdentifier(probe)}`);
    const arrived = new Promise<boolean>((resolve) => {
      onNotification = (n) => n.channel === probe && resolve(true);
      listener.on('notification', onNotification);
      timer = setTimeout(() => resolve(false), waitMs);
    });
    await writer.query('SELECT pg_catalog.pg_notify($1::pg_catalog.text, $2::pg_catalog.text)', [probe, 'doctor']);
    return await arrived;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    if (onNotification) listener.off('notification', onNotification);
    await listener.query(`UNLISTEN ${pg.escapeIdentifier(probe)}`).catch(() => undefined);
  }
}

/**
 * Commits a write that changes nothing through `table`'s row trigger, and waits for the
 * notification the writer's backend sends (matched by its process id, whatever the payload).
 * NOTIFY is delivered only on COMMIT, so a rolled-back test would prove nothing.
 */
async function probeTrigger(writer: pg.Client, listener: pg.Client, table: TriggerProbe['table'], channel: string, waitMs: number): Promise<TriggerProbe> {
  const pid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const column = table === 'agents' ? 'name' : 'key';
  const quoted = pg.escapeIdentifier(table);
  let method: TriggerProbe['method'] = 'update';
  const arrived = waitForNotification(listener, pid, table, waitMs);
  try {
    await writer.query('BEGIN');
    await writer.query("SET LOCAL lock_timeout = '2s'");
    await writer.query("SET LOCAL statement_timeout = '10s'");
    const owner = await tableOwner(writer, table);
    if (owner?.mustSwitch) {
      // The table's triggers are its owner's code: they run as the owner, never as this session.
      if (!owner.canSwitch) throw new Error(ownerAdvice(table, owner));
      method = (await callAsOwner(writer, owner.owner, probeBody(owner.qualified, table), 'n pg_catalog.int8;')) as TriggerProbe['method'];
    } else if ((await writer.query(`UPDATE ${quoted} SET ${column} = ${column} WHERE ${column} = (SELECT ${column} FROM ${quoted} ORDER BY ${column} LIMIT 1)`)).rowCount === 0) {
      method = 'insert-delete';
      if (table === 'agents') await writer.query('INSERT INTO agents (name) VALUES ($1)', [DOCTOR_SCRATCH_KEY]);
      else await writer.query("INSERT INTO agent_system_config (key, value, value_type) VALUES ($1, 'doctor', 'text')", [DOCTOR_SCRATCH_KEY]);
      await writer.query(`DELETE FROM ${quoted} WHERE ${column} = $1`, [DOCTOR_SCRATCH_KEY]);
    }
    await writer.query('COMMIT');
  } catch (error) {
    await writer.query('ROLLBACK').catch(() => undefined);
    arrived.cancel();
    return { table, method, outcome: 'error', error: describeError(error) };
  }
  const got = await arrived.promise;
  if (!got) return { table, method, outcome: 'nothing' };
  return got === channel ? { table, method, outcome: 'delivered' } : { table, method, outcome: 'other-channel', otherChannel: got };
}

/** The probe's write as PL/pgSQL, for {@link callAsOwner}: the same no-op UPDATE, else a scratch row inserted and deleted. */
function probeBody(qualified: string, table: TriggerProbe['table']): string {
  const column = table === 'agents' ? 'name' : 'key';
  const scratch = pg.escapeLiteral(DOCTOR_SCRATCH_KEY);
  const insert =
    table === 'agents'
      ? `INSERT INTO ${qualified} (name) VALUES (${scratch});`
      : `INSERT INTO ${qualified} (key, value, value_type) VALUES (${scratch}, 'doctor', 'text');`;
  return (
    `UPDATE ${qualified} SET ${column} = ${column} WHERE ${column} = (SELECT ${column} FROM ${qualified} ORDER BY ${column} LIMIT 1); ` +
    `GET DIAGNOSTICS n = ROW_COUNT; ` +
    `IF n > 0 THEN result := 'update'; ELSE ${insert} DELETE FROM ${qualified} WHERE ${column} = ${scratch}; result := 'insert-delete'; END IF;`
  );
}

/**
 * Resolves with the channel of the first notification sent by backend `pid` for `table`, or
 * undefined after `waitMs`. A payload naming another `source` is a late one of the previous probe
 * (the scratch row's DELETE); payloads without a source (an operator's own trigger) count.
 */
function waitForNotification(listener: pg.Client, pid: number, table: string, waitMs: number): { promise: Promise<string | undefined>; cancel: () => void } {
  let done: (channel: string | undefined) => void = () => undefined;
  const promise = new Promise<string | undefined>((resolve) => {
    done = resolve;
  });
  const onNotification = (message: pg.Notification) => {
    if (message.processId === pid && payloadMayComeFrom(message.payload, table)) finish(message.channel);
  };
  const timer = setTimeout(() => finish(undefined), waitMs);
  function finish(channel: string | undefined) {
    clearTimeout(timer);
    listener.off('notification', onNotification);
    done(channel);
  }
  listener.on('notification', onNotification);
  return { promise, cancel: () => finish(undefined) };
}

function payloadMayComeFrom(payload: string | undefined, table: string): boolean {
  try {
    const source = (JSON.parse(payload ?? '') as { source?: unknown } | null)?.source;
    return typeof source !== 'string' || source === table;
  } catch {
    return true;
  }
}

function outputFacts(file: string, configPath: string | undefined): OutputFacts {
  let target = file;
  try {
    target = fs.realpathSync(file);
  } catch {
    // not there yet: check the path as given
  }
  const dir = path.dirname(target);
  const dirExists = isDirectory(dir);
  const fileExists = fs.existsSync(target);
  let refused: string | undefined;
  try {
    // Ownership is a check of its own (output-owner), with its own advice.
    checkOutputPath(file, { configPath, label: 'the output', ownership: false });
  } catch (error) {
    refused = (error as Error).message;
  }
  const untrusted = untrustedOutputPaths(file);
  return { path: file, dirExists, dirWritable: dirExists && canWrite(dir), fileExists, fileWritable: fileExists && canWrite(target), refused, untrusted };
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

function canWrite(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
