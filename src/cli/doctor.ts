/**
 * `doctor`: checks the whole chain, from the database to the gateway's `$include`, and prints one
 * finding per check. The rooms of the command: doctorSetup.ts (flags and openclaw.json → what to
 * look at), doctorDatabase.ts and doctorNotify.ts (database probes), doctorPrivileges.ts (the role's
 * privileges), doctorFiles.ts (file probes), doctorFormat.ts (the report); the verdicts themselves are
 * pure, in domain/doctorChecks.ts.
 */
import { doctorExitCode, notChecked, type CheckResult } from '../domain/doctorChecks.js';
import { secretMasker } from '../logger.js';
import type { ProvidedGateway } from '../plugin/gatewayConfig.js';
import type { Flags } from './args.js';
import { databaseChecks } from './doctorDatabase.js';
import { OUTPUT_CHECKS, outputChecks } from './doctorFiles.js';
import { connectionShown, doctorJson, doctorText } from './doctorFormat.js';
import { setupFromFlags } from './doctorSetup.js';

/**
 * Runs every check and prints the findings. It commits one no-op write per table (a row updated to
 * itself, or a scratch row inserted and deleted) to see a real trigger notification arrive. Exit 1 if
 * any check fails.
 */
export async function doctorCommand(flags: Flags, provided?: ProvidedGateway): Promise<number> {
  const setup = setupFromFlags(flags, process.env, provided);
  const checks: CheckResult[] = [];
  const secrets = 'secrets' in setup.connection ? setup.connection.secrets : [];

  const db = await databaseChecks(setup);
  checks.push(...db.checks);
  if (setup.plan) checks.push(...outputChecks(setup, setup.plan, db));
  else checks.push(...OUTPUT_CHECKS.map((id) => notChecked(id, setup.noOutput ?? 'no output file known')));

  const hide = secretMasker(secrets, [connectionShown(setup)]);
  process.stdout.write(hide(flags.json === true ? doctorJson(setup, checks) : doctorText(setup, checks)));
  return doctorExitCode(checks);
}
