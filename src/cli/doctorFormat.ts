/**
 * How doctor says what it found: one line per check (and its advice), or the JSON report. Pure: the
 * findings and what was looked at come in, text goes out; secrets are masked by the caller.
 */
import { doctorExitCode, type CheckResult } from '../domain/doctorChecks.js';
import { describeGatewayConfig } from '../plugin/gatewayConfig.js';
import type { DoctorSetup } from './doctorSetup.js';

/** Where doctor looked: the connection as it may be shown (no password), or why there is none. */
export function connectionShown(setup: DoctorSetup): string {
  return 'description' in setup.connection ? setup.connection.description : '(no connection)';
}

/** What `doctor --json` prints. */
export function doctorJson(setup: DoctorSetup, checks: readonly CheckResult[]): string {
  const g = setup.gateway;
  const openclawConfig = { path: g.path ?? null, from: g.from ?? null, found: g.found, ...(g.found ? {} : { error: g.error }) };
  const report = { output: setup.plan?.outputPath ?? null, openclawConfig, connection: connectionShown(setup), channel: setup.channel, ok: doctorExitCode(checks) === 0, checks };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** What `doctor` prints: where it looked (connection → output, and the gateway config), then {@link formatDoctor}. */
export function doctorText(setup: DoctorSetup, checks: readonly CheckResult[]): string {
  const target = setup.plan?.outputPath ?? '(no output file)';
  return formatDoctor(checks, `${connectionShown(setup)} → ${target}\n  ${describeGatewayConfig(setup.gateway)}`);
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
