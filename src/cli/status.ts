import fs from 'node:fs';
import { readSnapshot } from '../db/snapshot.js';
import { diffJson, formatChange, parseJsonOrUndefined, type Change } from '../domain/diff.js';
import { formatVersion } from '../domain/hostProfile.js';
import { renderSnapshot } from '../domain/render.js';
import { summarizeRoster } from '../domain/rosterSummary.js';
import type { ProvidedGateway } from '../plugin/gatewayConfig.js';
import type { Flags } from './args.js';
import { contextFromFlags } from './context.js';
import { EXIT_DIFFERENT, withClient } from './sync.js';

/** What `status --json` prints. */
export interface StatusReport {
  path: string;
  /** True when the file's bytes equal what a sync would write now. */
  agree: boolean;
  file: {
    exists: boolean;
    bytes?: number;
    /** mtime, ISO 8601. */
    modifiedAt?: string;
    readable: boolean;
    agentCount: number;
    agentIds: string[];
    format?: string;
    layout?: string;
  };
  database: {
    connection: string;
    agentsSource: string;
    agentCount: number;
    agentIds: string[];
    format: string;
    layout: string;
    problems: string[];
  };
  /** openclawConfig: the gateway config used, and how it was found (--openclaw-config, OPENCLAW_CONFIG_PATH, …). */
  host: { version: string; openclawConfig?: string; openclawConfigFrom?: string };
  /** What a sync would change, leaf by leaf (empty when only the formatting differs). */
  changes: Change[];
}

/** At most this many changes are listed in the human output. */
const SHOWN_CHANGES = 20;

/**
 * `status`: the file on disk against what the database renders now, with the same settings as
 * `sync --once`. Exit 0 when the bytes agree, 2 when they differ (like `sync --once --diff`),
 * 1 on errors (thrown to main).
 */
export async function statusCommand(flags: Flags, provided?: ProvidedGateway): Promise<number> {
  const ctx = contextFromFlags(flags, process.env, true, provided);
  const snapshot = await withClient(ctx, (client) => readSnapshot(client, ctx.source, { gatewayId: ctx.settings.gatewayId }));
  const rendered = renderSnapshot(snapshot, ctx.plan.render);
  const outputPath = ctx.plan.outputPath;

  let current: string | undefined;
  let stat: fs.Stats | undefined;
  try {
    current = fs.readFileSync(outputPath, 'utf8');
    stat = fs.statSync(outputPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${outputPath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const onDisk = summarizeRoster(current);
  const ours = summarizeRoster(rendered.text);
  const report: StatusReport = {
    path: outputPath,
    agree: current === rendered.text,
    file: {
      exists: current !== undefined,
      ...(stat ? { bytes: stat.size, modifiedAt: stat.mtime.toISOString() } : {}),
      readable: onDisk.readable,
      agentCount: onDisk.agentIds.length,
      agentIds: onDisk.agentIds,
      ...(onDisk.format ? { format: onDisk.format } : {}),
      ...(onDisk.layout ? { layout: onDisk.layout } : {}),
    },
    database: {
      connection: ctx.connection.description,
      agentsSource: ctx.source.text,
      agentCount: rendered.agentCount,
      agentIds: ours.agentIds,
      format: ctx.plan.render.format,
      layout: ctx.plan.render.layout,
      problems: rendered.problems.map((p) => p.message),
    },
    host: {
      version: formatVersion(ctx.host.version),
      ...(ctx.host.configPath ? { openclawConfig: ctx.host.configPath, openclawConfigFrom: ctx.gateway.from } : {}),
    },
    changes: diffJson(parseJsonOrUndefined(current), parseJsonOrUndefined(rendered.text)),
  };
  process.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, new Date()));
  return report.agree ? 0 : EXIT_DIFFERENT;
}

/** The human text of a status report. */
export function formatStatus(report: StatusReport, now: Date): string {
  const lines: string[] = [];
  const roster = (count: number, ids: string[], format?: string, layout?: string) =>
    `${count} agent${count === 1 ? '' : 's'}${ids.length ? ` (${ids.join(', ')})` : ''}` +
    `${format ? `, agents.${format}` : ''}${layout ? `, layout ${layout}` : ''}`;
  lines.push(`file:      ${report.path}`);
  if (!report.file.exists) {
    lines.push('           does not exist');
  } else {
    const when = report.file.modifiedAt ? `${report.file.modifiedAt} (${ago(new Date(report.file.modifiedAt), now)})` : 'unknown';
    lines.push(`  written  ${when}`);
    lines.push(`  holds    ${report.file.readable ? roster(report.file.agentCount, report.file.agentIds, report.file.format, report.file.layout) : 'not a readable agents file'}, ${report.file.bytes ?? 0} bytes`);
  }
  if (report.host.openclawConfig) lines.push(`gateway:   ${report.host.openclawConfig} (from ${report.host.openclawConfigFrom ?? '--openclaw-config'})`);
  lines.push(`database:  ${report.database.connection} (source ${report.database.agentsSource})`);
  lines.push(`  renders  ${roster(report.database.agentCount, report.database.agentIds, report.database.format, report.database.layout)}; host ${report.host.version}`);
  report.database.problems.forEach((p) => lines.push(`  problem  ${p}`));
  if (report.agree) {
    lines.push('agree:     yes — the file is what a sync would write now');
  } else {
    const what = report.changes.length > 0 ? `${report.changes.length} change(s)` : 'formatting differs (same content)';
    lines.push(`agree:     no — ${what}; "agent-config-sync sync --once" would rewrite it`);
    report.changes.slice(0, SHOWN_CHANGES).forEach((c) => lines.push(`  ${formatChange(c)}`));
    if (report.changes.length > SHOWN_CHANGES) lines.push(`  … and ${report.changes.length - SHOWN_CHANGES} more (see --json)`);
  }
  return `${lines.join('\n')}\n`;
}

function ago(then: Date, now: Date): string {
  const s = Math.round((now.getTime() - then.getTime()) / 1000);
  if (s < 0) return 'in the future';
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}
