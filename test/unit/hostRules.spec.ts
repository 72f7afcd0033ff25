import { describe, expect, it } from 'vitest';
import { checkForHost, MAX_INCLUDE_BYTES } from '../../src/domain/hostRules.js';
import { renderSnapshot } from '../../src/domain/render.js';
import type { Layout, RosterFormat } from '../../src/domain/types.js';

const text = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
const root = (agents: unknown) => text({ agents });

interface Refusal {
  name: string;
  text: string;
  format: RosterFormat;
  layout: Layout;
  /** Substring one of the reasons must contain. */
  reason: string;
}

const one = { model: 'm' };
const refusals: Refusal[] = [
  { name: 'entries on a list host', text: root({ entries: { main: one } }), format: 'list', layout: 'root', reason: 'agents.entries is not accepted by a host that reads the list roster' },
  { name: 'ownership on a list host', text: root({ ownership: 'explicit', list: [{ id: 'a', model: 'm' }] }), format: 'list', layout: 'root', reason: 'agents.ownership is not accepted' },
  { name: 'list on an entries host', text: root({ list: [{ id: 'main', model: 'm' }] }), format: 'entries', layout: 'root', reason: 'agents.list is not accepted by a host that reads the entries roster' },
  { name: 'list on an entries host (section)', text: text({ list: [{ id: 'main', model: 'm' }] }), format: 'entries', layout: 'section', reason: 'agents.list is not accepted' },
  { name: 'several defaults in the list', text: root({ list: [{ id: 'a', default: true, model: 'm' }, { id: 'b', default: true, model: 'm' }] }), format: 'list', layout: 'root', reason: '2 agents are marked default' },
  { name: 'default: false in the list', text: root({ list: [{ id: 'a', default: false, model: 'm' }] }), format: 'list', layout: 'root', reason: 'default must be true when present' },
  { name: 'an id appearing twice in the list', text: root({ list: [{ id: 'a', model: 'm' }, { id: 'a', model: 'n' }] }), format: 'list', layout: 'root', reason: 'id "a" appears twice' },
  { name: 'an upper-case id (entries)', text: root({ entries: { Main: one } }), format: 'entries', layout: 'root', reason: 'id "Main" is not a valid agent id' },
  { name: 'a path id (entries)', text: root({ entries: { '../x': one } }), format: 'entries', layout: 'root', reason: 'id "../x" is not a valid agent id' },
  { name: 'a unicode id (list)', text: root({ list: [{ id: 'ünï', model: 'm' }] }), format: 'list', layout: 'root', reason: 'is not a valid agent id' },
  { name: 'a 65-character id (list)', text: root({ list: [{ id: 'a'.repeat(65), model: 'm' }] }), format: 'list', layout: 'root', reason: 'is not a valid agent id' },
  { name: 'an empty id (list)', text: root({ list: [{ id: '', model: 'm' }] }), format: 'list', layout: 'root', reason: 'id "" is not a valid agent id' },
  { name: 'a missing id (list)', text: root({ list: [{ model: 'm' }] }), format: 'list', layout: 'root', reason: 'is not a valid agent id' },
  { name: '> 1 agent without ownership', text: root({ entries: { a: one, b: one } }), format: 'entries', layout: 'root', reason: 'needs agents.ownership = "explicit"' },
  { name: '> 1 agent with ownership other than explicit', text: text({ ownership: 'implicit', entries: { a: one, b: one } }), format: 'entries', layout: 'section', reason: 'needs agents.ownership = "explicit"' },
  { name: 'an empty model', text: root({ entries: { a: { model: ' ' } } }), format: 'entries', layout: 'root', reason: 'agents.entries.a.model must be a non-empty string' },
  { name: 'a model without fallbacks array', text: root({ entries: { a: { model: { primary: 'p' } } } }), format: 'entries', layout: 'root', reason: 'model must be' },
  { name: 'an unknown agent key', text: root({ entries: { a: { model: 'm', banana: '/tmp' } } }), format: 'entries', layout: 'root', reason: 'agents.entries.a.banana is not an accepted key' },
  { name: 'a bad subagents value', text: root({ list: [{ id: 'a', model: 'm', subagents: { allowAgents: [null] } }] }), format: 'list', layout: 'root', reason: 'subagents must be {allowAgents: string[]}' },
  { name: 'defaults that are not positive integers', text: root({ defaults: { subagents: { maxSpawnDepth: 0 } }, list: [] }), format: 'list', layout: 'root', reason: 'agents.defaults.subagents.maxSpawnDepth must be a positive integer' },
  { name: 'a root layout with another key', text: text({ agents: { list: [] }, models: {} }), format: 'list', layout: 'root', reason: 'root layout must hold exactly one key, "agents"' },
  { name: 'a root-layout file on a section site', text: root({ list: [] }), format: 'list', layout: 'section', reason: 'agents.agents is not accepted' },
  { name: 'not JSON', text: '{"agents": {', format: 'entries', layout: 'root', reason: 'not valid JSON' },
  { name: 'agents not an object', text: root([]), format: 'entries', layout: 'root', reason: 'agents is not an object' },
];

