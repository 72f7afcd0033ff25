import { CHANNEL_SETTING, migrate, setTriggerChannel, triggerChannelSetting, verifySchema } from '../db/migrate.js';
import { triggerChannelFor, utf8Bytes } from '../domain/channel.js';
import { REQUIRED_AGENT_COLUMNS } from '../db/snapshot.js';
import { hintFor } from '../db/errorHints.js';
import type pg from 'pg';
import { consoleLogger, makeLogger, type Logger } from '../logger.js';
import { channelFlag, type Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { withClient } from './sync.js';

/** `migrate [--verify-only]`: applies the SQL files, or checks that what they create exists. */
export async function migrateCommand(flags: Flags): Promise<number> {
  const channel = channelFlag(flags);
  const connection = connectionFromFlags(flags);
  const log = makeLogger(consoleLogger(flags.verbose === true), connection.secrets, [connection.description]);
  return withClient({ connection }, async (client) => {
    if (flags['verify-only'] === true) {
      const report = await verifySchema(client);
      const missing = report.missing;
      if (flags.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (missing.length > 0) {
        log.error(`schema incomplete on ${connection.description}: missing ${missing.join(', ')} (run "agent-config-sync migrate")`);
        return 1;
      }
      log.info(`schema complete on ${connection.description}; the triggers notify "${await notifiedChannel(client, log)}"`);
      return 0;
    }
    const result = await migrate(client);
    if (channel !== undefined) await setTriggerChannel(client, channel);
    const notifies = await notifiedChannel(client, log);
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ ...result, channel: notifies }, null, 2)}\n`);
    log.info(`migrated ${connection.description}: applied ${result.applied.join(', ')}; the triggers notify "${notifies}"`);
    warnOtherShape((await verifySchema(client)).agentColumns, log);
    return 0;
  });
}

/** The channel the triggers notify, with a warning when the database's setting is one they cannot use. */
async function notifiedChannel(client: pg.ClientBase, log: Logger): Promise<string> {
  const setting = await triggerChannelSetting(client);
  const channel = triggerChannelFor(setting);
  if (setting !== null && setting.trim() !== channel) {
    log.warn(
      `the database's ${CHANNEL_SETTING} ${JSON.stringify(setting)} (${utf8Bytes(setting)} bytes) is not a usable channel ` +
        `(1 to 63 bytes): the triggers notify "${channel}" instead; fix it with "agent-config-sync migrate --channel NAME"`,
    );
  }
  return channel;
}

/**
 * migrate keeps an existing agents table as it is (CREATE TABLE IF NOT EXISTS): one of another shape
 * gets the triggers (which record it and notify) but cannot be read by the sync as it is. Said now,
 * with the way out, rather than at the first sync.
 */
function warnOtherShape(agentColumns: readonly string[], log: Logger): void {
  const missing = REQUIRED_AGENT_COLUMNS.filter((column) => !agentColumns.includes(column));
  if (missing.length === 0) return;
  log.warn(
    `the existing table agents has no column ${missing.join(', ')}: migrate kept it as it is, and the sync reads name and model — ` +
      `${hintFor('has no column model') ?? ''}`,
  );
}
