import { describe, expect, it } from 'vitest';
import { classifyGateway, fleetExitCode, hasChange, type GatewayRow } from '../../src/domain/fleet.js';
import { containerIdOf, hostFacts, resolveGatewayId } from '../../src/fleet/gatewayId.js';

const now = new Date('2026-11-25T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const row = (over: Partial<GatewayRow> = {}): GatewayRow => ({
  gatewayId: 'gw',
  lastSeenAt: ago(10),
  stoppedAt: null,
  lastError: null,
  lastErrorAt: null,
  lastSyncAt: ago(20),
  instanceId: 'i-1',
  instanceStartedAt: ago(600),
  previousInstanceId: null,
  previousInstanceSeenAt: null,
  intervalMs: 60_000,
  owed: { count: 0, oldestId: null, oldestAt: null },
  ...over,
});

describe('classifyGateway', () => {
  it('calls a gateway that owes no change current, whatever its file looks like', () => {
    expect(classifyGateway(row(), now).state).toBe('current');
  });
  it('calls a gateway that owes changes behind, saying how many, the oldest and its age', () => {
    expect(classifyGateway(row({ owed: { count: 3, oldestId: '41', oldestAt: ago(12) } }), now)).toEqual({ state: 'behind', reason: '3 changes behind, oldest 41, 12 s ago' });
    expect(classifyGateway(row({ owed: { count: 1, oldestId: '7', oldestAt: ago(6) } }), now).reason).toBe('1 change behind, oldest 7, 6 s ago');
  });
  it('calls a gateway not seen for more than 3 of its own intervals stale, whatever else its row says', () => {
    expect(classifyGateway(row({ lastSeenAt: ago(181) }), now).state).toBe('stale');
    expect(classifyGateway(row({ lastSeenAt: ago(179) }), now).state).toBe('current');
    expect(classifyGateway(row({ lastSeenAt: ago(31), intervalMs: 10_000 }), now).state).toBe('stale');
    expect(classifyGateway(row({ lastSeenAt: ago(179), intervalMs: null }), now).state).toBe('current');
  });
  it('calls a gateway failing only while its error is newer than its last sync', () => {
    expect(classifyGateway(row({ lastError: 'write: EACCES', lastErrorAt: ago(5) }), now)).toEqual({ state: 'failing', reason: 'write: EACCES' });
    expect(classifyGateway(row({ lastError: 'write: EACCES', lastErrorAt: ago(30) }), now).state).toBe('current');
    expect(classifyGateway(row({ lastError: 'x', lastErrorAt: ago(5), lastSyncAt: null }), now).state).toBe('failing');
    expect(classifyGateway(row({ lastError: null, lastErrorAt: ago(5) }), now).state).toBe('current');
  });
  it('calls a cleanly stopped gateway stopped, even days later and owing changes', () => {
    const stopped = row({ stoppedAt: ago(86_400 * 3), lastSeenAt: ago(86_400 * 3), owed: { count: 9, oldestId: '1', oldestAt: ago(100) } });
    expect(classifyGateway(stopped, now).state).toBe('stopped');
  });
  it('calls two instances taking turns on one gateway id a conflict, and a restart not', () => {
    // The other instance wrote the row after this one started, 20 s ago.
    const turns = row({ previousInstanceId: 'i-2', previousInstanceSeenAt: ago(20) });
    expect(classifyGateway(turns, now).state).toBe('conflict');
    expect(classifyGateway(turns, now).reason).toContain('i-1 and i-2');
    // A restart: the old instance was last seen before this one started.
    expect(classifyGateway(row({ previousInstanceId: 'i-0', previousInstanceSeenAt: ago(601) }), now).state).toBe('current');
    // The other one has been gone for more than 3 intervals.
    expect(classifyGateway(row({ previousInstanceId: 'i-2', previousInstanceSeenAt: ago(181) }), now).state).toBe('current');
  });
});

describe('fleetExitCode', () => {
  it('exits 0 when all are current or stopped, 2 for behind or stale, 1 for failing or conflict', () => {
    expect(fleetExitCode([])).toBe(0);
    expect(fleetExitCode(['current', 'stopped'])).toBe(0);
    expect(fleetExitCode(['current', 'behind'])).toBe(2);
    expect(fleetExitCode(['stale'])).toBe(2);
    expect(fleetExitCode(['behind', 'failing', 'stale'])).toBe(1);
    expect(fleetExitCode(['current', 'conflict'])).toBe(1);
  });
});

describe('hasChange', () => {
  it('compares ledger ids as whole numbers, not as text', () => {
    expect(hasChange('10', '9')).toBe(true);
    expect(hasChange('9', '10')).toBe(false);
    expect(hasChange('9223372036854775807', '9223372036854775806')).toBe(true);
    expect(hasChange(null, '1')).toBe(false);
  });
});

describe('resolveGatewayId', () => {
  const box = { hostname: 'box' };
  it('prefers the configured id, trimmed', () => {
    expect(resolveGatewayId('  gw-1 ', {}, box)).toBe('gw-1');
  });
  it('derives a stable id from the hostname and the OpenClaw state dir', () => {
    expect(resolveGatewayId(undefined, { HOME: '/home/op' }, box)).toBe('box:/home/op/.openclaw');
    expect(resolveGatewayId(undefined, { HOME: '/home/op', OPENCLAW_PROFILE: 'work' }, box)).toBe('box:/home/op/.openclaw-work');
    expect(resolveGatewayId(undefined, { HOME: '/home/op', OPENCLAW_STATE_DIR: '/srv/gw2' }, box)).toBe('box:/srv/gw2');
  });
  it('puts the machine or container tag beside the hostname, so clones and host-network containers differ', () => {
    expect(resolveGatewayId(undefined, { HOME: '/h' }, { hostname: 'box', instanceTag: 'c-0123456789ab' })).toBe('box@c-0123456789ab:/h/.openclaw');
  });
});

