import os from 'node:os';
import path from 'node:path';

/**
 * This gateway's id in a fleet (DESIGN §9): the `gatewayId` option when set, else a stable id from the
 * host, `<hostname>:<OpenClaw state dir>` — the same on every start of the same profile on the same
 * machine, different for two profiles (OPENCLAW_STATE_DIR, OPENCLAW_PROFILE) on one machine.
 *
 * @param configured The `gatewayId` option (or `--gateway-id`), already trimmed; wins when set.
 * @param env Where OPENCLAW_STATE_DIR / OPENCLAW_PROFILE / HOME are read. Defaults to process.env.
 * @param hostname Defaults to os.hostname().
 */
export function resolveGatewayId(
  configured: string | undefined,
  env: Record<string, string | undefined> = process.env,
  hostname: string = os.hostname(),
): string {
  if (configured !== undefined && configured.trim() !== '') return configured.trim();
  return `${hostname || 'localhost'}:${stateDirOf(env)}`;
}

/** The OpenClaw state dir as OpenClaw picks it: OPENCLAW_STATE_DIR, else ~/.openclaw-<profile>, else ~/.openclaw. */
function stateDirOf(env: Record<string, string | undefined>): string {
  if (env.OPENCLAW_STATE_DIR) return path.resolve(env.OPENCLAW_STATE_DIR);
  const home = env.HOME ?? os.homedir();
  const profile = env.OPENCLAW_PROFILE?.trim();
  return path.join(home, profile ? `.openclaw-${profile}` : '.openclaw');
}
