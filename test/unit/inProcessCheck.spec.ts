import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostVersion } from '../../src/domain/hostProfile.js';
import { refusals } from '../../src/domain/refusals.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { AgentRow, Problem, Snapshot } from '../../src/domain/types.js';
import type { HostChecker } from '../../src/hostCheck/checker.js';
import { gatewayChecker } from '../../src/hostCheck/gateway.js';
import { makeHostCheck } from '../../src/hostCheck/hostCheck.js';
import { inProcessChecker, loadInProcessChecker, slices, type ConfigValidator } from '../../src/hostCheck/inProcess.js';
import { describeChecker } from '../../src/hostCheck/logged.js';

const NEW: RenderOptions = { format: 'entries', layout: 'root', version: parseHostVersion('2026.9.6') };
const OLD: RenderOptions = { format: 'list', layout: 'root', version: parseHostVersion('2026.4.29') };
/** No openclaw_config anywhere: every value comes from a dedicated column our own rules check. */
const rows: AgentRow[] = [
  { id: 1, name: 'main', model: 'anthropic/claude-sonnet-4', is_default: true },
  { id: 2, name: 'helper', model: 'openai/gpt-5', thinking: 'high' },
];
const plain: Snapshot = { agents: rows, systemConfig: [], columns: ['id', 'is_default', 'thinking'] };

/** A host with a rule our own rules do not know: it has dropped the thinking level "high". */
const noHigh: ConfigValidator = (config) => {
  const agents = config.agents as { entries?: Record<string, { thinkingDefault?: string }>; list?: { thinkingDefault?: string }[] };
  const issues: { path: string; message: string }[] = [];
  for (const [id, entry] of Object.entries(agents.entries ?? {})) if (entry.thinkingDefault === 'high') issues.push({ path: `agents.entries.${id}.thinkingDefault`, message: 'Invalid option: expected one of "off"|"low"' });
  (agents.list ?? []).forEach((entry, i) => {
    if (entry.thinkingDefault === 'high') issues.push({ path: `agents.list.${i}.thinkingDefault`, message: 'Invalid option: expected one of "off"|"low"' });
  });
  return { ok: issues.length === 0, issues };
};

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A stand-in openclaw package: package.json, openclaw.mjs, and the given files under it. */
function fakePackage(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'acs-fake-openclaw-'));
  dirs.push(root);
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'openclaw', version: '2026.9.6', type: 'module', exports: { './plugin-sdk/config-schema': './dist/plugin-sdk/config-schema.js' } }));
  fs.writeFileSync(path.join(root, 'openclaw.mjs'), '');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