describe('hostFacts', () => {
  const files = (map: Record<string, string>) => (file: string) => map[file];
  const machine = '3d1219c7c4c5404aaa1f6d2a48adfda4';
  const container = 'a'.repeat(12) + 'b'.repeat(52);
  it('tags a machine by a digest of its machine id, never the id itself', () => {
    const facts = hostFacts(files({ '/etc/machine-id': `${machine}\n` }), 'box');
    expect(facts.instanceTag).toMatch(/^m-[0-9a-f]{12}$/);
    expect(facts.instanceTag).not.toContain(machine.slice(0, 12));
    expect(hostFacts(files({ '/var/lib/dbus/machine-id': machine }), 'box')).toEqual(facts);
    // Another machine id, another tag: cloned VMs with regenerated ids differ.
    expect(hostFacts(files({ '/etc/machine-id': machine.replace('3', '4') }), 'box').instanceTag).not.toBe(facts.instanceTag);
  });
  it('prefers the container id over the machine id (containers can share the host machine id)', () => {
    const read = files({ '/etc/machine-id': machine, '/proc/self/cgroup': `0::/system.slice/docker-${container}.scope\n` });
    expect(hostFacts(read, 'box')).toEqual({ hostname: 'box', instanceTag: 'c-aaaaaaaaaaaa' });
  });
  it('finds the container id in mountinfo when the cgroup path is only "/" (cgroup v2 namespaces)', () => {
    const mountinfo = `612 600 0:52 /docker/containers/${container}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw\n`;
    expect(hostFacts(files({ '/proc/self/cgroup': '0::/\n', '/proc/self/mountinfo': mountinfo }), 'box').instanceTag).toBe('c-aaaaaaaaaaaa');
  });
  it('does without a tag when nothing can be read, or the files hold no id', () => {
    expect(hostFacts(files({}), 'box')).toEqual({ hostname: 'box' });
    expect(hostFacts(files({ '/etc/machine-id': 'uninitialized\n', '/proc/self/cgroup': '0::/\n' }), 'box')).toEqual({ hostname: 'box' });
  });
  it('reads container ids of docker, containerd, CRI-O and podman', () => {
    for (const path of [`/docker/${container}`, `/kubepods/burstable/pod1/cri-containerd-${container}.scope`, `/crio-${container}.scope`, `/machine.slice/libpod-${container}.scope`]) {
      expect(containerIdOf(`0::${path}\n`)).toBe(container);
    }
    expect(containerIdOf(`0::/docker/${container}0\n`)).toBeUndefined();
  });
});

describe('fleet output', () => {
  it('names each gateway with its state, owner and ledger id, then counts every state', async () => {
    const { formatFleet } = await import('../../src/cli/fleet.js');
    const entry = { gatewayId: 'gw-a', state: 'behind' as const, reason: '3 changes behind, oldest 41, 12 s ago', owner: 'gw_a', hostVersion: null, format: 'entries', layout: 'root', outputPath: '/x', agents: 2, rosterSha256: null, syncedThrough: '40', syncedAt: null, behindBy: 3, oldestOwed: '41', instanceId: 'i', lastWriteAt: null, lastError: null, lastErrorAt: null, lastSeenAt: '2026-11-25T12:00:00.000Z', stoppedAt: null, pluginVersion: '0.1.0' };
    expect(formatFleet([entry])).toBe(
      'gw-a  behind  owner gw_a  2 agents  through 40  seen 2026-11-25T12:00:00.000Z  3 changes behind, oldest 41, 12 s ago\n' +
        '1 gateway(s): 0 current, 1 behind, 0 stale, 0 failing, 0 conflict, 0 stopped\n',
    );
  });
  it('lists which gateways have a change and how long after the change each synced it', async () => {
    const { formatChange } = await import('../../src/cli/fleet.js');
    const change = { id: '42', at: new Date('2026-11-25T12:00:00.000Z'), actor: 'alice', role: 'alice', source: 'agents', key: 'beta', operation: 'UPDATE' };
    const text = formatChange(change, [
      { gatewayId: 'gw-1', owner: 'gw_1', state: 'current', has: true, syncedAt: '2026-11-25T12:00:00.250Z', syncedThrough: '42' },
      { gatewayId: 'gw-2', owner: 'gw_2', state: 'behind', has: false, syncedAt: null, syncedThrough: '41' },
      { gatewayId: 'gw-3', owner: null, state: 'stopped', has: false, syncedAt: null, syncedThrough: '7' },
    ]);
    expect(text).toBe(
      'change 42: UPDATE agents "beta" by alice at 2026-11-25T12:00:00.000Z\n' +
        '  gw-1  owner gw_1  has it since 2026-11-25T12:00:00.250Z (0.3 s after the change)\n' +
        '  gw-2  owner gw_2  not yet (behind, through 41)\n' +
        '  gw-3  owner ?  stopped; gets it when it starts again\n' +
        '1 of 3 gateway(s) have it\n',
    );
  });
});
