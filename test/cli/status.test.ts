import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/cli/status.js';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql } from './cli.js';

describe('CLI status (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_status');
    dir = makeTempDir('status');
    output = path.join(dir, 'agents.json');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = (command: string[], ...extra: string[]) => runCli([...command, '--database-url', db.url, '--output', output, ...extra], dir);
  const status = async (...extra: string[]) => {
    const result = await cli(['status', '--json'], ...extra);
    return { code: result.code, report: JSON.parse(result.stdout) as StatusReport };
  };

  it('can tell that the file agrees with the database', async () => {
    expect((await cli(['sync', '--once'])).code).toBe(0);
    const { code, report } = await status();
    expect(code).toBe(0);
    expect(report.agree).toBe(true);
    expect(report.path).toBe(output);
    expect(report.file).toMatchObject({
      exists: true,
      readable: true,
      agentCount: 2,
      agentIds: ['alpha', 'beta'],
      format: 'entries',
      layout: 'root',
      bytes: fs.statSync(output).size,
      modifiedAt: fs.statSync(output).mtime.toISOString(),
    });
    expect(report.database).toMatchObject({ agentCount: 2, agentIds: ['alpha', 'beta'], format: 'entries', layout: 'root' });
    expect(report.changes).toEqual([]);

    const human = await cli(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('agree:     yes');
    expect(human.stdout).toContain('2 agents (alpha, beta)');
  });

  it('can tell that the file disagrees with the database, and what differs', async () => {
    expect((await cli(['sync', '--once'])).code).toBe(0);
    await sql(db.url, "INSERT INTO agents (name, model, instance_type) VALUES ('gamma', 'google/gemini-2.5-pro', 'subagent')");
    const { code, report } = await status();
    expect(code).toBe(2);
    expect(report.agree).toBe(false);
    expect(report.file.agentIds).toEqual(['alpha', 'beta']);
    expect(report.database.agentIds).toEqual(['alpha', 'beta', 'gamma']);
    expect(report.changes).toContainEqual({ path: 'agents.entries.gamma.model', after: 'google/gemini-2.5-pro' });

    const human = await cli(['status']);
    expect(human.code).toBe(2);
    expect(human.stdout).toContain('agree:     no');
    expect(human.stdout).toContain('agents.entries.gamma.model: (none) → "google/gemini-2.5-pro"');
  });

  it('can tell that a file with the same content but other bytes disagrees', async () => {
    expect((await cli(['sync', '--once'])).code).toBe(0);
    const compact = `${JSON.stringify(JSON.parse(fs.readFileSync(output, 'utf8')))}\n`;
    fs.writeFileSync(output, compact);
    const { code, report } = await status();
    expect(code).toBe(2);
    expect(report.agree).toBe(false);
    expect(report.changes).toEqual([]);
  });

  it('can report a missing file as a disagreement', async () => {
    const { code, report } = await status();
    expect(code).toBe(2);
    expect(report.agree).toBe(false);
    expect(report.file.exists).toBe(false);
    expect(report.database.agentIds).toEqual(['alpha', 'beta']);
    expect(fs.existsSync(output)).toBe(false);
  });

  it('can exit 1 with one line when the database is unreachable', async () => {
    const result = await runCli(['status', '--database-url', 'postgres://nobody@127.0.0.1:1/none', '--output', output], dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('cannot connect to PostgreSQL');
    expect(result.stdout).toBe('');
  });
});