describe('checkForHost', () => {
  for (const r of refusals) {
    it(`can refuse ${r.name}`, () => {
      const reasons = checkForHost(r.text, r.format, r.layout);
      expect(reasons.some((reason) => reason.includes(r.reason)), JSON.stringify(reasons)).toBe(true);
    });
  }

  it('can refuse a file larger than 2 MiB, counting bytes not characters', () => {
    expect(MAX_INCLUDE_BYTES).toBe(2 * 1024 * 1024);
    const model = 'é'.repeat(600_000); // 2 bytes each in UTF-8
    const entries = { a: { model }, b: { model } };
    const big = root({ ownership: 'explicit', entries });
    expect(big.length).toBeLessThan(MAX_INCLUDE_BYTES);
    const reasons = checkForHost(big, 'entries', 'root');
    expect(reasons).toEqual([`file is ${Buffer.byteLength(big, 'utf8')} bytes; OpenClaw includes at most ${MAX_INCLUDE_BYTES}`]);
  });

  it('can accept a file of exactly 2 MiB', () => {
    const base = root({ entries: { a: { model: '' } } });
    const pad = MAX_INCLUDE_BYTES - Buffer.byteLength(base, 'utf8');
    const exact = root({ entries: { a: { model: 'm'.repeat(pad) } } });
    expect(Buffer.byteLength(exact, 'utf8')).toBe(MAX_INCLUDE_BYTES);
    expect(checkForHost(exact, 'entries', 'root')).toEqual([]);
  });

  const accepted: { name: string; text: string; format: RosterFormat; layout: Layout }[] = [
    { name: 'one entry without ownership', text: root({ entries: { main: one } }), format: 'entries', layout: 'root' },
    { name: 'two entries with ownership (section)', text: text({ ownership: 'explicit', entries: { a: one, b: { model: { primary: 'p', fallbacks: ['f'] }, subagents: { allowAgents: ['*', 'a'] } } } }), format: 'entries', layout: 'section' },
    { name: 'an empty entries roster', text: root({ entries: {} }), format: 'entries', layout: 'root' },
    { name: 'only defaults', text: root({ defaults: { subagents: { maxSpawnDepth: 5, maxConcurrent: 8, maxChildrenPerAgent: 20 } } }), format: 'entries', layout: 'root' },
    { name: 'a list with one default', text: root({ list: [{ id: 'a', default: true, model: 'm' }, { id: 'b', model: 'm' }] }), format: 'list', layout: 'root' },
    { name: 'a list without a default (section)', text: text({ list: [{ id: 'a', model: 'm' }, { id: 'b-2_c', model: 'm' }] }), format: 'list', layout: 'section' },
    { name: 'an empty list', text: root({ list: [] }), format: 'list', layout: 'root' },
  ];
  for (const a of accepted) {
    it(`can accept ${a.name}`, () => {
      expect(checkForHost(a.text, a.format, a.layout)).toEqual([]);
    });
  }

  it('can accept what renderSnapshot writes for several agents, and refuse it for the other roster shape', () => {
    const snapshot = {
      agents: [
        { id: 1, name: 'a', model: 'm', is_default: true },
        { id: 2, name: 'b', model: 'm', is_default: true, allowed_subagents: ['a'] },
      ],
      systemConfig: [],
      columns: ['is_default', 'allowed_subagents'],
    };
    for (const layout of ['root', 'section'] as const) {
      const entries = renderSnapshot(snapshot, { format: 'entries', layout }).text;
      const list = renderSnapshot(snapshot, { format: 'list', layout }).text;
      expect(checkForHost(entries, 'entries', layout)).toEqual([]);
      expect(checkForHost(list, 'list', layout)).toEqual([]);
      expect(checkForHost(entries, 'list', layout).length).toBeGreaterThan(0);
      expect(checkForHost(list, 'entries', layout).length).toBeGreaterThan(0);
    }
  });
});
