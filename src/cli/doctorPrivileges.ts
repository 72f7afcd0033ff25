import type pg from 'pg';
import { sourcePrivileges, statusTableForeignCode } from '../db/privileges.js';
import type { AgentsSource } from '../db/source.js';
import { checkPrivileges, notChecked, type CheckResult } from '../domain/doctorChecks.js';
import { describeError } from '../logger.js';

/**
 * Doctor's `privileges` check: the sync's role (doctor connects as the sync does), and the code of
 * other roles that role's session would run — its agents source, and the triggers of the status
 * table it writes. Only catalog reads: nothing inspected is called.
 */
export async function privilegesCheck(client: pg.ClientBase, source: AgentsSource): Promise<CheckResult> {
  try {
    const facts = await sourcePrivileges(client, source);
    const triggers = await statusTableForeignCode(client);
    return checkPrivileges({ session: facts.session, foreign: [...facts.foreign, ...triggers] });
  } catch (error) {
    return notChecked('privileges', `the role's privileges could not be read: ${describeError(error)}`);
  }
}
