import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reloadFromFlags } from '../../src/cli/sync.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-reload-flags-'));
const pidFile = path.join(dir, 'gateway.pid');
fs.writeFileSync(pidFile, '4242\n');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('reloadFromFlags', () => {
  it('keeps the pid file, not the pid, so the reloader reads it again before every signal', () => {
    expect(reloadFromFlags({ 'reload-pid-file': pidFile, 'reload-signal': 'SIGUSR2', 'signal-node-process': true })).toEqual({
      action: { kind: 'signal', signal: 'SIGUSR2', why: '--reload-signal SIGUSR2' },
      target: { pidFile, signalNodeProcess: true },
    });
  });

  it('refuses SIGUSR1 for another process before anything runs', () => {
    expect(() => reloadFromFlags({ 'reload-pid-file': pidFile, 'reload-signal': 'SIGUSR1' })).toThrow(
      '--reload-signal SIGUSR1 is never sent to another process (a Node process opens its inspector on it, whatever its name); use SIGHUP or SIGUSR2.',
    );
  });

  it('gives --exec a timeout: 30 s unless --exec-timeout-ms says otherwise, never none', () => {
    expect(reloadFromFlags({ exec: 'true' }).target).toEqual({ exec: 'true', execTimeoutMs: undefined });
    expect(reloadFromFlags({ exec: 'true', 'exec-timeout-ms': '300' }).target).toEqual({ exec: 'true', execTimeoutMs: 300 });
    expect(() => reloadFromFlags({ exec: 'true', 'exec-timeout-ms': '0' })).toThrow(/--exec-timeout-ms must be at least 1/);
    expect(() => reloadFromFlags({ exec: 'true', 'exec-timeout-ms': '3s' })).toThrow(/--exec-timeout-ms must be a whole number of milliseconds/);
  });

  it('says which flag the new flags need', () => {
    expect(() => reloadFromFlags({ 'exec-timeout-ms': '300' })).toThrow('--exec-timeout-ms needs --exec.');
    expect(() => reloadFromFlags({ 'signal-node-process': true })).toThrow('--signal-node-process needs --reload-pid-file.');
  });
});
