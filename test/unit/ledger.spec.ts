import { describe, expect, it } from 'vitest';
import { OPTIONAL_AGENT_COLUMNS, REQUIRED_AGENT_COLUMNS } from '../../src/db/snapshot.js';
import { compareIds, describeChanges, describeEffect, formatHistory, parseLedgerRow, sinceInstant, type LedgerChange } from '../../src/domain/ledger.js';
import { orderSteps, planRevert, planRevertTo, REVERTIBLE_COLUMNS, stepFor } from '../../src/domain/ledgerRevert.js';

let next = 0;
function change(partial: Partial<LedgerChange> & Pick<LedgerChange, 'operation'>): LedgerChange {
  next += 1;
  return {
    id: String(next), at: '2026-12-07T17:00:00.000Z', actor: 'alice', role: 'alice', application: 'psql', clientAddr: null,
    source: 'agents', key: null, old: null, new: null, removed: [], changed: [], ...partial,
  };
}

describe('the change ledger, pure', () => {
  it('should name one change and its author for the write log line', () => {
    expect(describeChanges([{ id: '42', actor: 'alice', role: 'alice', application: 'psql' }])).toBe('(change 42 by alice via psql)');
  });

  it('should name a range of changes and each author and application once', () => {
    const changes = [
      { id: '43', actor: 'bob', role: 'bob', application: 'psql' },
      { id: '41', actor: 'alice', role: 'alice', application: 'psql' },
      { id: '42', actor: 'alice', role: 'alice', application: null },
    ];
    expect(describeChanges(changes)).toBe('(changes 41–43 by bob, alice via psql)');
    expect(describeChanges([])).toBe('');
  });

  it('should end the range at the snapshot\'s mark when the read was cut short, and say so', () => {
    expect(describeChanges([{ id: '41', actor: 'alice', role: 'alice', application: 'psql' }, { id: '42', actor: 'bob', role: 'bob', application: 'psql' }], '500'))
      .toBe('(changes 41–500 by alice, bob, … via psql, …)');
    expect(describeChanges([{ id: '41', actor: 'alice', role: 'alice', application: 'psql' }], '41')).toBe('(change 41 by alice via psql)');
  });

  it('should quote an author whose name could forge or split a log line', () => {
    expect(describeChanges([{ id: '7', actor: 'eve\nagent_config_sync: all good', role: 'eve\nagent_config_sync: all good', application: '\u001b[2J' }]))
      .toBe('(change 7 by "eve\\nagent_config_sync: all good" via "\\u001b[2J")');
  });

  it('should name the login role beside an actor that differs from it', () => {
    expect(describeChanges([{ id: '8', actor: 'alice', role: 'bob', application: 'psql' }, { id: '9', actor: 'bob', role: 'bob', application: 'psql' }]))
      .toBe('(changes 8–9 by alice (role bob), bob via psql)');
  });

  it('should compare ids as numbers, not as text', () => {
    expect(['10', '9', '100'].sort(compareIds)).toEqual(['9', '10', '100']);
  });

  it('should drop a ledger row that does not fit instead of throwing', () => {
    for (const raw of [{}, { id: 'x', at: new Date(), operation: 'UPDATE', source: 'agents' }, { id: '1', at: 'soon', operation: 'UPDATE', source: 'agents' },
      { id: '1', at: new Date(), operation: 'MERGE', source: 'agents' }, { id: '1', at: new Date(), operation: 'UPDATE', source: 3 }]) {
      expect(parseLedgerRow(raw)).toBeUndefined();
    }
    const parsed = parseLedgerRow({ id: '5', at: new Date('2026-12-07T17:00:00Z'), operation: 'TRUNCATE', source: 'agents', old: [{ name: 'a' }, 3], changed: ['name', 4] });
    expect(parsed).toMatchObject({ id: '5', removed: [{ name: 'a' }], old: null, changed: ['name'] });
  });

  it('should say what changed, old to new, and name unrecorded columns without a value', () => {
    const update = change({ operation: 'UPDATE', key: 'a', old: { name: 'a', model: 'm/1' }, new: { name: 'a', model: 'm/2' }, changed: ['api_key', 'model'] });
    expect(describeEffect(update)).toBe('model: "m/1" → "m/2"; also changed: api_key (value not recorded)');
    const truncate = change({ operation: 'TRUNCATE', removed: [{ name: 'a' }, { name: 'b' }] });
    expect(describeEffect(truncate)).toBe('removed 2 rows: a, b');
    expect(formatHistory([update])).toContain('alice via psql  agents a UPDATE: model');
    expect(formatHistory([])).toContain('no changes');
  });

  it('should read --since as a duration back from now or as an ISO date or time', () => {
    const now = new Date('2026-12-07T18:00:00Z');
    expect(sinceInstant('1h', now)).toBe('2026-12-07T17:00:00.000Z');
    expect(sinceInstant('1h30m', now)).toBe('2026-12-07T16:30:00.000Z');
    expect(sinceInstant('2026-12-01', now)).toBe('2026-12-01T00:00:00.000Z');
    expect(sinceInstant('2026-12-07T17:00:00Z', now)).toBe('2026-12-07T17:00:00.000Z');
    for (const bad of ['5', 'yesterday', '', '2026-13-45', '1h and more']) expect(sinceInstant(bad, now)).toBeUndefined();
  });

  it('should revert exactly the columns the sync maps', () => {
    expect([...REVERTIBLE_COLUMNS.agents!].sort()).toEqual([...REQUIRED_AGENT_COLUMNS, ...OPTIONAL_AGENT_COLUMNS].sort());
  });
});

