import { migrate, setTriggerChannel, triggerChannel, verifySchema } from '../db/migrate.js';
import { consoleLogger, makeLogger } from '../logger.js';
import { textFlag, UsageError, type Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { withClient } from './sync.js';

/** `migrate [--verify-only]`: applies the SQL files, or checks that what they create exists. */
export async function migrateCommand(flags: Flags): Promise<number> {
  const channel = textFlag(flags, 'channel');
  if (channel !== undefined && (channel.length === 0 || channel.length > 63 || channel.includes('\0'))) {
    throw new UsageError(`--channel must be 1 to 63 characters, got ${channel.length}.`);
  }
  const connection = connectionFromFlags(flags);
  const log = makeLogger(consoleLogger(flags.verbose === true), connection.secrets);
  return withClient({ connection }, async (client) => {
    if (flags['verify-only'] === true) {
      const report = await verifySchema(client);
      const missing = report.missing;
      if (flags.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      if (missing.length > 0) {
        log.error(`schema incomplete on ${connection.description}: missing ${missing.join(', ')} (run "agent-config-sync migrate")`);
        return 1;
      }
      log.info(`schema complete on ${connection.description}; the triggers notify "${await triggerChannel(client)}"`);
      return 0;
    }
    const result = await migrate(client);
    if (channel !== undefined) await setTriggerChannel(client, channel);
    const notifies = await triggerChannel(client);
    if (flags.json === true) process.stdout.write(`${JSON.stringify({ ...result, channel: notifies }, null, 2)}\n`);
    log.info(`migrated ${connection.description}: applied ${result.applied.join(', ')}; the triggers notify "${notifies}"`);
    return 0;
  });
}
