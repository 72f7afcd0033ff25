import fs from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertBuilt, makeTempDir, runCli } from './cli.js';

/** The flags of history, revert and --history-days, checked before any connection is made (real binary). */
describe('CLI flags of history and revert (real binary)', () => {
  let dir: string;

  beforeAll(assertBuilt);
  beforeEach(() => {
    dir = makeTempDir('history-flags');
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can name a bad value and what is allowed (exit 64)', async () => {
    const cases: [string[], string[]][] = [
      [['history', '--limit', '0'], ['--limit must be a whole number from 1 to 10000, got "0"']],
      [['history', '--since', 'yesterday'], ['--since must be a duration back from now (30m, 1h, 2d) or an ISO date or time', '"yesterday"']],
      [['history', '--since', '5'], ['--since must be a duration']],
      [['history', 'extra'], ['unexpected argument "extra"']],
      [['revert'], ['give either the change to undo (revert ID) or the change to go back to (revert --to ID)']],
      [['revert', '12', '--to', '10'], ['not both or neither']],
      [['revert', 'latest'], ['the change to revert must be a change id', '"latest"']],
      [['revert', '--to', '1.5'], ['--to must be a change id', '"1.5"']],
      [['revert', '12', '13'], ['unexpected argument "13"']],
      [['revert', '--to', '10', '--force'], ['--force applies to "revert ID" only']],
      [['watch', '--output', 'x.json', '--history-days', '0'], ['--history-days must be an integer from 1 to 36500, got 0']],
      [['watch', '--output', 'x.json', '--history-days', 'forever'], ['--history-days must be a whole number, got "forever"']],
    ];
    for (const [args, needles] of cases) {
      const result = await runCli(args, dir);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(64);
      for (const needle of needles) expect(result.stderr, args.join(' ')).toContain(needle);
    }
  });

  it('can print the help of history and revert with their exit codes and the privileges revert needs', async () => {
    const history = await runCli(['history', '--help'], dir);
    expect(history.code).toBe(0);
    expect(history.stdout).toContain('Usage: agent-config-sync history');
    expect(history.stdout).toContain('Exit codes: 0 ok, 1 error');
    const revert = await runCli(['revert', '--help'], dir);
    expect(revert.code).toBe(0);
    expect(revert.stdout).toContain('2 refused: a later change touched the');
    expect(revert.stdout).toContain("writes the tables as the connecting role: that role needs the writer's privileges");
    const main = await runCli(['--help'], dir);
    expect(main.stdout).toMatch(/history\s+who changed what/);
    expect(main.stdout).toMatch(/revert ID\s+undo one change/);
  });
});
