/**
 * The checks of `agent-config-sync doctor`, as pure functions: each takes facts the CLI gathered
 * (database answers, file-system answers, parsed openclaw.json) and returns one finding with one
 * line of advice. Nothing here performs I/O.
 */
import { formatVersion, rosterFormatFor, type HostVersion } from './hostProfile.js';
import { checkForHost } from './hostRules.js';
import { findShadowedKeys, includeRootVerdict, type IncludeSite, type RealPaths } from './include.js';
import type { UntrustedPath } from './pathTrust.js';
import type { Layout } from './types.js';
import { AGENT_COLUMN_PURPOSE } from './agentColumns.js';
import { rootTargetsAdvice } from './defaultAgent.js';
import { describePrivilege, grantsInOneLine, isPrivileged, type ForeignCode, type SessionRole } from './privileges.js';
import { isRecord } from './records.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One finding of doctor. */
export interface CheckResult {
  /** Stable id, for scripts reading `--json`. */
  id: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about it, one line; absent when the check is ok. */
  advice?: string;
}

const ok = (id: string, detail: string): CheckResult => ({ id, status: 'ok', detail });
const warn = (id: string, detail: string, advice: string): CheckResult => ({ id, status: 'warn', detail, advice });
const fail = (id: string, detail: string, advice: string): CheckResult => ({ id, status: 'fail', detail, advice });

/**
 * A check that could not run because of what an earlier check found (a failure or a warning): the advice
 * names that cause, not "the failures above", which may not exist.
 */
export function notChecked(id: string, because: string): CheckResult {
  return warn(id, `not checked: ${because}`, `once that is fixed (${because}), run doctor again`);
}

/** Exit code of doctor: 1 when any check fails, else 0 (warnings do not fail). */
export function doctorExitCode(checks: readonly CheckResult[]): number {
  return checks.some((c) => c.status === 'fail') ? 1 : 0;
}

/** How the database answered the first query. */
export type DatabaseFacts =
  | { reachable: true; description: string; serverVersion: string; inRecovery: boolean }
  | { reachable: false; description: string; error: string };

export function checkDatabase(facts: DatabaseFacts): CheckResult {
  if (!facts.reachable) {
    return fail('database', `cannot connect to ${facts.description}: ${facts.error}`,
      'check --database-url / DATABASE_URL / PG* (host, port, user, password) and that the server accepts connections');
  }
  if (facts.inRecovery) {
    return fail('database', `${facts.description} is a hot standby (pg_is_in_recovery() is true), PostgreSQL ${facts.serverVersion}`,
      'connect to the primary: a standby refuses LISTEN and writes, so no change would ever be announced');
  }
  return ok('database', `connected to ${facts.description}, PostgreSQL ${facts.serverVersion}`);
}

/** Result of verifySchema: labels of what is missing. */
export function checkSchema(missing: readonly string[], present: readonly string[]): CheckResult {
  if (missing.length > 0) {
    return fail('schema', `missing: ${missing.join(', ')}`, 'run "agent-config-sync migrate" (or ./agent-install.sh); it is idempotent');
  }
  return ok('schema', `tables, trigger functions and all ${present.filter((p) => p.startsWith('trigger ')).length} triggers present`);
}

/** What LISTEN did on the doctor's listening connection. */
export interface ListenFacts {
  channel: string;
  /** The error LISTEN raised, if any. */
  error?: string;
  /** `pg_listening_channels()` asked right after LISTEN includes the channel. */
  channelListed: boolean;
  /** `pg_backend_pid()` asked several times on the connection gave one answer. */
  samePid: boolean;
  inRecovery: boolean;
  /** A notification sent from another session to a probe channel arrived (undefined: not tried). */
  probeArrived?: boolean;
  /** How long the probe was waited for, in ms. */
  probeWaitMs?: number;
}

const POOLER_OR_STANDBY =
  'connect the plugin directly to PostgreSQL (or a PgBouncer pool in session mode), not through transaction pooling, and to the primary, not a hot standby';

