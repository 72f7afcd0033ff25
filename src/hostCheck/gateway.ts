import type { HostVersion } from '../domain/hostProfile.js';
import { subprocessChecker, type HostChecker } from './checker.js';
import { openclawPackageRoot, runningHostCommand } from './commands.js';
import { loadInProcessChecker, type InProcessLoad } from './inProcess.js';

/**
 * The checker inside an OpenClaw gateway (DESIGN §10), chosen at runtime by what the running host
 * has: its own validator loaded into this process when one of the known surfaces is there (see
 * inProcess.ts), else the running host's CLI as a child process; undefined when this process is not
 * an OpenClaw gateway (our own rules are then the only check). Resolves in milliseconds: the host's
 * modules are already loaded.
 */
export function gatewayChecker(
  version: HostVersion | undefined,
  entry: string | undefined = process.argv[1],
  load: (root: string, label: string) => Promise<InProcessLoad> = loadInProcessChecker,
): Promise<HostChecker> | undefined {
  const root = openclawPackageRoot(entry);
  const command = root === undefined ? undefined : runningHostCommand(version, entry, () => true);
  if (root === undefined || command === undefined) return undefined;
  return load(root, command.label).then(
    (found) => (found.ok ? found.checker : withReason(subprocessChecker(command), found.error)),
    (error: unknown) => withReason(subprocessChecker(command), (error as Error)?.message ?? String(error)),
  );
}

function withReason(checker: HostChecker, why: string): HostChecker {
  return { ...checker, how: `${checker.how}, as its validator cannot be loaded in process (${why.slice(0, 300)})` };
}
