import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * This process's instance id in the fleet: random, new on every start. Two processes that claim one
 * gateway id (a cloned VM, a copied state dir) write different instance ids into the same status row,
 * and `fleet` calls that a conflict.
 */
export const INSTANCE_ID: string = randomUUID();

/** Reads a file's text, or undefined when it cannot be read (the id then does without it). */
export type ReadText = (file: string) => string | undefined;

const readText: ReadText = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** What tells this machine apart from others with the same hostname and state dir. */
export interface HostFacts {
  hostname: string;
  /** `c-<12 hex>`: the container's id; `m-<12 hex>`: a digest of the machine id; undefined: neither found. */
  instanceTag?: string;
}

/**
 * This gateway's id in a fleet: the `gatewayId` option when set, else a stable id from the host,
 * `<hostname>@<tag>:<OpenClaw state dir>`. The tag is the container's id inside a container (host-network
 * containers share the hostname), else a digest of the machine id (the machine id itself is meant to stay
 * private), and it is left out when neither can be read. The same on every start of the same profile on the
 * same machine or container; different for two profiles on one machine and for two containers on one host.
 *
 * @param configured The `gatewayId` option (or `--gateway-id`), already trimmed; wins when set.
 * @param env Where OPENCLAW_STATE_DIR / OPENCLAW_PROFILE / HOME are read. Defaults to process.env.
 * @param host The hostname and instance tag. Defaults to this machine's ({@link hostFacts}).
 */
export function resolveGatewayId(
  configured: string | undefined,
  env: Record<string, string | undefined> = process.env,
  host: HostFacts = hostFacts(),
): string {
  if (configured !== undefined && configured.trim() !== '') return configured.trim();
  const name = host.hostname || 'localhost';
  return `${host.instanceTag ? `${name}@${host.instanceTag}` : name}:${stateDirOf(env)}`;
}

/** This machine's hostname and instance tag, read from /proc and /etc (or the files `read` gives). */
export function hostFacts(read: ReadText = readText, hostname: string = os.hostname()): HostFacts {
  const container = containerIdOf(read('/proc/self/cgroup')) ?? containerIdOf(read('/proc/self/mountinfo'));
  if (container) return { hostname, instanceTag: `c-${container.slice(0, 12)}` };
  const machine = [read('/etc/machine-id'), read('/var/lib/dbus/machine-id')].map((t) => t?.trim()).find((t) => t !== undefined && /^[0-9a-f]{32}$/i.test(t));
  // A digest under our own name: the machine id is meant to stay private, and this tag is shown by `fleet`.
  if (machine) return { hostname, instanceTag: `m-${createHash('sha256').update(`agent-config-sync:${machine.toLowerCase()}`).digest('hex').slice(0, 12)}` };
  return { hostname };
}

/**
 * The 64-hex container id a cgroup path or a mount names (docker, containerd/CRI-O under Kubernetes,
 * podman): `/docker/<id>`, `docker-<id>.scope`, `cri-containerd-<id>`, `crio-<id>`, `libpod-<id>`, and
 * `/containers/<id>/` (the hostname and resolv.conf mounts, which also show under cgroup v2 namespaces
 * where the cgroup path is only `/`).
 */
export function containerIdOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = /(?:\/docker\/|docker-|cri-containerd-|crio-|libpod-|\/containers\/)([0-9a-f]{64})(?![0-9a-f])/.exec(text);
  return match?.[1];
}

/** The OpenClaw state dir as OpenClaw picks it: OPENCLAW_STATE_DIR, else ~/.openclaw-<profile>, else ~/.openclaw. */
function stateDirOf(env: Record<string, string | undefined>): string {
  if (env.OPENCLAW_STATE_DIR) return path.resolve(env.OPENCLAW_STATE_DIR);
  const home = env.HOME ?? os.homedir();
  const profile = env.OPENCLAW_PROFILE?.trim();
  return path.join(home, profile ? `.openclaw-${profile}` : '.openclaw');
}
