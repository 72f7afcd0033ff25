/**
 * Doctor's notification probes: LISTEN on a connection of its own (and whether a notification from
 * another session reaches it), and a write through each table's trigger that changes nothing, to see
 * the trigger's notification arrive.
 */
import pg from 'pg';
import { DEFAULTS } from '../config.js';
import { callAsOwner, ownerAdvice, tableOwner } from '../db/asOwner.js';
import type { ListenFacts, TriggerProbe } from '../domain/doctorChecks.js';
import { describeError } from '../logger.js';

/** The key doctor inserts and deletes (one transaction) when agent_system_config is empty; also the scratch agent's name. */
export const DOCTOR_SCRATCH_KEY = '__agent_config_sync_doctor';

/** LISTENs on the second connection (and on the default channel too, to spot a channel mismatch). */
export async function listenFacts(listener: pg.Client, channel: string, inRecovery: boolean, writer: pg.Client, waitMs: number): Promise<ListenFacts> {
  try {
    await listener.connect();
    await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    if (channel !== DEFAULTS.channel) await listener.query(`LISTEN ${pg.escapeIdentifier(DEFAULTS.channel)}`);
  } catch (error) {
    return { channel, error: describeError(error), channelListed: false, samePid: false, inRecovery };
  }
  const pids = new Set<number>();
  for (let i = 0; i < 3; i += 1) pids.add((await listener.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
  const listed = await listener.query<{ c: string }>('SELECT pg_listening_channels() AS c');
  const probeArrived = await probeListen(listener, writer, waitMs);
  return { channel, channelListed: listed.rows.some((r) => r.c === channel), samePid: pids.size === 1, inRecovery, probeArrived, probeWaitMs: waitMs };
}

/**
 * Whether a notification sent by another session reaches the listener: through a pooler in
 * transaction mode the LISTEN was made on a server connection the listener no longer holds (and the
 * checks above still pass), so it never does. A probe channel of its own wakes no running sync.
 */
async function probeListen(listener: pg.Client, writer: pg.Client, waitMs: number): Promise<boolean | undefined> {
  const probe = `agent_config_sync_doctor_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  let onNotification: ((n: pg.Notification) => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await listener.query(`LISTEN ${pg.escapeIdentifier(probe)}`);
    const arrived = new Promise<boolean>((resolve) => {
      onNotification = (n) => n.channel === probe && resolve(true);
      listener.on('notification', onNotification);
      timer = setTimeout(() => resolve(false), waitMs);
    });
    await writer.query('SELECT pg_catalog.pg_notify($1::pg_catalog.text, $2::pg_catalog.text)', [probe, 'doctor']);
    return await arrived;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    if (onNotification) listener.off('notification', onNotification);
    await listener.query(`UNLISTEN ${pg.escapeIdentifier(probe)}`).catch(() => undefined);
  }
}

/**
 * Commits a write that changes nothing through `table`'s row trigger, and waits for the
 * notification the writer's backend sends (matched by its process id, whatever the payload).
 * NOTIFY is delivered only on COMMIT, so a rolled-back test would prove nothing.
 */
export async function probeTrigger(writer: pg.Client, listener: pg.Client, table: TriggerProbe['table'], channel: string, waitMs: number): Promise<TriggerProbe> {
  const pid = (await writer.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const column = table === 'agents' ? 'name' : 'key';
  const quoted = pg.escapeIdentifier(table);
  let method: TriggerProbe['method'] = 'update';
  const arrived = waitForNotification(listener, pid, table, waitMs);
  try {
    await writer.query('BEGIN');
    await writer.query("SET LOCAL lock_timeout = '2s'");
    await writer.query("SET LOCAL statement_timeout = '10s'");
    const owner = await tableOwner(writer, table);
    if (owner?.mustSwitch) {
      // The table's triggers are its owner's code: they run as the owner, never as this session.
      if (!owner.canSwitch) throw new Error(ownerAdvice(table, owner));
      method = (await callAsOwner(writer, owner.owner, probeBody(owner.qualified, table), 'n pg_catalog.int8;')) as TriggerProbe['method'];
    } else if ((await writer.query(`UPDATE ${quoted} SET ${column} = ${column} WHERE ${column} = (SELECT ${column} FROM ${quoted} ORDER BY ${column} LIMIT 1)`)).rowCount === 0) {
      method = 'insert-delete';
      if (table === 'agents') await writer.query('INSERT INTO agents (name) VALUES ($1)', [DOCTOR_SCRATCH_KEY]);
      else await writer.query("INSERT INTO agent_system_config (key, value, value_type) VALUES ($1, 'doctor', 'text')", [DOCTOR_SCRATCH_KEY]);
      await writer.query(`DELETE FROM ${quoted} WHERE ${column} = $1`, [DOCTOR_SCRATCH_KEY]);
    }
    await writer.query('COMMIT');
  } catch (error) {
    await writer.query('ROLLBACK').catch(() => undefined);
    arrived.cancel();
    return { table, method, outcome: 'error', error: describeError(error) };
  }
  const got = await arrived.promise;
  if (!got) return { table, method, outcome: 'nothing' };
  return got === channel ? { table, method, outcome: 'delivered' } : { table, method, outcome: 'other-channel', otherChannel: got };
}

/** The probe's write as PL/pgSQL, for {@link callAsOwner}: the same no-op UPDATE, else a scratch row inserted and deleted. */
function probeBody(qualified: string, table: TriggerProbe['table']): string {
  const column = table === 'agents' ? 'name' : 'key';
  const scratch = pg.escapeLiteral(DOCTOR_SCRATCH_KEY);
  const insert =
    table === 'agents'
      ? `INSERT INTO ${qualified} (name) VALUES (${scratch});`
      : `INSERT INTO ${qualified} (key, value, value_type) VALUES (${scratch}, 'doctor', 'text');`;
  return (
    `UPDATE ${qualified} SET ${column} = ${column} WHERE ${column} = (SELECT ${column} FROM ${qualified} ORDER BY ${column} LIMIT 1); ` +
    `GET DIAGNOSTICS n = ROW_COUNT; ` +
    `IF n > 0 THEN result := 'update'; ELSE ${insert} DELETE FROM ${qualified} WHERE ${column} = ${scratch}; result := 'insert-delete'; END IF;`
  );
}

/**
 * Resolves with the channel of the first notification sent by backend `pid` for `table`, or
 * undefined after `waitMs`. A payload naming another `source` is a late one of the previous probe
 * (the scratch row's DELETE); payloads without a source (an operator's own trigger) count.
 */
function waitForNotification(listener: pg.Client, pid: number, table: string, waitMs: number): { promise: Promise<string | undefined>; cancel: () => void } {
  let done: (channel: string | undefined) => void = () => undefined;
  const promise = new Promise<string | undefined>((resolve) => {
    done = resolve;
  });
  const onNotification = (message: pg.Notification) => {
    if (message.processId === pid && payloadMayComeFrom(message.payload, table)) finish(message.channel);
  };
  const timer = setTimeout(() => finish(undefined), waitMs);
  function finish(channel: string | undefined) {
    clearTimeout(timer);
    listener.off('notification', onNotification);
    done(channel);
  }
  listener.on('notification', onNotification);
  return { promise, cancel: () => finish(undefined) };
}

function payloadMayComeFrom(payload: string | undefined, table: string): boolean {
  try {
    const source = (JSON.parse(payload ?? '') as { source?: unknown } | null)?.source;
    return typeof source !== 'string' || source === table;
  } catch {
    return true;
  }
}
