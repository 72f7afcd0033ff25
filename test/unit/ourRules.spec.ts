import { describe, expect, it } from 'vitest';
import { checkForHost } from '../../src/domain/hostRules.js';
import type { HostVersion } from '../../src/domain/hostProfile.js';
import { refusals } from '../../src/domain/refusals.js';
import { renderSnapshot, type RenderOptions } from '../../src/domain/render.js';
import type { Snapshot } from '../../src/domain/types.js';

/**
 * A render carries what our rules for the host find in it (found on the object its text was made from),
 * so the guard does not parse a 1.7 MB text again. That verdict must be exactly what parsing the text
 * finds — whatever the roster, shape and host.
 */
const V = (year: number, month: number, patch: number): HostVersion => ({ year, month, patch });
const hosts: [string, Omit<RenderOptions, 'outside'>][] = [
  ['2026.9.6 entries/root', { format: 'entries', layout: 'root', version: V(2026, 9, 6) }],
  ['2026.8.2 entries/section', { format: 'entries', layout: 'section', version: V(2026, 8, 2) }],
  ['2026.7.35 list/root', { format: 'list', layout: 'root', version: V(2026, 7, 35) }],
  ['2026.4.29 list/section', { format: 'list', layout: 'section', version: V(2026, 4, 29) }],
  ['no version, entries/root', { format: 'entries', layout: 'root' }],
];

const rows = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})) =>
  Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `agent-${i}`, model: 'anthropic/claude-sonnet-4-5', is_default: i === 0, ...extra(i) }));

const snapshots: [string, Snapshot][] = [
  ['an empty roster', { agents: [], systemConfig: [], columns: [] }],
  [
    'columns and settings, some the host rejects',
    {
      agents: rows(6, (i) => ({
        fallback_models: i % 2 ? ['openai/gpt-5'] : null,
        allowed_subagents: i === 1 ? ['agent-2', '*'] : null,
        thinking: ['low', 'ultra', 'banana', null][i % 4],
        heartbeat_enabled: i === 2,
        heartbeat_every: i === 2 ? '30m' : null,
        openclaw_config: [{ identity: { name: 'A' } }, { tools: 'not an object' }, { unknownKey: 1 }, { thinkingDefault: 'high' }, null, { skills: [1] }][i],
      })),
      systemConfig: [
        { key: 'max_spawn_depth', value: '5', value_type: 'integer' },
        { key: 'delegation_mode', value: 'prefer', value_type: 'string' },
        { key: 'thinking_default', value: 'ultra', value_type: 'string' },
      ],
      columns: ['fallback_models', 'allowed_subagents', 'thinking', 'heartbeat_enabled', 'heartbeat_every', 'openclaw_config'],
    },
  ],
  // Larger than OpenClaw includes (2 MiB): the size is a reason on both paths.
  ['a roster over 2 MiB', { agents: rows(9_000, () => ({ model: `provider/${'m'.repeat(200)}` })), systemConfig: [], columns: [] }],
];

describe('the verdict a render carries', () => {
  for (const [hostName, options] of hosts) {
    it.each(snapshots)(`should equal what parsing the text finds: %s, ${hostName}`, (_name, snapshot) => {
      const r = renderSnapshot(snapshot, options);
      const parsed = checkForHost(r.text, options.format, options.layout, options.version);
      expect(r.ourRules?.reasons).toEqual(parsed);
      expect(refusals(r, options, undefined, true)).toEqual(parsed);
    });
  }

  it('should find an oversize file on the carried verdict too, and the guard refuse it', () => {
    const options: RenderOptions = { format: 'entries', layout: 'root' };
    const r = renderSnapshot(snapshots[2]![1], options);
    expect(r.ourRules?.reasons).toEqual([expect.stringMatching(/^file is \d+ bytes; OpenClaw includes at most 2097152$/)]);
    expect(refusals(r, options, undefined, true)).toHaveLength(1);
  });

  it('should not be trusted for other render options: the guard then checks the text', () => {
    const r = renderSnapshot({ agents: rows(2), systemConfig: [], columns: [] }, { format: 'entries', layout: 'root' });
    expect(r.ourRules?.reasons).toEqual([]);
    // The host turned out to read the legacy list: the keyed text is checked again, and refused.
    expect(refusals(r, { format: 'list', layout: 'root' }, undefined, true)).toEqual(
      checkForHost(r.text, 'list', 'root'),
    );
    expect(refusals(r, { format: 'list', layout: 'root' }, undefined, true).length).toBeGreaterThan(0);
    // A render without a verdict (a checker left a setting out and rendered again) is checked from its text.
    expect(refusals({ ...r, ourRules: undefined, text: '{"agents": []}\n' }, { format: 'entries', layout: 'root' }, undefined, true)).toEqual([
      'agents is not an object',
    ]);
  });
});
