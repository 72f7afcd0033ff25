import { lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { parseHostVersion } from '../../src/domain/hostProfile.js';
import { refusals } from '../../src/domain/refusals.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { Problem, Snapshot } from '../../src/domain/types.js';
import { makeHostCheck } from '../../src/hostCheck/hostCheck.js';
import { inProcessChecker, type ConfigValidator } from '../../src/hostCheck/inProcess.js';

/**
 * openclaw.json sets agents.defaults.systemAgent.agentId itself (outside the include): the render then
 * writes no systemAgent, but still `agents.defaults.heartbeat.agentId` (and authInheritance) naming the
 * default agent. The host (2026.8.2 / 2026.9.6 OpenClawSchema superRefine) rejects a heartbeat.agentId
 * that is not in agents.entries — so every slice without the default agent fails, though the whole
 * roster is valid. (test/e2e/hostValidator.e2e.ts holds the real validators of the four hosts to the same.)
 */
const NEW: RenderOptions = {
  format: 'entries',
  layout: 'root',
  version: parseHostVersion('2026.9.6'),
  outside: { set: ['systemAgent'], heartbeatDefaults: false, sharedSessionStore: false },
};
const big: Snapshot = {
  agents: [
    { id: 1, name: 'main', model: 'x/y', is_default: true },
    ...Array.from({ length: 300 }, (_, i) => ({ id: i + 2, name: `a${String(i).padStart(3, '0')}`, model: 'x/y', is_default: false })),
  ],
  systemConfig: [],
  columns: ['id', 'is_default'],
};

/** The host's rule (OpenClawSchema superRefine, 2026.9.6): defaults.{heartbeat,systemAgent}.agentId must name an entry. */
const hostLike: ConfigValidator = (config) => {
  const agents = config.agents as { entries?: Record<string, unknown>; defaults?: Record<string, { agentId?: string } | undefined> };
  const ids = new Set(Object.keys(agents.entries ?? {}));
  const issues: { path: string; message: string }[] = [];
  for (const target of ['heartbeat', 'systemAgent']) {
    const id = agents.defaults?.[target]?.agentId;
    if (typeof id === 'string' && !ids.has(id)) issues.push({ path: `agents.defaults.${target}.agentId`, message: `Unknown agent id "${id}" (not in agents.entries).` });
  }
  return { ok: issues.length === 0, issues };
};

describe('in-process host check in slices: default targets other than systemAgent', () => {
  it('the render names the default agent under defaults.heartbeat, and not under systemAgent', () => {
    const agents = JSON.parse(renderSnapshot(big, NEW).text).agents;
    expect(agents.defaults.systemAgent).toBeUndefined();
    expect(agents.defaults.heartbeat).toEqual({ agentId: 'main' });
    expect(hostLike({ agents })).toEqual({ ok: true, issues: [] });
  });

  it('should give the whole roster the verdict the host gives it (a host-like rule)', async () => {
    const floor = renderSnapshot(big, NEW);
    const agents = JSON.parse(floor.text).agents;
    const verdict = await inProcessChecker(hostLike, 'OpenClaw 2026.9.6', 'in process (test)').validate({ agents }, new AbortController().signal);
    expect(verdict).toEqual({ ok: true, issues: [] });
  });

  it('should write the roster unchanged (not refuse or cut it) through the host-check stage', async () => {
    const problems: Problem[] = [];
    const stage = makeHostCheck({ checker: inProcessChecker(hostLike, 'OpenClaw 2026.9.6', 'in process (test)'), render: () => NEW, onProblems: (p) => problems.push(...p), onUnavailable: () => undefined });
    const floor = renderSnapshot(big, NEW);
    const checked = await lastValueFrom(stage(floor));
    expect(problems).toEqual([]);
    expect(refusals(checked, NEW, undefined, false)).toEqual([]);
    expect(checked.text).toBe(floor.text);
  });

});