describe('makeHostCheck with the host validator in process', () => {
  it('should cut down a roster without openclaw_config that the host rejects, instead of passing it', async () => {
    const problems: Problem[] = [];
    const stage = makeHostCheck({ checker: inProcessChecker(noHigh, 'OpenClaw 2026.9.6', 'in process (test)'), render: () => NEW, onProblems: (p) => problems.push(...p), onUnavailable: () => undefined });
    const floor = renderSnapshot(plain, NEW);
    // Our own rules accept "high" on 2026.9.6: the floor keeps it.
    expect(JSON.parse(floor.text).agents.entries.helper.thinkingDefault).toBe('high');
    const checked = await lastValueFrom(stage(floor));
    expect(JSON.parse(checked.text).agents.entries).toEqual({ main: { model: 'anthropic/claude-sonnet-4' }, helper: { model: 'openai/gpt-5' } });
    expect(problems.map((p) => p.message)).toEqual([
      'agents row id=2 (name "helper"): thinking (thinkingDefault): OpenClaw 2026.9.6 rejects it ("Invalid option: expected one of \\"off\\"|\\"low\\""); left out',
    ]);
    expect(refusals(checked, NEW, undefined, false)).toEqual([]);
  });

  it('should check a list roster slice by slice and name the roster index the host rejects', async () => {
    const many: Snapshot = { agents: Array.from({ length: 7 }, (_, i) => ({ id: i + 1, name: `a${i}`, model: 'x/y', is_default: i === 3, thinking: i === 5 ? 'high' : null })), systemConfig: [], columns: ['id', 'is_default', 'thinking'] };
    const seen: number[] = [];
    const counting: ConfigValidator = (config) => {
      seen.push((config.agents as { list: unknown[] }).list.length);
      return noHigh(config);
    };
    const problems: Problem[] = [];
    const stage = makeHostCheck({ checker: inProcessChecker(counting, 'OpenClaw 2026.4.29', 'in process (test)', 2), render: () => OLD, onProblems: (p) => problems.push(...p), onUnavailable: () => undefined });
    const checked = await lastValueFrom(stage(renderSnapshot(many, OLD)));
    const list = JSON.parse(checked.text).agents.list as { id: string; thinkingDefault?: string }[];
    expect(list.map((a) => a.id)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect(list.find((a) => a.id === 'a5')).not.toHaveProperty('thinkingDefault');
    expect(problems.map((p) => p.message)).toEqual([expect.stringMatching(/^agents row id=6 \(name "a5"\): thinking \(thinkingDefault\): OpenClaw 2026\.4\.29 rejects it/)]);
    // Six others in slices of two, the default agent riding in each: 3 + 3 + 3 agents, twice (before and after).
    expect(seen).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('should stop between slices when unsubscribed', async () => {
    let calls = 0;
    const abort = new AbortController();
    const checker = inProcessChecker(() => {
      calls += 1;
      abort.abort();
      return { ok: true, issues: [] };
    }, 'OpenClaw 2026.9.6', 'in process (test)', 1);
    const verdict = await checker.validate({ agents: { entries: { a: {}, b: {}, c: {} } } }, abort.signal);
    expect(verdict).toEqual({ ok: false, error: 'abandoned' });
    expect(calls).toBe(1);
  });

  it('should tell a throwing validator from a verdict', async () => {
    const checker = inProcessChecker(() => {
      throw new Error('boom');
    }, 'OpenClaw 2026.9.6', 'in process (test)');
    expect(await checker.validate({ agents: { entries: {} } }, new AbortController().signal)).toEqual({ ok: false, error: 'the host validator failed: boom' });
  });
});

describe('slices', () => {
  it('should keep a roster of at most one slice whole', () => {
    const agents = { ownership: 'explicit', entries: { a: {}, b: {} } };
    expect(slices(agents, 2)).toEqual([{ agents, listIndex: [], more: false }]);
  });

  it('should put the system agent and every agent with its own agentDir in each slice', () => {
    const agents = { ownership: 'explicit', defaults: { systemAgent: { agentId: 'c' } }, entries: { a: {}, b: { agentDir: '/x' }, c: {}, d: {}, e: {} } };
    expect(slices(agents, 2).map((s) => Object.keys((s.agents as { entries: object }).entries))).toEqual([
      ['a', 'b', 'c', 'd'],
      ['b', 'c', 'e'],
    ]);
  });
});

describe('choosing the checker in the gateway', () => {
  it('should load validateConfigObject from the running host package (dist/config/config.js)', async () => {
    const root = fakePackage({
      'dist/config/config.js': `export function validateConfigObject(c) { const bad = JSON.stringify(c).includes('banana'); return bad ? { ok: false, issues: [{ path: 'agents.entries.a.tools.profile', message: 'Invalid input' }] } : { ok: true, config: c }; }`,
    });
    const checker = await gatewayChecker(parseHostVersion('2026.9.6'), path.join(root, 'openclaw.mjs'));
    expect(checker).toMatchObject({ label: 'OpenClaw 2026.9.6', how: 'in process (dist/config/config.js validateConfigObject)', everyRender: true });
    expect(describeChecker(checker!)).toBe("checked by OpenClaw 2026.9.6's own validator, in process (dist/config/config.js validateConfigObject), every render");
    expect(await checker!.validate({ agents: { entries: { a: { tools: { profile: 'banana' } } } } }, new AbortController().signal)).toEqual({ ok: true, issues: [{ path: 'agents.entries.a.tools.profile', message: 'Invalid input' }] });
  });

  it('should fall back to the SDK schema (plugin-sdk/config-schema) when the package has no config entry', async () => {
    const root = fakePackage({
      'dist/plugin-sdk/config-schema.js': `export const OpenClawSchema = { safeParse(c) { return JSON.stringify(c).includes('banana') ? { success: false, error: { issues: [{ path: ['agents', 'list', 0, 'thinkingDefault'], message: 'Invalid option' }] } } : { success: true, data: c }; } };`,
    });
    const found = await loadInProcessChecker(root, 'OpenClaw 2026.4.29');
    expect(found.ok && found.checker.how).toBe('in process (openclaw/plugin-sdk/config-schema OpenClawSchema)');
    const verdict = found.ok ? await found.checker.validate({ agents: { list: [{ id: 'a', thinkingDefault: 'banana' }] } }, new AbortController().signal) : undefined;
    expect(verdict).toEqual({ ok: true, issues: [{ path: 'agents.list.0.thinkingDefault', message: 'Invalid option' }] });
  });

  it('should not trust a validator that rejects an empty config', async () => {
    const root = fakePackage({ 'dist/config/config.js': `export function validateConfigObject() { return { ok: false, issues: [{ path: '', message: 'nope' }] }; }` });
    const found = await loadInProcessChecker(root, 'OpenClaw 2026.9.6');
    expect(found).toEqual({ ok: false, error: expect.stringContaining('dist/config/config.js validateConfigObject: does not accept an empty config (nope)') });
  });

  it('should fall back to the running host as a child process when nothing loads in process', async () => {
    const root = fakePackage({});
    const checker: HostChecker | undefined = await gatewayChecker(parseHostVersion('2026.9.6'), path.join(root, 'openclaw.mjs'));
    expect(checker).toMatchObject({ label: 'OpenClaw 2026.9.6', everyRender: false });
    expect(checker!.how).toMatch(/^a child process \(openclaw config validate --json\), as its validator cannot be loaded in process \(dist\/config\/config\.js validateConfigObject: not in this package; openclaw\/plugin-sdk\/config-schema OpenClawSchema: not in this package\)$/);
  });

  it('should fall back to the child process when the validator never finishes loading (a write never waits forever)', async () => {
    const root = fakePackage({});
    const never = () => new Promise<never>(() => undefined);
    const checker = await gatewayChecker(parseHostVersion('2026.9.6'), path.join(root, 'openclaw.mjs'), never, 50);
    expect(checker).toMatchObject({ label: 'OpenClaw 2026.9.6', everyRender: false });
    expect(checker!.how).toContain('as its validator cannot be loaded in process (it did not load within 0.05 s)');
  });

  it('should have no checker outside an OpenClaw gateway', () => {
    expect(gatewayChecker(parseHostVersion('2026.9.6'), path.resolve('dist/cli/main.js'))).toBeUndefined();
  });
});