export function checkListen(facts: ListenFacts): CheckResult {
  if (facts.error !== undefined) {
    const cause = facts.inRecovery ? 'the server is a hot standby' : 'PgBouncer transaction pooling or a hot standby may be the cause';
    return fail('listen', `LISTEN "${facts.channel}" failed: ${facts.error} (${cause})`, POOLER_OR_STANDBY);
  }
  if (!facts.samePid || !facts.channelListed) {
    const seen = !facts.samePid ? 'consecutive queries ran on different server processes' : 'pg_listening_channels() does not show the channel right after LISTEN';
    return fail('listen', `LISTEN does not stick to this connection: ${seen} — a transaction-pooling proxy (PgBouncer) is in between`, POOLER_OR_STANDBY);
  }
  if (facts.probeArrived === false) {
    return fail(
      'listen',
      `LISTEN does not hold on this connection: a notification sent from another session did not arrive within ${facts.probeWaitMs} ms — ` +
        'a pooler in transaction or statement mode (PgBouncer pool_mode = transaction) is in between',
      'use a session-mode pool or a direct connection (and the primary, not a hot standby)',
    );
  }
  return ok('listen', `LISTEN "${facts.channel}" holds on this connection`);
}

/** One no-op write through a table's trigger, and what arrived. */
export interface TriggerProbe {
  table: 'agent_system_config' | 'agents';
  /** `update`: a row updated to itself; `insert-delete`: a scratch row added and removed in one transaction. */
  method: 'update' | 'insert-delete';
  outcome: 'delivered' | 'other-channel' | 'nothing' | 'error';
  /** The channel the notification came on when it was not the configured one. */
  otherChannel?: string;
  error?: string;
}

/** Triggers fire: every probe's notification arrived on the configured channel within the wait. */
export function checkTriggersFiring(probes: readonly TriggerProbe[], channel: string, waitMs: number): CheckResult {
  const wrong = probes.filter((p) => p.outcome === 'other-channel');
  const silent = probes.filter((p) => p.outcome === 'nothing');
  const broken = probes.filter((p) => p.outcome === 'error');
  if (broken.length > 0) {
    const first = broken[0]!;
    return fail('triggers-firing', `the test write on ${first.table} failed: ${first.error ?? 'unknown error'}`,
      'doctor needs UPDATE (or INSERT and DELETE on an empty table) on both tables; on a hot standby connect to the primary');
  }
  if (wrong.length > 0) {
    const other = wrong[0]!.otherChannel ?? '?';
    return fail('triggers-firing', `the triggers notify "${other}", not "${channel}"`,
      `use --channel ${other} (plugin option channel), or run "agent-config-sync migrate --channel ${channel}" so the triggers notify "${channel}"`);
  }
  if (silent.length > 0) {
    const tables = silent.map((p) => p.table).join(' and ');
    return fail('triggers-firing', `a committed change to ${tables} sent no notification on "${channel}" within ${waitMs} ms`,
      'run "agent-config-sync migrate" to (re)create the triggers; if they exist, a transaction-pooling proxy (PgBouncer) or a hot standby may be swallowing NOTIFY');
  }
  const how = probes.map((p) => `${p.table} (${p.method === 'update' ? 'no-op UPDATE' : 'scratch row inserted and deleted'})`).join(', ');
  return ok('triggers-firing', `a committed change to ${how} arrived on "${channel}"`);
}

/** What the file system says about the output path. */
export interface OutputFacts {
  path: string;
  dirExists: boolean;
  dirWritable: boolean;
  fileExists: boolean;
  /** Only meaningful when the file exists. */
  fileWritable: boolean;
  /** Why the sync refuses to write this path (openclaw.json, not an agents file, a dangling symlink), if it does. */
  refused?: string;
  /** The output directory, symlink or symlink target directory that another user owns or can write; empty when none. */
  untrusted?: readonly UntrustedPath[];
}

