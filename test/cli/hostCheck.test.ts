import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../helpers/db.js';
import { assertBuilt, createSeededDatabase, makeTempDir, runCli, sql } from './cli.js';

/**
 * A stand-in `openclaw` (a real process the CLI runs as `--openclaw-bin`): it answers
 * `config validate --json` like the real hosts do (same JSON shape), rejecting any tools.profile
 * other than the four the hosts allow, and records the environment it was given — in a log whose
 * path is written into it, since the child gets none of the sync's environment.
 */
const fakeOpenclaw = (log: string) => `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const args = process.argv.slice(2).join(' ');
if (args !== 'config validate --json') { console.error('unexpected: ' + args); process.exit(2); }
const file = process.env.OPENCLAW_CONFIG_PATH;
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ home: process.env.HOME, state: process.env.OPENCLAW_STATE_DIR, file, env: Object.keys(process.env).sort() }) + '\\n');
const config = JSON.parse(fs.readFileSync(file, 'utf8'));
const issues = [];
for (const [id, entry] of Object.entries(config.agents.entries || {})) {
  const primary = typeof entry.model === 'string' ? entry.model : entry.model && entry.model.primary;
  if (String(primary).startsWith('retired/')) issues.push({ path: 'agents.entries.' + id + '.model', message: 'Unknown model' });
  const profile = entry.tools && entry.tools.profile;
  if (profile !== undefined && !['minimal', 'coding', 'messaging', 'full'].includes(profile)) {
    issues.push({ path: 'agents.entries.' + id + '.tools.profile', message: 'Invalid input (allowed: "minimal", "coding", "messaging", "full")' });
  }
}
console.log('[plugins] noise before the answer');
console.log(JSON.stringify({ valid: issues.length === 0, path: file, issues }, null, 2));
`;

describe('CLI sync --once checked by the host (--openclaw-bin; real processes, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let output: string;
  let bin: string;
  let log: string;

  beforeAll(assertBuilt);
  beforeEach(async () => {
    db = await createSeededDatabase('cli_host_check');
    dir = makeTempDir('host-check');
    output = path.join(dir, 'agents.json');
    bin = path.join(dir, 'fake-openclaw');
    log = path.join(dir, 'calls.jsonl');
    fs.writeFileSync(bin, fakeOpenclaw(log), { mode: 0o755 });
    await sql(db.url, `ALTER TABLE agents ADD COLUMN IF NOT EXISTS openclaw_config jsonb`);
    await sql(db.url, `UPDATE agents SET openclaw_config = '{"identity": {"name": "Alpha"}, "tools": {"profile": "banana", "allow": ["read"]}}' WHERE name = 'alpha'`);
  });
  afterEach(async () => {
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('can leave out only the setting the host rejects, warn with row and key, and write the rest', async () => {
    // The operator lets rows set tools (--row-settings): what the host then rejects is left out by the host check.
    const result = await runCli(['sync', '--once', '--database-url', db.url, '--output', output, '--host-version', '2026.9.6', '--openclaw-bin', bin, '--row-settings', 'identity.name,tools'], dir, { FAKE_LOG: log });
    expect(result.code, result.stderr).toBe(0);
    const file = JSON.parse(fs.readFileSync(output, 'utf8')) as { agents: { entries: Record<string, unknown> } };
    expect(file.agents.entries.alpha).toEqual({ model: 'openai/gpt-5', identity: { name: 'Alpha' }, tools: { allow: ['read'] } });
    expect(file.agents.entries.beta).toEqual({ model: 'anthropic/claude-sonnet-4-5' });
    expect(result.stderr).toMatch(/agents row id=1 \(name "alpha"\): openclaw_config\.tools\.profile: openclaw \(.*fake-openclaw\) rejects it .*; left out/);
    // Asked twice (the bad file, then the file without the setting), each time in a temporary HOME and state dir of its own, removed after.
    const calls = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { home: string; state: string; file: string; env: string[] });
    expect(calls).toHaveLength(2);
    for (const call of calls) {
      // Only what the child needs: nothing of the sync's environment beyond PATH, LANG and TZ.
      expect(call.env.filter((k) => !['PATH', 'LANG', 'TZ', 'HOME', 'OPENCLAW_STATE_DIR', 'OPENCLAW_CONFIG_PATH', 'NO_COLOR', 'FORCE_COLOR'].includes(k))).toEqual([]);
      expect(call.state).toBe(call.home);
      expect(call.file).toBe(path.join(call.home, 'openclaw.json'));
      expect(call.home.startsWith(dir)).toBe(false);
      expect(fs.existsSync(call.home)).toBe(false);
    }
  });

  it('can ask the host about a roster without openclaw_config too, and leave out the agent it rejects', async () => {
    // A value only the host knows is bad (our rules accept any model reference), in a dedicated column.
    await sql(db.url, `UPDATE agents SET openclaw_config = NULL; UPDATE agents SET model = 'retired/model-1' WHERE name = 'alpha'`);
    const result = await runCli(['sync', '--once', '--database-url', db.url, '--output', output, '--host-version', '2026.9.6', '--openclaw-bin', bin], dir, { FAKE_LOG: log });
    expect(result.code, result.stderr).toBe(0);
    const file = JSON.parse(fs.readFileSync(output, 'utf8')) as { agents: { entries: Record<string, unknown> } };
    expect(Object.keys(file.agents.entries)).toEqual(['beta']);
    expect(result.stderr).toMatch(/agents row id=1 \(name "alpha"\): entries\.alpha\.model Unknown model: openclaw \(.*fake-openclaw\) rejects it \("Unknown model"\); agent "alpha" left out/);
    expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('can fall back to our own rules, with one warning, when the binary cannot run', async () => {
    const result = await runCli(['sync', '--once', '--database-url', db.url, '--output', output, '--host-version', '2026.9.6', '--openclaw-bin', path.join(dir, 'missing'), '--row-settings', 'identity.name,tools'], dir, { FAKE_LOG: log });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/could not check the file \(cannot run .*missing.*\); checked by our own rules only/);
    // Our rules do not know tools.profile's values: the setting stays.
    const file = JSON.parse(fs.readFileSync(output, 'utf8')) as { agents: { entries: { alpha: { tools: unknown } } } };
    expect(file.agents.entries.alpha.tools).toEqual({ profile: 'banana', allow: ['read'] });
  });
});
