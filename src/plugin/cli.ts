/**
 * `openclaw agent-config-sync status|doctor|sync|diff`: the host's CLI runs the standalone CLI's own
 * commands (same output, same exit codes) against the gateway's openclaw.json, with the plugin
 * config as the host resolved it (SecretRefs, `${VAR}`). Runs in the `openclaw` CLI process, never
 * in the gateway: nothing here starts a pipeline.
 */
import { defaultConfigPath } from '../host.js';
import type { CliRegistrarContext, CommandLike, PluginApi } from '../openclaw.js';
import type { ProvidedGateway } from './gatewayConfig.js';

/** The root command, as declared in the manifest's `cliCommands` and `activation.onCommands`. */
export const CLI_COMMAND = 'agent-config-sync';
export const CLI_DESCRIPTION = 'Sync agents.json from PostgreSQL: status, doctor, sync, diff';

/** Each subcommand and the standalone CLI's arguments it stands for. */
export const CLI_SUBCOMMANDS: Record<string, { argv: string[]; summary: string }> = {
  status: { argv: ['status'], summary: 'the file on disk against what the database renders now (exit 2 when they differ)' },
  doctor: { argv: ['doctor'], summary: 'check the whole chain: database, triggers, LISTEN, output path, $include, host shape' },
  sync: { argv: ['sync', '--once'], summary: 'read the database once and write agents.json if it changed' },
  diff: { argv: ['sync', '--once', '--diff'], summary: 'what a sync would change (exit 2 when something would)' },
};

/** Runs one standalone CLI command line; resolves with its exit code (cli/main.ts's `main`). */
export type RunCommand = (argv: string[], provided: ProvidedGateway) => Promise<number>;

/**
 * Registers the command with the host when its API has `registerCli` (2026.4.29+); `run` is loaded
 * only when a subcommand runs, so `openclaw --help` stays cheap.
 */
export function registerAgentConfigSyncCli(api: PluginApi, run: () => Promise<RunCommand>): void {
  if (typeof api.registerCli !== 'function') return;
  api.registerCli(
    (ctx: CliRegistrarContext) => {
      addCommands(ctx.program, async (argv) => {
        const provided: ProvidedGateway = {
          configPath: defaultConfigPath(),
          pluginConfig: api.pluginConfig,
          agentChat: (ctx.config as { channels?: { agent_chat?: unknown } } | undefined)?.channels?.agent_chat,
        };
        return (await run())(argv, provided);
      });
    },
    { descriptors: [{ name: CLI_COMMAND, description: CLI_DESCRIPTION, hasSubcommands: true }] },
  );
}

/**
 * Adds `agent-config-sync <sub>` to a commander program. Every flag after the subcommand goes to
 * the standalone CLI unparsed (so `--help`, `--json` and the rest mean what they mean there); the
 * exit code becomes the process's.
 */
export function addCommands(program: CommandLike, run: (argv: string[]) => Promise<number>): void {
  const root = program.command(CLI_COMMAND).description(CLI_DESCRIPTION);
  for (const [name, sub] of Object.entries(CLI_SUBCOMMANDS)) {
    const command = root.command(name).description(sub.summary).argument('[flags...]', 'flags of "agent-config-sync ' + sub.argv.join(' ') + '"');
    command.allowUnknownOption(true);
    command.allowExcessArguments?.(true);
    command.helpOption(false);
    command.action(async (...args: unknown[]) => {
      const self = args[args.length - 1] as CommandLike;
      const code = await run([...sub.argv, ...(self.args ?? [])]);
      process.exitCode = code;
    });
  }
}
