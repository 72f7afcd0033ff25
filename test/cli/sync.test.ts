import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql } from './cli.js';

describe('CLI sync --once --dry-run / --diff (real binary, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_sync');
    dir = makeTempDir('sync');
    output = path.join(dir, 'agents.json');
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sync = (...extra: string[]) => runCli(['sync', '--once', '--database-url', db.url, '--output', output, ...extra], dir);

  it('can print the file on --dry-run and write nothing', async () => {
    const dry = await sync('--dry-run');
    expect(dry.code).toBe(0);
    expect(fs.existsSync(output)).toBe(false);
    expect(fs.readdirSync(dir)).toEqual([]);
    const printed = JSON.parse(dry.stdout) as { agents: { entries: Record<string, unknown> } };
    expect(Object.keys(printed.agents.entries)).toEqual(['alpha', 'beta']);

    // What it printed is exactly what a real sync writes.
    expect((await sync()).code).toBe(0);
    expect(fs.readFileSync(output, 'utf8')).toBe(dry.stdout);

    // With a file that would change, the dry run leaves it byte for byte as it was.
    fs.writeFileSync(output, '{"agents": {"entries": {}}}\n');
    const before = fs.readFileSync(output);
    const again = await sync('--dry-run');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(dry.stdout);
    expect(fs.readFileSync(output).equals(before)).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['agents.json']);
  });

  it('can tell with --diff whether the file would change: exit 2 when it would, 0 when not', async () => {
    const missing = await sync('--diff');
    expect(missing.code).toBe(2);
    expect(fs.existsSync(output)).toBe(false);

    expect((await sync()).code).toBe(0);
    const same = await sync('--diff');
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('up to date');

    await sql(db.url, "UPDATE agents SET model = 'openai/gpt-5-mini' WHERE name = 'beta'");
    const written = fs.readFileSync(output, 'utf8');
    const changed = await sync('--diff');
    expect(changed.code).toBe(2);
    expect(changed.stdout).toContain('agents.entries.beta.model: "anthropic/claude-sonnet-4-5" → "openai/gpt-5-mini"');
    expect(fs.readFileSync(output, 'utf8')).toBe(written);

    const json = await sync('--diff', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      path: output,
      changed: true,
      changes: [{ path: 'agents.entries.beta.model', before: 'anthropic/claude-sonnet-4-5', after: 'openai/gpt-5-mini' }],
    });
  });
});