export function checkOutputWritable(facts: OutputFacts): CheckResult {
  if (facts.refused !== undefined) {
    return fail('output-writable', facts.refused, 'point --output (plugin option outputPath) at the agents file that openclaw.json includes, e.g. agents.json beside it');
  }
  if (!facts.dirExists) return fail('output-writable', `the directory of ${facts.path} does not exist`, 'create it, or point --output at an existing directory');
  if (!facts.dirWritable) {
    return fail('output-writable', `cannot create files in the directory of ${facts.path}`,
      'the atomic write needs a temp file beside the output: make the directory writable for the user that runs the sync');
  }
  if (facts.fileExists && !facts.fileWritable) {
    return fail('output-writable', `${facts.path} is not writable`, 'make the file writable for the user that runs the sync');
  }
  return ok('output-writable', `${facts.path} can be written atomically`);
}

/**
 * No other local user can redirect the sync's writes: the output directory, a symlink at the output
 * path and its target's directory belong to the sync's user or root and no group or other user can
 * write them (a sticky shared directory such as /tmp included). The sync refuses to start otherwise,
 * and a running sync stops writing when it finds one, so this is a failure, with the commands.
 */
export function checkOutputOwner(facts: OutputFacts): CheckResult {
  const untrusted = facts.untrusted ?? [];
  if (untrusted.length === 0) return ok('output-owner', `only the sync's user and root can change the directory of ${facts.path}`);
  const first = untrusted[0]!;
  const more = untrusted.length > 1 ? ` (and ${untrusted.slice(1).map((u) => u.path).join(', ')})` : '';
  return fail('output-owner', `${first.why}${more}; the sync refuses to write there`, untrusted.map((u) => u.fix).join('; '));
}

/** The output file exists (an `$include` of a missing file stops the gateway from starting). */
export function checkOutputExists(facts: OutputFacts, included: boolean): CheckResult {
  if (facts.fileExists) return ok('output-exists', `${facts.path} exists`);
  const detail = `${facts.path} does not exist yet`;
  const advice = 'run "agent-config-sync sync --once" to write it before the gateway starts';
  return included ? fail('output-exists', `${detail}; openclaw.json includes it, so the gateway cannot start`, advice) : warn('output-exists', detail, advice);
}

/** The parsed openclaw.json, or why there is none. */
export type OpenclawConfigFacts =
  | { found: true; path: string; config: unknown }
  | { found: false; path?: string; error?: string };

/**
 * The output lies inside the directories `$include` may read, by its path and by its real path
 * (OpenClaw resolves symlinks and refuses an include whose real path leaves them).
 * @param real the real paths of the output and of the roots, as the CLI found them; without them only the path is checked.
 */
export function checkIncludeRoots(outputPath: string, host: OpenclawConfigFacts, extraRoots: readonly string[], real?: RealPaths): CheckResult {
  if (!host.path) return warn('include-roots', 'not checked: no openclaw.json given or found', 'pass --openclaw-config FILE (the gateway\'s openclaw.json)');
  const roots = `the directory of ${host.path}${extraRoots.length ? ' and OPENCLAW_INCLUDE_ROOTS' : ''}`;
  const verdict = includeRootVerdict(outputPath, host.path, extraRoots, real);
  if (verdict.inside) return ok('include-roots', `${outputPath} is inside the directories $include may read${real && real.file !== outputPath ? ` (real path ${real.file})` : ''}`);
  if (verdict.cause === 'symlink') {
    return fail('include-roots', `${outputPath} resolves through a symlink to ${verdict.realFile}, outside ${roots}: OpenClaw resolves symlinks and refuses this $include, so the gateway cannot load its config`,
      `replace the symlink with a regular file (the sync writes it: remove the link, then run "agent-config-sync sync --once"), or add ${pathDir(verdict.realFile)} to OPENCLAW_INCLUDE_ROOTS`);
  }
  return fail('include-roots', `${outputPath} is outside ${roots}`,
    'OpenClaw refuses such an $include: move the output beside openclaw.json or add its directory to OPENCLAW_INCLUDE_ROOTS');
}

