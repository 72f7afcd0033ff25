/**
 * Doctor's database probes, in the order a sync depends on them: the server answers, the schema is
 * there, LISTEN works, the triggers fire, the agents source can be read (and by a role that runs no
 * less-privileged role's code). Facts are gathered here; the verdicts are the pure checks of
 * domain/doctorChecks.ts.
 */
import pg from 'pg';
import type { ResolvedConnection } from '../connection.js';
import { verifySchema } from '../db/migrate.js';
import { boundedConfig, explainBound, openBounded } from '../db/oneShot.js';
import { readSnapshot } from '../db/snapshot.js';
import {
  checkAgentColumns,
  checkDatabase,
  checkListen,
  checkSchema,
  checkTriggersFiring,
  notChecked,
  type CheckResult,
  type DatabaseFacts,
  type TriggerProbe,
} from '../domain/doctorChecks.js';
import { renderSnapshot } from '../domain/render.js';
import type { Snapshot } from '../domain/types.js';
import { describeError } from '../logger.js';
import { listenFacts, probeTrigger } from './doctorNotify.js';
import { privilegesCheck } from './doctorPrivileges.js';
import type { DoctorSetup } from './doctorSetup.js';

/** What the database checks found, and what the file checks compare the file with. */
export interface DatabaseOutcome {
  checks: CheckResult[];
  /** Optional agent columns the source has (when it could be read). */
  columns?: readonly string[];
  rendered?: string;
  renderError?: string;
}

/** The checks after `database`, which cannot run when it fails. */
const LATER = ['schema', 'listen', 'triggers-firing', 'agent-columns', 'privileges'];

export async function databaseChecks(setup: DoctorSetup): Promise<DatabaseOutcome> {
  if ('error' in setup.connection) {
    const first: CheckResult = { id: 'database', status: 'fail', detail: setup.connection.error, advice: 'set --database-url or DATABASE_URL / PG*' };
    return { checks: [first, ...LATER.map((id) => notChecked(id, 'no database connection'))], renderError: 'no database connection' };
  }
  // Bounded like every one-shot command: a server that accepts and never answers ends in a failed check.
  // The listener holds a LISTEN session, so it gets the client-side bounds only.
  const listener = new pg.Client(boundedConfig(setup.connection.config));
  listener.on('error', () => undefined);
  let writer: pg.Client | undefined;
  try {
    const reached = await reach(setup.connection);
    writer = reached.writer;
    const checks = [checkDatabase(reached.facts)];
    if (!writer || !reached.facts.reachable) {
      return { checks: [...checks, ...LATER.map((id) => notChecked(id, 'the database is unreachable'))], renderError: 'the database is unreachable' };
    }
    return await reachableChecks(setup, writer, listener, reached.facts.inRecovery, checks);
  } finally {
    await Promise.all([writer?.end().catch(() => undefined), listener.end().catch(() => undefined)]);
  }
}

/** Connects the writer with the one-shot bounds and asks the server who it is; a failure is a fact, not an error. */
async function reach(connection: ResolvedConnection): Promise<{ writer?: pg.Client; facts: DatabaseFacts }> {
  let writer: pg.Client | undefined;
  try {
    writer = await openBounded(connection.config);
    const r = await writer.query<{ version: string; recovery: boolean }>("SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS recovery");
    return { writer, facts: { reachable: true, description: connection.description, serverVersion: r.rows[0]!.version, inRecovery: r.rows[0]!.recovery } };
  } catch (error) {
    return { writer, facts: { reachable: false, description: connection.description, error: explainBound(error) } };
  }
}

/** The checks that need a server that answers: schema, listen, triggers-firing, agent-columns, privileges. */
async function reachableChecks(setup: DoctorSetup, writer: pg.Client, listener: pg.Client, inRecovery: boolean, checks: CheckResult[]): Promise<DatabaseOutcome> {
  const schema = await verifySchema(writer);
  checks.push(checkSchema(schema.missing, schema.present));
  const tablesPresent = !schema.missing.some((m) => m.startsWith('table '));

  const listen = await listenFacts(listener, setup.channel, inRecovery, writer, setup.waitMs);
  checks.push(checkListen(listen));

  if (!tablesPresent) checks.push(notChecked('triggers-firing', 'the tables are missing'));
  else if (listen.error !== undefined) checks.push(notChecked('triggers-firing', 'LISTEN failed'));
  else if (inRecovery) checks.push(notChecked('triggers-firing', 'a hot standby accepts no writes'));
  else {
    const probes: TriggerProbe[] = [];
    for (const table of ['agent_system_config', 'agents'] as const) probes.push(await probeTrigger(writer, listener, table, setup.channel, setup.waitMs));
    checks.push(checkTriggersFiring(probes, setup.channel, setup.waitMs));
  }

  // Gathered without running anything it inspects; the snapshot below refuses by itself when it fails.
  const privileges = await privilegesCheck(writer, setup.source);

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
  return { checks, rendered: renderSnapshot(snapshot, setup.plan.render).text, renderError };
}
