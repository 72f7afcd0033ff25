import { describe, expect, it } from 'vitest';
import { describeHost, planOutput, type HostFacts, type OutputOptions } from '../../src/domain/plan.js';
import { parseHostVersion } from '../../src/domain/hostProfile.js';

const CONFIG = '/cfg/openclaw.json';
const auto: OutputOptions = { format: 'auto', layout: 'auto', reload: 'auto', reloadSignal: 'SIGUSR1' };
const v = (text: string) => parseHostVersion(text);

interface Case {
  name: string;
  options?: Partial<OutputOptions>;
  host: HostFacts;
  outputPath: string;
  format: 'entries' | 'list';
  layout: 'root' | 'section';
  reload: 'none' | 'touch' | 'signal';
  /** Substrings, one per expected warning (exactly this many warnings). */
  warnings: string[];
}

const cases: Case[] = [
  {
    name: 'the default path beside openclaw.json, included at the root, on 2026.9.6',
    host: { version: v('2026.9.6'), configPath: CONFIG, config: { $include: './agents.json' } },
    outputPath: '/cfg/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: [],
  },
  {
    name: 'the default path, included as a section, on 2026.4.29',
    host: { version: v('2026.4.29'), configPath: CONFIG, config: { agents: { $include: './agents.json' } } },
    outputPath: '/cfg/agents.json', format: 'list', layout: 'section', reload: 'touch', warnings: [],
  },
  {
    name: 'a relative outputPath, resolved against the directory of openclaw.json (2026.7.35)',
    options: { outputPath: 'conf.d/roster.json' },
    host: { version: v('2026.7.35'), configPath: CONFIG, config: { agents: { $include: 'conf.d/roster.json' } } },
    outputPath: '/cfg/conf.d/roster.json', format: 'list', layout: 'section', reload: 'touch', warnings: [],
  },
  {
    name: 'a file openclaw.json does not include (layout falls back to root)',
    host: { version: v('2026.8.2'), configPath: CONFIG, config: { agents: { list: [] } } },
    outputPath: '/cfg/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: ['/cfg/openclaw.json does not $include /cfg/agents.json'],
  },
  {
    name: 'a file outside the include roots',
    options: { outputPath: '/srv/agents.json' },
    host: { version: v('2026.8.2'), configPath: CONFIG, config: { $include: '/srv/agents.json' } },
    outputPath: '/srv/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: ['/srv/agents.json is outside the directories $include may read'],
  },
  {
    name: 'a file outside the config directory but inside OPENCLAW_INCLUDE_ROOTS',
    options: { outputPath: '/srv/agents.json' },
    host: { version: v('2026.8.2'), configPath: CONFIG, config: { $include: '/srv/agents.json' }, includeRoots: ['/srv'] },
    outputPath: '/srv/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: [],
  },
  {
    name: 'a ".." escape, not included either',
    options: { outputPath: '../etc/agents.json' },
    host: { version: v('2026.9.6'), configPath: CONFIG, config: {} },
    outputPath: '/etc/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: ['does not $include /etc/agents.json', '/etc/agents.json is outside'],
  },
  {
    name: 'an unreadable openclaw.json: no include warning, inside check still done',
    host: { version: v('2026.9.6'), configPath: CONFIG },
    outputPath: '/cfg/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: [],
  },
  {
    name: 'an explicit format the host does not read',
    options: { format: 'entries' },
    host: { version: v('2026.4.29'), configPath: CONFIG, config: { $include: './agents.json' } },
    outputPath: '/cfg/agents.json', format: 'entries', layout: 'root', reload: 'touch', warnings: ['format "entries" is not the roster shape OpenClaw 2026.4.29 expects (list)'],
  },
  {
    name: 'an explicit layout that does not match the include',
    options: { layout: 'root' },
    host: { version: v('2026.9.6'), configPath: CONFIG, config: { agents: { $include: './agents.json' } } },
    outputPath: '/cfg/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: ['layout "root" does not match how openclaw.json includes the file (section)'],
  },
  {
    name: 'an explicit format on an unknown host (no warning)',
    options: { format: 'list', layout: 'section' },
    host: { configPath: CONFIG, config: { agents: { $include: './agents.json' } } },
    outputPath: '/cfg/agents.json', format: 'list', layout: 'section', reload: 'none', warnings: [],
  },
  {
    name: 'reload touch without openclaw.json → none, with a warning',
    options: { outputPath: '/srv/agents.json', reload: 'touch' },
    host: { version: v('2026.9.6') },
    outputPath: '/srv/agents.json', format: 'entries', layout: 'root', reload: 'none', warnings: ['reload "touch" needs the path of openclaw.json'],
  },
  {
    name: 'auto reload on an old host without openclaw.json → none, with a warning',
    options: { outputPath: '/srv/agents.json' },
    host: { version: v('2026.7.35') },
    outputPath: '/srv/agents.json', format: 'list', layout: 'root', reload: 'none', warnings: ['reload "touch" needs the path of openclaw.json'],
  },
  {
    name: 'an explicit signal reload',
    options: { reload: 'signal', reloadSignal: 'SIGHUP' },
    host: { version: v('2026.8.2'), configPath: CONFIG, config: { $include: './agents.json' } },
    outputPath: '/cfg/agents.json', format: 'entries', layout: 'root', reload: 'signal', warnings: [],
  },
];

