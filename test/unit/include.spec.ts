import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { includeRootsFromEnv } from '../../src/host.js';
import { findInclude, findShadowedKeys, includeRootVerdict, includeRoots, isInsideIncludeRoots, type IncludeSite, type RealPaths } from '../../src/domain/include.js';

const CONFIG = '/cfg/openclaw.json';
const OUT = '/cfg/agents.json';

describe('findInclude', () => {
  const table: { name: string; config: unknown; output?: string; expected: IncludeSite }[] = [
    { name: 'a root include (only $include)', config: { $include: './agents.json' }, expected: { found: true, layout: 'root', siblings: {} } },
    {
      name: 'a root include with siblings',
      config: { $include: 'agents.json', gateway: { mode: 'local' }, agents: { defaults: { subagents: { maxSpawnDepth: 2 } } } },
      expected: { found: true, layout: 'root', siblings: { gateway: { mode: 'local' }, agents: { defaults: { subagents: { maxSpawnDepth: 2 } } } } },
    },
    { name: 'a root include in an array', config: { $include: ['./models.json', './agents.json'] }, expected: { found: true, layout: 'root', siblings: {} } },
    { name: 'a root include by absolute path', config: { $include: OUT }, expected: { found: true, layout: 'root', siblings: {} } },
    { name: 'a section include', config: { gateway: {}, agents: { $include: './agents.json' } }, expected: { found: true, layout: 'section', siblings: {} } },
    {
      name: 'a section include with siblings',
      config: { agents: { $include: './agents.json', defaults: { workspace: '~/w' }, list: [{ id: 'ops' }] } },
      expected: { found: true, layout: 'section', siblings: { defaults: { workspace: '~/w' }, list: [{ id: 'ops' }] } },
    },
    { name: 'a section include when the root includes another file', config: { $include: './models.json', agents: { $include: './agents.json' } }, expected: { found: true, layout: 'section', siblings: {} } },
    { name: 'an include in a sub-directory', config: { agents: { $include: './conf.d/agents.json' } }, output: '/cfg/conf.d/agents.json', expected: { found: true, layout: 'section', siblings: {} } },
    { name: 'an include of another file', config: { agents: { $include: './other.json' } }, expected: { found: false } },
    { name: 'an include of the same name in another directory', config: { $include: './sub/agents.json' }, expected: { found: false } },
    { name: 'an include deeper than agents (not a site we write)', config: { models: { $include: './agents.json' } }, expected: { found: false } },
    { name: 'a non-string $include', config: { $include: 42 }, expected: { found: false } },
    { name: 'no include at all', config: { agents: { list: [] } }, expected: { found: false } },
    { name: 'a config that is not an object', config: ['agents.json'], expected: { found: false } },
    { name: 'a NULL config', config: null, expected: { found: false } },
  ];
  for (const c of table) {
    it(`can find ${c.name}`, () => {
      expect(findInclude(c.config, CONFIG, c.output ?? OUT)).toEqual(c.expected);
    });
  }
});

describe('isInsideIncludeRoots', () => {
  const table: [string, string, string[], boolean][] = [
    ['a file beside openclaw.json', OUT, [], true],
    ['a file in a sub-directory', '/cfg/conf.d/agents.json', [], true],
    ['a name that starts with two dots', '/cfg/..agents.json', [], true],
    ['a ".." escape', '/cfg/../etc/agents.json', [], false],
    ['a deeper ".." escape', '/cfg/sub/../../x.json', [], false],
    ['the parent directory itself', '/', [], false],
    ['the config directory itself', '/cfg', [], false],
    ['a sibling directory sharing a prefix', '/cfgx/agents.json', [], false],
    ['a file elsewhere', '/srv/agents.json', [], false],
    ['a file in an extra root', '/srv/agents.json', ['/srv'], true],
    ['a file in an extra root with a trailing slash', '/srv/fleet/agents.json', ['/srv/'], true],
    ['a file in the second extra root', '/opt/x/agents.json', ['/srv', '/opt/x'], true],
    ['a ".." escape from an extra root', '/srv/../etc/agents.json', ['/srv'], false],
    ['a file in none of the extra roots', '/etc/agents.json', ['/srv', '/opt'], false],
  ];
  for (const [name, file, roots, expected] of table) {
    it(`can tell ${name} is ${expected ? 'inside' : 'outside'}`, () => {
      expect(isInsideIncludeRoots(file, CONFIG, roots)).toBe(expected);
    });
  }

  it('can read extra roots from OPENCLAW_INCLUDE_ROOTS', () => {
    const roots = includeRootsFromEnv({ OPENCLAW_INCLUDE_ROOTS: ['/srv', '', '/opt/x'].join(path.delimiter) });
    expect(roots).toEqual(['/srv', '/opt/x']);
    expect(includeRootsFromEnv({})).toEqual([]);
    expect(isInsideIncludeRoots('/opt/x/agents.json', CONFIG, roots)).toBe(true);
    expect(isInsideIncludeRoots('/opt/agents.json', CONFIG, roots)).toBe(false);
  });
});

