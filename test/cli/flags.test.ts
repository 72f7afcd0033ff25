import fs from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, makeTempDir, runCli } from './cli.js';

describe('CLI flags of status and doctor (real binary)', () => {
  let dir: string;

  beforeAll(assertBuilt);
  beforeEach(() => {
    dir = makeTempDir('flags');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can name an unknown flag and list the allowed ones (exit 64)', async () => {
    for (const command of ['status', 'doctor']) {
      const result = await runCli([command, '--output', 'x.json', '--bogus'], dir);
      expect(result.code).toBe(64);
      expect(result.stderr).toContain("'--bogus'");
      expect(result.stderr).toContain('allowed: --database-url');
      expect(result.stdout).toBe('');
    }
    const doctor = await runCli(['doctor', '--bogus'], dir);
    expect(doctor.stderr).toContain('--timeout-ms');
  });

  it('can name a bad value and what is allowed (exit 64)', async () => {
    const cases: [string[], string[]][] = [
      [['status', '--output', 'x.json', '--format', 'yaml'], ['--format', 'auto, entries, list', '"yaml"']],
      [['doctor', '--output', 'x.json', '--layout', 'flat'], ['--layout', 'auto, root, section', '"flat"']],
      [['doctor', '--output', 'x.json', '--timeout-ms', 'soon'], ['--timeout-ms', 'milliseconds', '"soon"']],
      [['status', '--output', 'x.json', '--host-version', 'latest'], ['--host-version', '2026.8.2', '"latest"']],
      [['doctor', '--output', 'x.json', '--agents-source', 'agents; DROP TABLE agents'], ['--agents-source', 'allowed']],
      [['status', '--output', 'x.json', 'extra'], ['unexpected argument "extra"']],
      // Options checked by the settings are still named by their flag, not by the plugin option.
      [['watch', '--output', 'x.json', '--reconcile-ms', '10'], ['--reconcile-ms must be 0 (off) or from 1000 to 86400000 ms, got 10']],
      [['watch', '--output', 'x.json', '--debounce-ms', '10', '--max-wait-ms', '5'], ['--max-wait-ms (5) must be >= --debounce-ms (10)']],
    ];
    for (const [args, needles] of cases) {
      const result = await runCli(args, dir);
      expect(result.code, args.join(' ')).toBe(64);
      for (const needle of needles) expect(result.stderr, args.join(' ')).toContain(needle);
    }
  });

  it('can print the help of status and doctor with their exit codes', async () => {
    const status = await runCli(['status', '--help'], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('Usage: agent-config-sync status');
    expect(status.stdout).toContain('2 they differ');
    const doctor = await runCli(['doctor', '--help'], dir);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toContain('Usage: agent-config-sync doctor');
    for (const id of ['triggers-firing', 'included', 'shadowed-keys', 'roster-shape', 'temp-files']) expect(doctor.stdout).toContain(id);
    const main = await runCli(['--help'], dir);
    expect(main.stdout).toMatch(/status\s+the file on disk/);
    expect(main.stdout).toMatch(/doctor\s+check the whole chain/);
  });
});
