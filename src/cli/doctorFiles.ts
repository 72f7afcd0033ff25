/**
 * Doctor's file probes: the output file, its directory, the `$include` that pulls it into
 * openclaw.json, and its content against what the database renders. Facts are gathered here; the
 * verdicts are the pure checks of domain/doctorChecks.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { diffJson, parseJsonOrUndefined } from '../domain/diff.js';
import {
  checkDefaultAgentTargets,
  checkIncluded,
  checkIncludeRoots,
  checkOutputExists,
  checkOutputOwner,
  checkOutputWritable,
  checkRosterShape,
  checkShadowedKeys,
  checkTempFiles,
  notChecked,
  type CheckResult,
  type OutputFacts,
} from '../domain/doctorChecks.js';
import { includeRoots as includeRootsOf, type RealPaths } from '../domain/include.js';
import type { OutputPlan } from '../domain/plan.js';
import { listStaleTemps } from '../sinks/file.js';
import { checkOutputPath, realOrResolved, realPathOf, untrustedOutputPaths } from '../sinks/outputGuard.js';
import type { DoctorSetup } from './doctorSetup.js';

/** The checks about the output file, in their order: without a known output, none of them can run. */
export const OUTPUT_CHECKS = ['output-writable', 'output-owner', 'output-exists', 'include-roots', 'included', 'shadowed-keys', 'roster-shape', 'default-agent', 'in-sync', 'temp-files'];

/** The checks of the output file, its $include and its content. */
export function outputChecks(setup: DoctorSetup, plan: OutputPlan, db: { rendered?: string; renderError?: string }): CheckResult[] {
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

/** What the output checks judge: the file (its link followed; a file not there yet as given), its directory, and the path rules. */
function outputFacts(file: string, configPath: string | undefined): OutputFacts {
  const target = realOrResolved(file);
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
