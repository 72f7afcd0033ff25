import { LEDGER_TABLE, readHistory } from '../db/ledger.js';
import { formatHistory, historyEntry, sinceInstant } from '../domain/ledger.js';
import { textFlag, UsageError, wholeFlag, type Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { withClient } from './sync.js';

/** Changes shown when --limit is not given. */
export const DEFAULT_HISTORY_LIMIT = 50;
/** The most --limit allows (a bound on one answer, not on the ledger). */
export const MAX_HISTORY_LIMIT = 10_000;

/**
 * `history [--agent NAME] [--since 1h|ISO] [--limit N] [--json]`: the change ledger, newest first —
 * who (actor, role, application) changed which row how (old → new of the mapped columns; other
 * changed columns by name only). Reads only. Exit 0, or 1 when the ledger cannot be read.
 */
export async function historyCommand(flags: Flags): Promise<number> {
  const limit = wholeFlag(flags, 'limit', 1, MAX_HISTORY_LIMIT) ?? DEFAULT_HISTORY_LIMIT;
  const agent = textFlag(flags, 'agent');
  const sinceText = textFlag(flags, 'since');
  const since = sinceText === undefined ? undefined : sinceInstant(sinceText, new Date());
  if (sinceText !== undefined && since === undefined) {
    throw new UsageError(`--since must be a duration back from now (30m, 1h, 2d) or an ISO date or time (2026-12-07, 2026-12-07T17:00:00Z), got ${JSON.stringify(sinceText)}.`);
  }
  const connection = connectionFromFlags(flags);
  const changes = await withClient({ connection }, async (client) => {
    try {
      return await readHistory(client, { agent, since, limit });
    } catch (error) {
      throw explainLedgerError(error);
    }
  });
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ changes: changes.map(historyEntry) }, null, 2)}\n`);
  else process.stdout.write(formatHistory(changes));
  return 0;
}

/** A missing ledger or a denied read, said with the step that fixes it. */
export function explainLedgerError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code === '42P01') return new Error(`there is no ${LEDGER_TABLE} table: run "agent-config-sync migrate" (changes are recorded from then on)`);
  if (code === '42501') return new Error(`this role may not read ${LEDGER_TABLE}: GRANT SELECT ON ${LEDGER_TABLE} TO <this role> (${(error as Error).message})`);
  return error;
}
