import { describe, expect, it } from 'vitest';
import { classifyGateway, fleetExitCode, type GatewayRow } from '../../src/domain/fleet.js';
import { resolveGatewayId } from '../../src/fleet/gatewayId.js';

const now = new Date('2026-11-25T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);
const row = (over: Partial<GatewayRow> = {}): GatewayRow => ({
  gatewayId: 'gw', rosterSha256: 'h1', lastWriteAt: ago(100), lastError: null, lastErrorAt: null, lastSeenAt: ago(10), ...over,
});

describe('classifyGateway', () => {
  it('calls a gateway whose hash equals the render current', () => {
    expect(classifyGateway(row(), 'h1', now).state).toBe('current');
  });
  it('calls a gateway whose hash differs, or that has no file, behind', () => {
    expect(classifyGateway(row(), 'h2', now).state).toBe('behind');
    expect(classifyGateway(row({ rosterSha256: null }), 'h2', now).reason).toBe('it has no file yet');
  });
  it('calls a gateway not seen for more than 3 intervals stale, whatever else its row says', () => {
    expect(classifyGateway(row({ lastSeenAt: ago(181) }), 'h1', now).state).toBe('stale');
    expect(classifyGateway(row({ lastSeenAt: ago(179) }), 'h1', now).state).toBe('current');
    expect(classifyGateway(row({ lastSeenAt: ago(31) }), 'h1', now, 10_000).state).toBe('stale');
  });
  it('calls a gateway failing only while its error is newer than its last write', () => {
    expect(classifyGateway(row({ lastError: 'write: EACCES', lastErrorAt: ago(5) }), 'h1', now)).toEqual({ state: 'failing', reason: 'write: EACCES' });
    expect(classifyGateway(row({ lastError: 'write: EACCES', lastErrorAt: ago(200) }), 'h1', now).state).toBe('current');
    expect(classifyGateway(row({ lastError: 'x', lastErrorAt: ago(5), lastWriteAt: null }), 'h1', now).state).toBe('failing');
    expect(classifyGateway(row({ lastError: null, lastErrorAt: ago(5) }), 'h1', now).state).toBe('current');
  });
});

describe('fleetExitCode', () => {
  it('exits 0 when all are current, 2 for behind or stale, 1 for failing', () => {
    expect(fleetExitCode([])).toBe(0);
    expect(fleetExitCode(['current', 'current'])).toBe(0);
    expect(fleetExitCode(['current', 'behind'])).toBe(2);
    expect(fleetExitCode(['stale'])).toBe(2);
    expect(fleetExitCode(['behind', 'failing', 'stale'])).toBe(1);
  });
});

describe('resolveGatewayId', () => {
  it('prefers the configured id, trimmed', () => {
    expect(resolveGatewayId('  gw-1 ', {}, 'host')).toBe('gw-1');
  });
  it('derives a stable id from the hostname and the OpenClaw state dir', () => {
    expect(resolveGatewayId(undefined, { HOME: '/home/op' }, 'box')).toBe('box:/home/op/.openclaw');
    expect(resolveGatewayId(undefined, { HOME: '/home/op', OPENCLAW_PROFILE: 'work' }, 'box')).toBe('box:/home/op/.openclaw-work');
    expect(resolveGatewayId(undefined, { HOME: '/home/op', OPENCLAW_STATE_DIR: '/srv/gw2' }, 'box')).toBe('box:/srv/gw2');
    expect(resolveGatewayId(undefined, { HOME: '/h' }, 'box')).toBe(resolveGatewayId(undefined, { HOME: '/h' }, 'box'));
  });
});
