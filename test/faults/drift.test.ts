import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { expectedText, readText, startPipeline, waitFor, type PipelineUnderTest } from '../support/pipelineHarness.js';
import { sleep, type ConvergenceOptions } from './fixtures/convergence.js';

/** docs/design.md §8: another writer's change is undone within 2 s; the assertions allow a loaded machine twice that. */
const REPAIR_DEADLINE_MS = 4_000;

/**
 * docs/design.md §8, drift repair and reconcile: changes that do not come through the notification
 * channel — another writer editing, deleting or renaming over the file, and database changes made
 * with the triggers off — still end with the file equal to what the database renders.
 */
describe('other writers and silent changes', () => {
  let db: TestDatabase;
  let client: pg.Client;
  const stops: (() => Promise<unknown> | void)[] = [];

  const start = (app: string, options: ConvergenceOptions): PipelineUnderTest => {
    const sync = startPipeline(db.url, { connection: { connectionString: db.url, application_name: app }, debounceMs: 10, maxWaitMs: 100, ...options });
    stops.push(() => sync.stop());
    return sync;
  };
  const caughtUp = async (sync: PipelineUnderTest, what: string, timeoutMs = 10_000) => {
    const want = await expectedText(db.url);
    return waitFor(what, () => readText(sync.outputPath) === want, timeoutMs);
  };
  /** The file as another writer would leave it: the same JSON with one agent's model changed. */
  const edited = (text: string, agent: string, model: string): string => {
    const json = JSON.parse(text) as { agents: { entries: Record<string, { model: unknown }> } };
    json.agents.entries[agent]!.model = model;
    return `${JSON.stringify(json, null, 2)}\n`;
  };

  beforeAll(async () => {
    db = await createTestDatabase('faults_drift');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await migrate(client);
    await client.query(`INSERT INTO agents (name, model, is_default) VALUES ('alpha', 'm/a', true), ('beta', 'm/b', false)`);
  });

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    await client.query('ALTER TABLE agents ENABLE TRIGGER USER');
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('can undo an edit, a deletion and a rename-over by another writer, each within about 2 s, and name the edit', async () => {
    const sync = start('acs_drift', { reconcileMs: 0 });
    await caughtUp(sync, 'initial sync');
    const want = readText(sync.outputPath)!;
    const repaired = (what: string) => waitFor(`${what} undone`, () => readText(sync.outputPath) === want, REPAIR_DEADLINE_MS);
    const linesNaming = (from: number, ...words: string[]) =>
      sync.log.lines.slice(from).filter((l) => (l.level === 'info' || l.level === 'warn') && words.every((w) => l.message.includes(w)));
    const took: string[] = [];
    // A person, not a program: each change comes more than a second after the repair before it. A
    // writer that undoes a repair within a second is a fight, and is answered with a growing delay
    // (test/faults/twoWriters.test.ts).
    const pause = () => sleep(1_200);

    // Written in place, the way `openclaw config set agents.…` writes through into the include;
    // twice, so the watch must survive our own atomic replace of the first repair.
    for (const round of [1, 2]) {
      await pause();
      const mark = sync.log.lines.length;
      fs.writeFileSync(sync.outputPath, edited(want, 'alpha', `m/hand-edit-${round}`));
      took.push(`edit ${round}: ${await repaired(`hand edit ${round}`)} ms`);
      await waitFor(`a log line naming hand edit ${round}`, () => linesNaming(mark, 'alpha', `m/hand-edit-${round}`).length > 0, 1_000);
    }

    // An editor that truncates the file, then writes it a moment later: two file events, one edit.
    await pause();
    fs.writeFileSync(sync.outputPath, '');
    await sleep(30);
    fs.writeFileSync(sync.outputPath, edited(want, 'alpha', 'm/slow-editor'));
    took.push(`slow editor: ${await repaired('a truncate-then-write edit')} ms`);

    await pause();
    fs.rmSync(sync.outputPath);
    took.push(`delete: ${await repaired('deletion')} ms`);

    // Another writer's own atomic replace: a new inode renamed over the file.
    await pause();
    const theirs = path.join(path.dirname(sync.outputPath), '.agents.json.other-writer');
    fs.writeFileSync(theirs, edited(want, 'beta', 'm/renamed-over'));
    fs.renameSync(theirs, sync.outputPath);
    took.push(`rename-over: ${await repaired('rename-over')} ms`);

    await pause();
    fs.writeFileSync(sync.outputPath, edited(want, 'beta', 'm/hand-edit-3'));
    took.push(`edit after rename: ${await repaired('an edit after the rename-over')} ms`);

    // Each edit is one drift (an in-place write is a truncate and a write: two file events), so a
    // person's edits are never taken for a fight with another sync.
    expect(sync.log.lines.filter((l) => l.message.includes('keeps rewriting'))).toEqual([]);
    expect(sync.log.lines.filter((l) => l.level !== 'debug' && l.message.includes('was changed by another writer')).length).toBeGreaterThanOrEqual(6);

    // No loop: our own writes are not taken for drift.
    const writes = sync.written.length;
    await sleep(1_500);
    console.log(`drift repaired: ${took.join(', ')}; ${writes} writes, none more in 1.5 s`);
    expect(sync.written.length).toBe(writes);
    expect(readText(sync.outputPath)).toBe(want);

    // The database path still works after the repairs.
    await client.query(`UPDATE agents SET model = 'm/after-drift' WHERE name = 'beta'`);
    await caughtUp(sync, 'a commit after the repairs', 5_000);
    await client.query(`UPDATE agents SET model = 'm/b' WHERE name = 'beta'`);
  }, 60_000);

  it('can pick up changes made with triggers disabled or as a replica, by reconciling every reconcileMs', async () => {
    const sync = start('acs_reconcile', { reconcileMs: 500 });
    await caughtUp(sync, 'initial sync');

    await client.query('ALTER TABLE agents DISABLE TRIGGER USER');
    await client.query(`UPDATE agents SET model = 'm/silent-1' WHERE name = 'alpha'`);
    const disabled = await caughtUp(sync, 'a change made with the triggers disabled', REPAIR_DEADLINE_MS);
    await client.query('ALTER TABLE agents ENABLE TRIGGER USER');

    // As during a restore or a logical-replication apply: no trigger fires in this session.
    const replica = new pg.Client({ connectionString: db.url });
    await replica.connect();
    try {
      await replica.query(`SET session_replication_role = replica`);
      await replica.query(`UPDATE agents SET model = 'm/silent-2' WHERE name = 'beta'`);
    } finally {
      await replica.end();
    }
    const asReplica = await caughtUp(sync, 'a change made with session_replication_role = replica', REPAIR_DEADLINE_MS);

    // A reconcile writes only when the render differs from the disk.
    const writes = sync.written.length;
    await sleep(2_000);
    console.log(`reconcile (500 ms): triggers disabled followed in ${disabled} ms, replica role in ${asReplica} ms; ${writes} writes, none more in 4 idle periods`);
    expect(sync.written.length).toBe(writes);
    await client.query(`UPDATE agents SET model = CASE name WHEN 'alpha' THEN 'm/a' ELSE 'm/b' END`);
  }, 30_000);

  it('does not see a change made with triggers disabled when reconcile is off (reconcileMs 0), the control', async () => {
    const sync = start('acs_reconcile_off', { reconcileMs: 0 });
    await caughtUp(sync, 'initial sync');
    const before = readText(sync.outputPath);

    await client.query('ALTER TABLE agents DISABLE TRIGGER USER');
    await client.query(`UPDATE agents SET model = 'm/silent-3' WHERE name = 'alpha'`);
    await sleep(3_000);
    expect(readText(sync.outputPath)).toBe(before);

    // Alive all along: the next notified commit brings both changes.
    await client.query('ALTER TABLE agents ENABLE TRIGGER USER');
    await client.query(`UPDATE agents SET model = 'm/b2' WHERE name = 'beta'`);
    await caughtUp(sync, 'the next notified commit', 5_000);
    expect(JSON.parse(readText(sync.outputPath)!).agents.entries.alpha.model).toBe('m/silent-3');
    await client.query(`UPDATE agents SET model = CASE name WHEN 'alpha' THEN 'm/a' ELSE 'm/b' END`);
  }, 30_000);
});
