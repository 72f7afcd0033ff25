import { describe, expect, it } from 'vitest';
import { octalMode, untrustedPath, type PathFacts } from '../../src/domain/pathTrust.js';

const DIR = 0o040000;
const LINK = 0o120000;
const dir = (uid: number, mode: number): PathFacts => ({ path: '/srv/openclaw', kind: 'directory', uid, mode: DIR | mode, role: 'the output directory' });

describe('untrustedPath', () => {
  it('trusts a directory of root or of the sync itself that no one else can write', () => {
    expect(untrustedPath(dir(0, 0o755), 0)).toBeUndefined();
    expect(untrustedPath(dir(1000, 0o700), 1000)).toBeUndefined();
    expect(untrustedPath(dir(0, 0o755), 1000)).toBeUndefined();
  });

  it('refuses a sticky shared directory, saying the sticky bit still lets others create names', () => {
    expect(untrustedPath({ ...dir(0, 0o1777), path: '/tmp' }, 0)).toEqual({
      path: '/tmp',
      why: 'the output directory /tmp is writable by its group and other users (sticky, which still lets them create names) (owner uid 0, mode 1777): another local user could redirect what the sync writes or signals there',
      fix: "chmod go-w /tmp, or choose a directory only the sync's user and root can write",
    });
  });

  it('refuses a group-writable directory and one owned by another user, with the commands that fix each', () => {
    expect(untrustedPath(dir(0, 0o775), 0)?.why).toContain('is writable by its group (owner uid 0, mode 0775)');
    const foreign = untrustedPath(dir(65534, 0o755), 0)!;
    expect(foreign.why).toContain('is owned by another user (owner uid 65534, mode 0755)');
    expect(foreign.fix).toMatch(/^chown root \/srv\/openclaw,/);
    expect(untrustedPath(dir(65534, 0o757), 1000)!.fix).toMatch(/^chown 1000 \/srv\/openclaw && chmod go-w \/srv\/openclaw,/);
  });

  it("judges a symlink by its owner only (its own mode is always 0777)", () => {
    const link: PathFacts = { path: '/srv/openclaw/agents.json', kind: 'symlink', uid: 0, mode: LINK | 0o777, role: 'the output symlink' };
    expect(untrustedPath(link, 0)).toBeUndefined();
    expect(untrustedPath({ ...link, uid: 65534 }, 0)?.fix).toBe('chown -h root /srv/openclaw/agents.json');
  });

  it('writes modes as chmod takes them', () => {
    expect(octalMode(DIR | 0o1777)).toBe('1777');
    expect(octalMode(0o100644)).toBe('0644');
  });
});