export function checkIncluded(outputPath: string, host: OpenclawConfigFacts, site: IncludeSite): CheckResult {
  if (!host.found) {
    if (host.error) return fail('included', host.error, 'fix openclaw.json (JSON5) or pass the right --openclaw-config');
    return warn('included', 'not checked: no openclaw.json given or found', 'pass --openclaw-config FILE (the gateway\'s openclaw.json)');
  }
  if (!site.found) {
    return fail('included', `${host.path} does not $include ${outputPath}: the gateway ignores everything the sync writes`,
      `add "$include": "./${pathBase(outputPath)}" at the root of openclaw.json (or "agents": {"$include": …} with --layout section)`);
  }
  return ok('included', `${host.path} includes the file (layout ${site.layout})`);
}

/**
 * Keys the database sets that openclaw.json also sets beside `$include`: openclaw.json wins on
 * scalars (and arrays are concatenated), so the database value is not the one in force.
 * @param content the agents file as the database renders it now (or the file on disk).
 */
export function checkShadowedKeys(site: IncludeSite, content: unknown, configPath: string | undefined): CheckResult {
  if (!configPath) return warn('shadowed-keys', 'not checked: no openclaw.json given or found', 'pass --openclaw-config FILE (the gateway\'s openclaw.json)');
  if (!site.found) return warn('shadowed-keys', 'not checked: openclaw.json does not include the file', 'fix the include first');
  const shadowed = findShadowedKeys(site, content);
  if (shadowed.length === 0) return ok('shadowed-keys', 'openclaw.json sets none of the keys the database writes');
  const parts = shadowed.map((k) =>
    k.kind === 'overridden'
      ? `${k.path} = ${JSON.stringify(k.theirs)} in openclaw.json wins over the database's ${JSON.stringify(k.ours)}`
      : `${k.path} is set on both sides; the lists are concatenated`);
  return warn('shadowed-keys', parts.join('; '),
    `remove ${shadowed.map((k) => k.path).join(', ')} from ${configPath} (beside "$include") to let the database decide`);
}

/**
 * The file on disk has the roster shape the host version accepts (hostRules).
 * @param versionFrom where the version came from: `--host-version`, `meta.lastTouchedVersion`, or undefined (unknown).
 */
export function checkRosterShape(text: string | undefined, version: HostVersion | undefined, versionFrom: string | undefined, layout: Layout): CheckResult {
  if (text === undefined) return warn('roster-shape', 'not checked: the output file does not exist', 'run "agent-config-sync sync --once"');
  const format = rosterFormatFor(version);
  const reasons = checkForHost(text, format, layout);
  const host = version ? `OpenClaw ${formatVersion(version)} (${versionFrom})` : 'an unknown OpenClaw version (checked as the newest)';
  if (reasons.length > 0) {
    return fail('roster-shape', `the file does not fit ${host}, which reads agents.${format}: ${reasons.slice(0, 3).join('; ')}${reasons.length > 3 ? ` (+${reasons.length - 3} more)` : ''}`,
      `run "agent-config-sync sync --once${version ? ` --host-version ${formatVersion(version)}` : ''}" to rewrite it in the ${format} shape`);
  }
  if (!version) {
    return warn('roster-shape', `the file fits the newest shape (agents.${format}), but the OpenClaw version is unknown`,
      'pass --host-version (e.g. 2026.8.2); openclaw.json has no meta.lastTouchedVersion');
  }
  return ok('roster-shape', `the file fits ${host}: agents.${format}, layout ${layout}`);
}

/**
 * Temp files of ours a killed writer left beside the output (older than a minute). Younger ones
 * (`fresh`) may belong to a writer still running and are only mentioned.
 */
export function checkTempFiles(names: readonly string[], dir: string, fresh: readonly string[] = []): CheckResult {
  const running = fresh.length ? ` (${fresh.length} younger than a minute, of a writer that may still be running: ${fresh.join(', ')})` : '';
  if (names.length === 0) return ok('temp-files', `no leftover temp files beside the output${running}`);
  return warn('temp-files', `leftover temp files in ${dir}: ${names.join(', ')}${running}`,
    'a writer was killed mid-write; the next sync removes them (or delete them by hand)');
}

