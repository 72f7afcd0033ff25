import type { HostVersion } from '../domain/hostProfile.js';
import { subprocessChecker, type HostChecker } from './checker.js';
import { openclawPackageRoot, runningHostCommand } from './commands.js';
import { loadInProcessChecker, type InProcessLoad } from './inProcess.js';

/** How long the host's validator may take to load before the child process checks instead. */
export const LOAD_TIMEOUT_MS = 15_000;

/**
 * The checker inside an OpenClaw gateway (docs/design.md §10), chosen at runtime by what the running host
 * has: its own validator loaded into this process when one of the known surfaces is there (see
 * inProcess.ts), else the running host's CLI as a child process; undefined when this process is not
 * an OpenClaw gateway (our own rules are then the only check). Resolves in milliseconds: the host's
 * modules are already loaded.
 */
export function gatewayChecker(
  version: HostVersion | undefined,
  entry: string | undefined = process.argv[1],
  load: (root: string, label: string) => Promise<InProcessLoad> = loadInProcessChecker,
  loadTimeoutMs = LOAD_TIMEOUT_MS,
): Promise<HostChecker> | undefined {
  const root = openclawPackageRoot(entry);
  const command = root === undefined ? undefined : runningHostCommand(version, entry, () => true);
  if (root === undefined || command === undefined) return undefined;
  // Every write waits for the checker: a load that never settles must not hold the sync.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<InProcessLoad>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `it did not load within ${loadTimeoutMs / 1000} s` }), loadTimeoutMs);
    timer.unref?.();
  });
  const loaded = load(root, command.label).finally(() => clearTimeout(timer));
  return Promise.race([loaded, late]).then(
    (found) => (found.ok ? found.checker : withReason(subprocessChecker(command), found.error)),
    (error: unknown) => withReason(subprocessChecker(command), (error as Error)?.message ?? String(error)),
  );
}

function withReason(checker: HostChecker, why: string): HostChecker {
  return { ...checker, how: `${checker.how}, as its validator cannot be loaded in process (${why.slice(0, 300)})` };
}
