import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseHostVersion } from '../../src/domain/hostProfile.js';
import { refusals } from '../../src/domain/refusals.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { AgentRow, Problem, Rendered, Snapshot } from '../../src/domain/types.js';
import { subprocessChecker } from '../../src/hostCheck/checker.js';
import { makeHostCheck } from '../../src/hostCheck/hostCheck.js';
import { hostIssues, parseValidateOutput, type OpenclawCommand, type ValidateOutcome } from '../../src/hostCheck/openclawValidate.js';
import type { RawIssue } from '../../src/domain/mergedConfig.js';

/** What `openclaw config validate --json` printed on the real hosts (2026.9.6 and 2026.4.29) for a bad file. */
const OUTPUT_2026_9_6 = `{
  "ok": false,
  "error": { "type": "cli_error", "message": "OpenClaw config is invalid: /tmp/x/openclaw.json" },
  "valid": false,
  "path": "/tmp/x/openclaw.json",
  "issues": [
    { "path": "agents.entries.main.tools.profile", "message": "Invalid input (allowed: \\"minimal\\", \\"coding\\", \\"messaging\\", \\"full\\")" },
    { "path": "agents.entries.helper", "message": "Unrecognized key: \\"foo\\"" },
    { "path": "agents.entries.x.heartbeat.every", "message": "invalid duration (use ms, s, m, h)" }
  ]
}`;
const OUTPUT_2026_4_29 = `{
  "valid": false,
  "path": "/tmp/x/openclaw.json",
  "issues": [
    { "path": "agents.list.0.thinkingDefault", "message": "Invalid option: expected one of \\"off\\"|\\"max\\"" },
    { "path": "agents", "message": "Unrecognized keys: \\"ownership\\", \\"entries\\"" }
  ]
}`;

describe('parseValidateOutput', () => {
  it('can read the issues of 2026.9.6 as the host gives them (dotted from the config root)', () => {
    expect(parseValidateOutput(OUTPUT_2026_9_6)).toEqual({
      ok: true,
      issues: [
        { path: 'agents.entries.main.tools.profile', message: 'Invalid input (allowed: "minimal", "coding", "messaging", "full")' },
        { path: 'agents.entries.helper', message: 'Unrecognized key: "foo"' },
        { path: 'agents.entries.x.heartbeat.every', message: 'invalid duration (use ms, s, m, h)' },
      ],
    });
  });

  it('can read the issues of 2026.4.29, list indexes as numbers and several unknown keys', () => {
    const read = parseValidateOutput(OUTPUT_2026_4_29);
    expect(read.ok && hostIssues(read.issues)).toEqual(
      [
        { path: ['list', 0, 'thinkingDefault'], message: 'Invalid option: expected one of "off"|"max"' },
        { path: ['ownership'], message: 'is not an accepted key' },
        { path: ['entries'], message: 'is not an accepted key' },
      ],
    );
  });

  it('can read a valid answer after log lines', () => {
    expect(parseValidateOutput('[plugins] loaded\n{"valid": true, "path": "/x"}\n')).toEqual({ ok: true, issues: [] });
  });

  it.each(['', 'Error: requires Node >= 24', '{"ok": false}', '{"valid": "no"}'])('can tell no answer from a verdict: %j', (out) => {
    expect(parseValidateOutput(out).ok).toBe(false);
  });
});

// The operator allowed tools through its row policy: what the host then rejects is what this spec is about.
const NEW: RenderOptions = { format: 'entries', layout: 'root', version: parseHostVersion('2026.9.6'), policy: { rowSettings: ['identity', 'tools'], minHeartbeatEvery: '5m' } };
const COMMAND: OpenclawCommand = { command: '/nonexistent/openclaw', args: [], label: 'OpenClaw 2026.9.6' };
const rows: AgentRow[] = [
  { id: 1, name: 'main', model: 'anthropic/claude-sonnet-4', is_default: true, openclaw_config: { identity: { name: 'Main' }, tools: { profile: 'banana', allow: ['read'] } } },
  { id: 2, name: 'helper', model: 'openai/gpt-5', thinking: 'high' },
];
const snapshot: Snapshot = { agents: rows, systemConfig: [], columns: ['id', 'is_default', 'thinking', 'openclaw_config'] };

/** A fake host: rejects tools.profile "banana" wherever it is, and counts its calls. */
function fakeHost(extra: (agents: Record<string, unknown>) => RawIssue[] = () => []) {
  const calls: Record<string, unknown>[] = [];
  const validate = async (_c: OpenclawCommand, config: unknown): Promise<ValidateOutcome> => {
    const a = (config as { agents: unknown }).agents as { entries: Record<string, { tools?: { profile?: string } }> };
    calls.push(a);
    const issues: RawIssue[] = [];
    for (const [id, entry] of Object.entries(a.entries)) {
      if (entry.tools?.profile === 'banana') issues.push({ path: `agents.entries.${id}.tools.profile`, message: 'Invalid input (allowed: "minimal", "coding", "messaging", "full")' });
    }
    return { ok: true, issues: [...issues, ...extra(a)] };
  };
  return { validate, calls };
}