describe('planning a revert', () => {
  it('should undo an update, an insert, a delete and a truncate', () => {
    const old = { name: 'a', model: 'm/1' };
    expect(planRevert(change({ operation: 'UPDATE', old, new: { name: 'a', model: 'm/2' } }), [], false)).toEqual({ ok: true, restores: [{ source: 'agents', key: 'a', state: old }] });
    expect(planRevert(change({ operation: 'INSERT', new: old }), [], false)).toEqual({ ok: true, restores: [{ source: 'agents', key: 'a', state: null }] });
    expect(planRevert(change({ operation: 'DELETE', old }), [], false)).toEqual({ ok: true, restores: [{ source: 'agents', key: 'a', state: old }] });
    const removed = [{ name: 'a' }, { name: 'b' }];
    expect(planRevert(change({ operation: 'TRUNCATE', removed }), [], false)).toMatchObject({ ok: true, restores: [{ key: 'a' }, { key: 'b' }] });
  });

  it('should refuse, naming them, when later changes touched the same row, unless forced', () => {
    const target = change({ operation: 'UPDATE', old: { name: 'a' }, new: { name: 'a' } });
    const other = change({ operation: 'UPDATE', old: { name: 'b' }, new: { name: 'b' } });
    const config = change({ operation: 'UPDATE', source: 'agent_system_config', old: { key: 'a' }, new: { key: 'a' } });
    const truncate = change({ operation: 'TRUNCATE', removed: [{ name: 'a' }] });
    const plan = planRevert(target, [other, config, truncate], false);
    expect(plan.ok).toBe(false);
    if (!plan.ok) {
      expect(plan.later.map((c) => c.id)).toEqual([truncate.id]);
      expect(plan.reason).toContain(`later change ${truncate.id} changed again`);
    }
    expect(planRevert(target, [truncate], true).ok).toBe(true);
    expect(planRevert(target, [other, config], false).ok).toBe(true);
  });

  it('should go back across inserts, updates, deletes, renames and a truncate to the state at the target', () => {
    const a0 = { name: 'a', model: 'm/a' };
    const b0 = { name: 'b', model: 'm/b' };
    const restores = planRevertTo([
      change({ operation: 'INSERT', new: { name: 'c', model: 'm/c' } }),
      change({ operation: 'UPDATE', old: a0, new: { name: 'a', model: 'm/a2' } }),
      change({ operation: 'UPDATE', old: { name: 'a', model: 'm/a2' }, new: { name: 'a', model: 'm/a3' } }),
      change({ operation: 'UPDATE', old: b0, new: { name: 'b2', model: 'm/b' } }),
      change({ operation: 'TRUNCATE', removed: [{ name: 'a', model: 'm/a3' }, { name: 'b2', model: 'm/b' }, { name: 'c', model: 'm/c' }, { name: 'd', model: 'm/d' }] }),
    ]);
    expect(restores).toEqual([
      { source: 'agents', key: 'c', state: null },
      { source: 'agents', key: 'a', state: a0 },
      { source: 'agents', key: 'b2', state: b0 },
      { source: 'agents', key: 'd', state: { name: 'd', model: 'm/d' } },
    ]);
  });

  it('should bring back a row whose name a renamed row took since', () => {
    const a0 = { name: 'a', model: 'm/a' };
    const b0 = { name: 'b', model: 'm/b' };
    const restores = planRevertTo([
      change({ operation: 'DELETE', old: b0 }),
      change({ operation: 'UPDATE', old: a0, new: { name: 'b', model: 'm/a' } }),
    ]);
    expect(restores).toEqual([
      { source: 'agents', key: 'b', state: a0 },
      { source: 'agents', key: 'b', state: b0, absent: true },
    ]);
  });

  it('should write only what differs, and delete before it updates before it inserts', () => {
    const restore = { source: 'agents', key: 'a', state: { name: 'a', model: 'm/1', fallback_models: ['x'] } };
    expect(stepFor(restore, { name: 'a', model: 'm/1', fallback_models: ['x'] }).action).toBe('none');
    expect(stepFor(restore, { name: 'a', model: 'm/2', fallback_models: ['x'] })).toMatchObject({ action: 'update', columns: ['model'] });
    expect(stepFor(restore, null)).toMatchObject({ action: 'insert', columns: ['name', 'model', 'fallback_models'] });
    expect(stepFor({ ...restore, state: null }, { name: 'a' }).action).toBe('delete');
    // A recorded value under a column nobody maps is never written.
    expect(stepFor({ ...restore, state: { name: 'a', api_key: 'x' } }, null).columns).toEqual(['name']);
    const steps = [stepFor(restore, null), stepFor(restore, { name: 'a', model: 'm/2' }), stepFor({ ...restore, state: null }, { name: 'a' })];
    expect(orderSteps(steps).map((s) => s.action)).toEqual(['delete', 'update', 'insert']);
  });
});
