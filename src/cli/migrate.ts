import { migrate, verifySchema } from '../db/migrate.js';
import { consoleLogger, makeLogger } from '../logger.js';
import type { Flags } from './args.js';
import { connectionFromFlags } from './context.js';
import { withClient } from './sync.js';

/** `migrate [--verify-only]`: applies the SQL files, or checks that what they create exists. */
export async function migrateCommand(flags: Flags): Promise<number> {
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
      log.info(`schema complete on ${connection.description}`);
      return 0;
    }
    const result = await migrate(client);
    if (flags.json === true) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    log.info(`migrated ${connection.description}: applied ${result.applied.join(', ')}`);
    return 0;
  });
}
