import type pg from 'pg';
import {
  applyStep, changesOfThisTransaction, oldestChangeId, readChange, readChangesAfter, readCurrentRow, REVERT_APPLICATION,
} from '../db/ledger.js';
import { formatHistory, historyEntry, type LedgerChange } from '../domain/ledger.js';
import { orderSteps, planRevert, planRevertTo, stepFor, type Restore, type RevertStep } from '../domain/ledgerRevert.js';
import { showValue } from '../domain/safeText.js';
import { textFlag, UsageError, type Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { explainLedgerError } from './history.js';
import { withClient } from './sync.js';

/** Exit code of a revert refused because a later change touched the same row (no --force). */
export const EXIT_REFUSED = 2;

/** What one revert did (or, with --dry-run, would do). */
export interface RevertOutcome {
  readonly dryRun: boolean;
  /** `revert ID`: the change undone. */
  readonly change?: string;
  /** `revert --to ID`: the change everything went back to. */
  readonly to?: string;
  /** Set when refused: why, and the later changes that touched the same rows. */
  readonly refused?: { reason: string; later: readonly LedgerChange[] };
  readonly steps: readonly RevertStep[];
  /** The ledger ids the revert itself was recorded as. */
  readonly recordedAs: readonly string[];
}

function idOf(value: string | undefined, what: string): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (!/^\d{1,19}$/.test(trimmed) || BigInt(trimmed) > 9_223_372_036_854_775_807n) {
    throw new UsageError(`${what} must be a change id (a whole number, as "history" shows it), got ${JSON.stringify(value)}.`);
  }
  return trimmed.replace(/^0+(?=\d)/, '');
}

/**
 * `revert ID` / `revert --to ID` [--force] [--dry-run] [--json]: undoes one change, or every change
 * after one, in one transaction, as this session's role (it needs the writer's privileges on the
 * tables, and SELECT on the ledger). The session's application_name is "agent-config-sync revert",
 * so the ledger records the revert as such. Exit 0 done (or nothing to do, or a dry run), 2 refused
 * (a later change touched the same row; --force reverts anyway), 1 failure, 64 bad usage.
 */
export async function revertCommand(flags: Flags): Promise<number> {
  const change = idOf(typeof flags.change === 'string' ? flags.change : undefined, 'the change to revert');
  const to = idOf(textFlag(flags, 'to'), '--to');
  if ((change === undefined) === (to === undefined)) {
    throw new UsageError('give either the change to undo (revert ID) or the change to go back to (revert --to ID), not both or neither.');
  }
  if (to !== undefined && flags.force === true) throw new UsageError('--force applies to "revert ID" only ("revert --to" restores every row changed since).');
  const connection = connectionFromFlags(flags);
  const config = { ...connection.config, application_name: REVERT_APPLICATION };
  const outcome = await withClient({ connection: { ...connection, config } }, async (client) => {
    try {
      return await runRevert(client, { change, to, force: flags.force === true, dryRun: flags['dry-run'] === true });
    } catch (error) {
      throw explainLedgerError(error);
    }
  });
  if (flags.json === true) {
    const { refused, ...rest } = outcome;
    const json = refused ? { ...rest, refused: { reason: refused.reason, later: refused.later.map(historyEntry) } } : rest;
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else if (outcome.refused) {
    process.stderr.write(`agent-config-sync revert: refused: ${outcome.refused.reason}\n${formatHistory(outcome.refused.later)}`);
  } else {
    process.stdout.write(formatOutcome(outcome));
  }
  return outcome.refused ? EXIT_REFUSED : 0;
}

/** The revert in one transaction: plan from the ledger, lock and read the rows, write (unless a dry run). */
export async function runRevert(
  client: pg.ClientBase,
  request: { change?: string; to?: string; force: boolean; dryRun: boolean },
): Promise<RevertOutcome> {
  const base = { dryRun: request.dryRun, ...(request.change ? { change: request.change } : { to: request.to! }) };
  await client.query('BEGIN');
  try {
    let restores: readonly Restore[];
    if (request.change !== undefined) {
      const target = await readChange(client, request.change);
      if (!target) throw new Error(`there is no change ${request.change} in the ledger (see "agent-config-sync history"; old changes are pruned after historyDays)`);
      const plan = planRevert(target, await readChangesAfter(client, target.id), request.force);
      if (!plan.ok) {
        await client.query('ROLLBACK');
        return { ...base, refused: { reason: plan.reason, later: plan.later }, steps: [], recordedAs: [] };
      }
      restores = plan.restores;
    } else {
      const oldest = await oldestChangeId(client);
      // Going back to a change needs every change since: refuse when some were pruned.
      if (oldest === undefined || BigInt(oldest) > BigInt(request.to!)) {
        throw new Error(`the ledger no longer holds every change after ${request.to} (oldest kept: ${oldest ?? 'none'}), so it cannot go back to it`);
      }
      restores = planRevertTo(await readChangesAfter(client, request.to!));
    }
    const steps: RevertStep[] = [];
    for (const restore of restores) steps.push(stepFor(restore, await readCurrentRow(client, restore)));
    const ordered = orderSteps(steps).filter((s) => s.action !== 'none');
    if (request.dryRun || ordered.length === 0) {
      await client.query('ROLLBACK');
      return { ...base, steps: ordered, recordedAs: [] };
    }
    for (const step of ordered) await applyStep(client, step);
    const recordedAs = await changesOfThisTransaction(client);
    await client.query('COMMIT');
    return { ...base, steps: ordered, recordedAs };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** The outcome in words, one line per row. */
export function formatOutcome(outcome: RevertOutcome): string {
  const what = outcome.change !== undefined ? `change ${outcome.change}` : `every change after ${outcome.to}`;
  if (outcome.steps.length === 0) return `nothing to revert: the rows ${what} touched are already as it left them\n`;
  const lines = outcome.steps.map((step) => `  ${outcome.dryRun ? 'would ' : ''}${describeStep(step)}\n`);
  const head = outcome.dryRun ? `dry run: reverting ${what} would change ${outcome.steps.length} row${outcome.steps.length === 1 ? '' : 's'} (nothing written)\n`
    : `reverted ${what}: ${outcome.steps.length} row${outcome.steps.length === 1 ? '' : 's'} changed, recorded as change${outcome.recordedAs.length === 1 ? '' : 's'} ${outcome.recordedAs.join(', ')}\n`;
  return head + lines.join('');
}

function describeStep(step: RevertStep): string {
  const row = `${step.source} ${showValue(step.key)}`;
  if (step.action === 'delete') return `delete ${row}`;
  if (step.action === 'insert') return `insert ${row}: ${step.columns.map((c) => `${c} ${showValue(step.after?.[c] ?? null)}`).join(', ')}`;
  return `update ${row}: ${step.columns.map((c) => `${c} ${showValue(step.before?.[c] ?? null)} → ${showValue(step.after?.[c] ?? null)}`).join(', ')}`;
}