function pathBase(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}

function pathDir(file: string): string {
  const cut = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return cut > 0 ? file.slice(0, cut) : file;
}

/** Which optional columns the agents source has, and what the missing ones would enable (docs/design.md §10). */
export function checkAgentColumns(present: readonly string[]): CheckResult {
  const used = Object.keys(AGENT_COLUMN_PURPOSE).filter((c) => present.includes(c));
  const missing = Object.keys(AGENT_COLUMN_PURPOSE).filter((c) => !present.includes(c));
  const detail = `uses name, model${used.length > 0 ? `, ${used.join(', ')}` : ''}`;
  if (missing.length === 0) return ok('agent-columns', `${detail} (every optional column)`);
  return ok('agent-columns', `${detail}; not in the source: ${missing.map((c) => `${c} (${AGENT_COLUMN_PURPOSE[c]})`).join('; ')}`);
}

/**
 * On ≥ 2026.8 a multi-agent roster's default lives in `agents.defaults.systemAgent.agentId`; OpenClaw's
 * own migration also sets `talk.agentId` and `bindings`, which live outside the include, in openclaw.json.
 */
export function checkDefaultAgentTargets(config: unknown, content: unknown): CheckResult {
  const agents = agentsObjectOf(content);
  const entries = agents && isRecord(agents.entries) ? Object.keys(agents.entries) : undefined;
  if (entries === undefined) return ok('default-agent', 'not the keyed roster (≤ 2026.7 hosts read default: true)');
  const defaults = agents && isRecord(agents.defaults) ? agents.defaults : undefined;
  const system = defaults && isRecord(defaults.systemAgent) ? defaults.systemAgent : undefined;
  const defaultId = typeof system?.agentId === 'string' ? system.agentId : undefined;
  if (defaultId === undefined) {
    return entries.length > 1
      ? warn('default-agent', `${entries.length} agents and no default (agents.defaults.systemAgent.agentId)`, 'mark one row is_default = true, or set systemAgent in openclaw.json')
      : ok('default-agent', 'one agent, no default needed');
  }
  const advice = rootTargetsAdvice(config, entries.length, defaultId);
  if (advice.length === 0) return ok('default-agent', `default agent "${defaultId}"; openclaw.json sets talk.agentId and bindings`);
  return warn('default-agent', `default agent "${defaultId}"; ${advice.join('; ')}`, 'set talk.agentId and bindings in openclaw.json itself (outside the include), as OpenClaw\'s own migration of a legacy default does');
}

function agentsObjectOf(content: unknown): Record<string, unknown> | undefined {
  if (!isRecord(content)) return undefined;
  if (isRecord(content.agents)) return content.agents;
  return 'entries' in content || 'list' in content || 'defaults' in content ? content : undefined;
}


/** The sync's role, and code of other roles its session would run (its source, its status table's triggers). */
export interface PrivilegeFacts {
  session: SessionRole;
  foreign: readonly ForeignCode[];
}

/**
 * `privileges`: a superuser (or a member of a server-program role) runs every function it reads with
 * those powers, so the sync should not be one. Fails when such a session would run code another,
 * non-superuser role owns (that role could then act as superuser); warns otherwise, with the grants a
 * least-privileged role needs.
 */
export function checkPrivileges(facts: PrivilegeFacts): CheckResult {
  const { session, foreign } = facts;
  if (!isPrivileged(session)) {
    return ok('privileges', `the sync runs as "${session.role}": not a superuser, no server-program role`);
  }
  const advice = `connect the sync as a least-privileged role: ${grantsInOneLine()} (docs/privileges.md)`;
  if (foreign.length > 0) {
    const named = foreign.map((f) => `${f.what} (owned by "${f.owner}")`).join(', ');
    return fail('privileges', `the sync runs as "${session.role}", ${describePrivilege(session)}, and would run code of less privileged roles with those powers: ${named}`, advice);
  }
  return warn('privileges', `the sync runs as "${session.role}", ${describePrivilege(session)}: every function it reads runs with those powers`, advice);
}
