import path from 'node:path';
import { decideReload, formatVersion, isModernHost, rosterFormatFor, type HostVersion, type ReloadAction, type ReloadOption } from './hostProfile.js';
import { outsideFacts } from './defaultAgent.js';
import { findInclude, includeRootVerdict, includeRoots, type IncludeSite } from './include.js';
import type { RenderOptions } from './render.js';
import type { FormatOption, LayoutOption } from './types.js';
import { DEFAULT_ROW_POLICY, type RowPolicy } from './rowPolicy.js';

/** What is known about the host: its version and its openclaw.json (path and parsed content). */
export interface HostFacts {
  version?: HostVersion;
  configPath?: string;
  /** Parsed openclaw.json, when it could be read. */
  config?: unknown;
  /** Extra directories `$include` may read (OPENCLAW_INCLUDE_ROOTS). */
  includeRoots?: readonly string[];
  /**
   * Resolves symlinks (the caller's I/O, e.g. realPathOf from sinks/outputGuard.ts), so the
   * include-root check sees real paths as OpenClaw does. Without it the check is by path as written.
   */
  realPath?: (file: string) => string;
}

/** The options that shape the output, as configured. */
export interface OutputOptions {
  outputPath?: string;
  format: FormatOption;
  layout: LayoutOption;
  reload: ReloadOption;
  reloadSignal: NodeJS.Signals;
  /** The row policy's paths; the default policy when undefined. */
  rowSettings?: readonly string[];
  /** The row policy's heartbeat floor; the default (`5m`) when undefined. */
  minHeartbeatEvery?: string;
}

/** The decided output: where, which shape, which reload, and what looked wrong. */
export interface OutputPlan {
  outputPath: string;
  render: RenderOptions;
  reload: ReloadAction;
  include: IncludeSite;
  /** Human-readable warnings about the setup (not fatal). */
  warnings: string[];
  /** One line describing the decisions, for the start-up log. */
  summary: string;
}

/** File name used beside openclaw.json when no outputPath is configured. */
export const DEFAULT_FILE_NAME = 'agents.json';

/**
 * Decides format, layout, reload and path from the options and the host facts (docs/design.md §4–§5).
 * Throws only when no output path can be derived at all.
 */
export function planOutput(options: OutputOptions, host: HostFacts): OutputPlan {
  const configDir = host.configPath ? path.dirname(path.resolve(host.configPath)) : undefined;
  const outputPath = options.outputPath
    ? path.resolve(configDir ?? '.', options.outputPath)
    : configDir
      ? path.join(configDir, DEFAULT_FILE_NAME)
      : undefined;
  if (!outputPath) throw new Error('outputPath is not set and the location of openclaw.json is unknown; set outputPath.');

  const warnings: string[] = [];
  const include: IncludeSite =
    host.configPath && host.config !== undefined ? findInclude(host.config, host.configPath, outputPath) : { found: false };
  if (host.configPath && host.config !== undefined && !include.found) {
    warnings.push(`${host.configPath} does not $include ${outputPath}: the gateway ignores this file until it does`);
  }
  if (host.configPath) {
    const roots = includeRoots(host.configPath, host.includeRoots);
    const real = host.realPath ? { file: host.realPath(outputPath), roots: roots.map(host.realPath) } : undefined;
    const verdict = includeRootVerdict(outputPath, host.configPath, host.includeRoots, real);
    const where = `the directories $include may read (the directory of ${host.configPath} and OPENCLAW_INCLUDE_ROOTS)`;
    if (!verdict.inside && verdict.cause === 'path') warnings.push(`${outputPath} is outside ${where}`);
    if (!verdict.inside && verdict.cause === 'symlink') {
      warnings.push(`${outputPath} resolves through a symlink to ${verdict.realFile}, which is outside ${where}: OpenClaw resolves symlinks and refuses this $include`);
    }
  }

  const format = options.format === 'auto' ? rosterFormatFor(host.version) : options.format;
  if (options.format !== 'auto' && host.version && options.format !== rosterFormatFor(host.version)) {
    warnings.push(`format "${options.format}" is not the roster shape OpenClaw ${formatVersion(host.version)} expects (${rosterFormatFor(host.version)})`);
  }
  const layout = options.layout === 'auto' ? (include.found ? include.layout : 'root') : options.layout;
  if (options.layout !== 'auto' && include.found && include.layout !== options.layout) {
    warnings.push(`layout "${options.layout}" does not match how openclaw.json includes the file (${include.layout})`);
  }
  let reload = decideReload(options.reload, host.version, options.reloadSignal);
  if (reload.kind === 'touch' && !host.configPath) {
    warnings.push('reload "touch" needs the path of openclaw.json, which is unknown; no reload will happen');
    reload = { kind: 'none', why: 'openclaw.json path unknown' };
  }
  const summary = `${describeHost(host.version)}; format ${format}, layout ${layout}, reload ${reload.kind} (${reload.why})`;
  const policy: RowPolicy = {
    rowSettings: options.rowSettings ?? DEFAULT_ROW_POLICY.rowSettings,
    minHeartbeatEvery: options.minHeartbeatEvery ?? DEFAULT_ROW_POLICY.minHeartbeatEvery,
  };
  const isDefault = policy.rowSettings.join(',') === DEFAULT_ROW_POLICY.rowSettings.join(',');
  const extras = isDefault ? 'the default list' : policy.rowSettings.length === 0 ? 'nothing beyond the columns' : policy.rowSettings.join(', ');
  const said = `${summary}; rows may set ${extras} (rowSettings), heartbeat every >= ${policy.minHeartbeatEvery}`;
  return { outputPath, render: { format, layout, version: host.version, outside: outsideFacts(host.config), policy }, reload, include, warnings, summary: said };
}

/** The host as a log line says it: its version and what it reloads on, or what is assumed without one. */
export function describeHost(version: HostVersion | undefined): string {
  if (version === undefined) return 'OpenClaw version unknown (assumed 2026.8 or newer, which reloads when an included file changes)';
  return isModernHost(version)
    ? `OpenClaw ${formatVersion(version)} (reloads when an included file changes)`
    : `OpenClaw ${formatVersion(version)} (reloads only when openclaw.json changes)`;
}