describe('makeHostCheck', () => {
  const check = (validate: (c: OpenclawCommand, a: unknown, s: AbortSignal) => Promise<ValidateOutcome>, told: { problems: Problem[]; unavailable: string[] }) =>
    makeHostCheck({ checker: subprocessChecker(COMMAND, (c, a, o) => validate(c, a, o!.signal!)), render: () => NEW, onProblems: (p) => told.problems.push(...p), onUnavailable: (e) => told.unavailable.push(e) });

  it('can leave out only the setting the host rejects, name the row and the key, and keep the rest', async () => {
    const host = fakeHost();
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const floor = renderSnapshot(snapshot, NEW);
    // Our rules do not know tools.profile's values: the floor passes it.
    expect(JSON.parse(floor.text).agents.entries.main.tools.profile).toBe('banana');
    const checked = await lastValueFrom(check(host.validate, told)(floor));
    const file = JSON.parse(checked.text) as { agents: { entries: Record<string, unknown> } };
    expect(file.agents.entries).toEqual({
      main: { model: 'anthropic/claude-sonnet-4', identity: { name: 'Main' }, tools: { allow: ['read'] } },
      helper: { model: 'openai/gpt-5', thinkingDefault: 'high' },
    });
    expect(told.problems.map((p) => p.message)).toEqual([
      'agents row id=1 (name "main"): openclaw_config.tools.profile: OpenClaw 2026.9.6 rejects it ("Invalid input (allowed: \\"minimal\\", \\"coding\\", \\"messaging\\", \\"full\\")"); left out',
    ]);
    expect(host.calls).toHaveLength(2);
    expect(refusals(checked, NEW, undefined, false)).toEqual([]);
  });

  it('can check an unchanged roster once (the verdict is remembered)', async () => {
    const host = fakeHost();
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const stage = check(host.validate, told);
    const first = await lastValueFrom(stage(renderSnapshot(snapshot, NEW)));
    const second = await lastValueFrom(stage(renderSnapshot(snapshot, NEW)));
    expect(second.text).toBe(first.text);
    expect(host.calls).toHaveLength(2);
  });

  it('can leave out the whole agent when the issue is the entry itself', async () => {
    const host = fakeHost((a) => ((a.entries as Record<string, unknown>).helper ? [{ path: 'agents.entries.helper', message: 'Invalid input' }] : []));
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const checked = await lastValueFrom(check(host.validate, told)(renderSnapshot(snapshot, NEW)));
    expect(Object.keys(JSON.parse(checked.text).agents.entries)).toEqual(['main']);
    expect(told.problems.some((p) => p.message.includes('(name "helper")') && p.message.includes('agent "helper" left out'))).toBe(true);
  });

  it('can refuse the file when the host rejects something no setting or agent can be left out for', async () => {
    const host = fakeHost(() => [{ path: 'agents.ownership', message: 'Invalid input' }]);
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const checked: Rendered = await lastValueFrom(check(host.validate, told)(renderSnapshot(snapshot, NEW)));
    expect(checked.rejected).toEqual(['OpenClaw 2026.9.6 rejects agents.ownership Invalid input']);
    expect(refusals(checked, NEW, undefined, false)).toContain('OpenClaw 2026.9.6 rejects agents.ownership Invalid input');
  });

  it('can pass the render as our rules left it when the host cannot be asked', async () => {
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const floor = renderSnapshot(snapshot, NEW);
    const checked = await lastValueFrom(check(async () => ({ ok: false, error: 'cannot run /nonexistent/openclaw: ENOENT' }), told)(floor));
    expect(checked.text).toBe(floor.text);
    expect(told.unavailable).toEqual(['cannot run /nonexistent/openclaw: ENOENT']);
  });

  it('can ask a real process and tell a missing binary from a verdict', async () => {
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const stage = makeHostCheck({ checker: subprocessChecker(COMMAND), render: () => NEW, onProblems: () => undefined, onUnavailable: (e) => told.unavailable.push(e) });
    const floor = renderSnapshot(snapshot, NEW);
    expect((await lastValueFrom(stage(floor))).text).toBe(floor.text);
    expect(told.unavailable[0]).toMatch(/^cannot run \/nonexistent\/openclaw: .*ENOENT/);
  });

  it('can skip a child-process host for a roster without openclaw_config (our rules check every column value)', async () => {
    const host = fakeHost();
    const told = { problems: [] as Problem[], unavailable: [] as string[] };
    const plain: Snapshot = { agents: rows.map(({ openclaw_config: _c, ...r }) => r), systemConfig: [], columns: ['id', 'is_default', 'thinking'] };
    const floor = renderSnapshot(plain, NEW);
    expect((await lastValueFrom(check(host.validate, told)(floor))).text).toBe(floor.text);
    expect(host.calls).toHaveLength(0);
  });
});