describe('planOutput', () => {
  for (const c of cases) {
    it(`can plan ${c.name}`, () => {
      const plan = planOutput({ ...auto, ...c.options }, c.host);
      expect(plan.outputPath).toBe(c.outputPath);
      expect({ format: plan.render.format, layout: plan.render.layout }).toEqual({ format: c.format, layout: c.layout });
      expect(plan.reload.kind).toBe(c.reload);
      expect(plan.warnings).toHaveLength(c.warnings.length);
      c.warnings.forEach((w) => expect(plan.warnings.some((x) => x.includes(w)), `${w} in ${JSON.stringify(plan.warnings)}`).toBe(true));
      expect(plan.summary).toContain(`format ${c.format}, layout ${c.layout}, reload ${c.reload}`);
    });
  }

  it('can pass the signal through and report the include site', () => {
    const plan = planOutput({ ...auto, reload: 'signal', reloadSignal: 'SIGUSR2' }, { version: v('2026.8.2'), configPath: CONFIG, config: { agents: { $include: './agents.json', ownership: 'x' } } });
    expect(plan.reload).toEqual({ kind: 'signal', signal: 'SIGUSR2', why: 'SIGUSR2 is sent to this process after each write, as the reload option says' });
    expect(plan.include).toEqual({ found: true, layout: 'section', siblings: { ownership: 'x' } });
  });

  it('can warn when a symlink takes the output outside the directories $include may read', () => {
    const realPath = (p: string) => (p === '/cfg/agents.json' ? '/srv/managed/agents.json' : p);
    const plan = planOutput(auto, { version: v('2026.9.6'), configPath: CONFIG, config: { $include: './agents.json' }, realPath });
    expect(plan.warnings).toEqual([
      '/cfg/agents.json resolves through a symlink to /srv/managed/agents.json, which is outside the directories $include may read ' +
        '(the directory of /cfg/openclaw.json and OPENCLAW_INCLUDE_ROOTS): OpenClaw resolves symlinks and refuses this $include',
    ]);
    const allowed = planOutput(auto, { version: v('2026.9.6'), configPath: CONFIG, config: { $include: './agents.json' }, includeRoots: ['/srv/managed'], realPath });
    expect(allowed.warnings).toEqual([]);
  });

  it('can refuse to plan without an outputPath and without openclaw.json', () => {
    expect(() => planOutput(auto, {})).toThrow('outputPath is not set and the location of openclaw.json is unknown; set outputPath.');
  });
});

describe('describeHost', () => {
  it('can say what an unknown host is assumed to do, and what a known one reloads on', () => {
    expect(describeHost(undefined)).toBe('OpenClaw version unknown (assumed 2026.8 or newer, which reloads when an included file changes)');
    expect(describeHost({ year: 2026, month: 9, patch: 6 })).toBe('OpenClaw 2026.9.6 (reloads when an included file changes)');
    expect(describeHost({ year: 2026, month: 4, patch: 29 })).toBe('OpenClaw 2026.4.29 (reloads only when openclaw.json changes)');
  });
});