describe('includeRootVerdict (real paths, as OpenClaw checks them)', () => {
  /** A fake file system of symlinks: path prefix → where it really is. */
  const realOf = (links: Record<string, string>) => (p: string) => {
    for (const [from, to] of Object.entries(links)) if (p === from || p.startsWith(`${from}/`)) return to + p.slice(from.length);
    return p;
  };
  const real = (file: string, extra: string[], links: Record<string, string>): RealPaths => {
    const of = realOf(links);
    return { file: of(file), roots: includeRoots(CONFIG, extra).map(of) };
  };

  it('can tell a symlink whose real path leaves the config directory is refused', () => {
    const links = { '/cfg/agents.json': '/srv/managed/agents.json' };
    expect(isInsideIncludeRoots(OUT, CONFIG)).toBe(true);
    expect(includeRootVerdict(OUT, CONFIG, [], real(OUT, [], links))).toEqual({ inside: false, cause: 'symlink', realFile: '/srv/managed/agents.json' });
  });

  it('can tell a symlinked sub-directory that leaves the config directory is refused', () => {
    const file = '/cfg/conf.d/agents.json';
    expect(includeRootVerdict(file, CONFIG, [], real(file, [], { '/cfg/conf.d': '/etc/fleet' }))).toEqual({ inside: false, cause: 'symlink', realFile: '/etc/fleet/agents.json' });
  });

  it('can accept a symlink whose real path is inside OPENCLAW_INCLUDE_ROOTS', () => {
    expect(includeRootVerdict(OUT, CONFIG, ['/srv/managed'], real(OUT, ['/srv/managed'], { '/cfg/agents.json': '/srv/managed/agents.json' }))).toEqual({ inside: true });
  });

  it('can accept a symlink that stays inside the config directory', () => {
    expect(includeRootVerdict(OUT, CONFIG, [], real(OUT, [], { '/cfg/agents.json': '/cfg/generated/agents.json' }))).toEqual({ inside: true });
  });

  it('can accept a config directory that is itself a symlink (its real path is the root)', () => {
    expect(includeRootVerdict(OUT, CONFIG, [], real(OUT, [], { '/cfg': '/data/openclaw' }))).toEqual({ inside: true });
  });

  it('can still refuse a path outside every root, whatever its real path', () => {
    expect(includeRootVerdict('/srv/agents.json', CONFIG, [], real('/srv/agents.json', [], { '/srv': '/cfg' }))).toEqual({ inside: false, cause: 'path' });
  });

  it('can check the path alone when no real paths are given', () => {
    expect(includeRootVerdict(OUT, CONFIG)).toEqual({ inside: true });
    expect(includeRootVerdict('/etc/agents.json', CONFIG)).toEqual({ inside: false, cause: 'path' });
  });
});

describe('findShadowedKeys', () => {
  const ours = {
    agents: {
      defaults: { subagents: { maxSpawnDepth: 5, maxConcurrent: 3 } },
      ownership: 'explicit',
      entries: { main: { model: 'db/model' }, ops: { model: 'db/ops' } },
    },
  };

  it('can report a sibling scalar that overrides the DB value (root layout)', () => {
    const site = findInclude({ $include: './agents.json', agents: { defaults: { subagents: { maxSpawnDepth: 2 } } } }, CONFIG, OUT);
    expect(findShadowedKeys(site, ours)).toEqual([{ path: 'agents.defaults.subagents.maxSpawnDepth', kind: 'overridden', ours: 5, theirs: 2 }]);
  });

  it('can report overridden agent fields and ownership (section layout)', () => {
    const site = findInclude({ agents: { $include: './agents.json', ownership: 'legacy', entries: { main: { model: 'json/model', workspace: '/w' }, other: { model: 'x' } } } }, CONFIG, OUT);
    expect(findShadowedKeys(site, ours.agents)).toEqual([
      { path: 'agents.entries.main.model', kind: 'overridden', ours: 'db/model', theirs: 'json/model' },
      { path: 'agents.ownership', kind: 'overridden', ours: 'explicit', theirs: 'legacy' },
    ]);
  });

  it('can report arrays that are concatenated', () => {
    const site = findInclude({ agents: { $include: './agents.json', list: [{ id: 'legacy' }] } }, CONFIG, OUT);
    const file = { list: [{ id: 'main', model: 'm' }] };
    expect(findShadowedKeys(site, file)).toEqual([{ path: 'agents.list', kind: 'concatenated', ours: file.list, theirs: [{ id: 'legacy' }] }]);
  });

  it('can report an object replaced by a scalar, and a scalar by an object, as overridden', () => {
    const site = findInclude({ agents: { $include: './agents.json', defaults: 'none', entries: { main: { model: { primary: 'p', fallbacks: [] } } } } }, CONFIG, OUT);
    expect(findShadowedKeys(site, ours.agents)).toEqual([
      { path: 'agents.defaults', kind: 'overridden', ours: ours.agents.defaults, theirs: 'none' },
      { path: 'agents.entries.main.model', kind: 'overridden', ours: 'db/model', theirs: { primary: 'p', fallbacks: [] } },
    ]);
  });

  it('can find nothing when siblings set only other keys', () => {
    const site = findInclude({ $include: './agents.json', gateway: { mode: 'local' }, agents: { defaults: { workspace: '~/w' } } }, CONFIG, OUT);
    expect(site.found).toBe(true);
    expect(findShadowedKeys(site, ours)).toEqual([]);
  });

  it('can find nothing when the file is not included', () => {
    expect(findShadowedKeys({ found: false }, ours)).toEqual([]);
  });
});
