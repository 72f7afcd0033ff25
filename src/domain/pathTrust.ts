/**
 * Who, besides the sync, could change a path the sync writes through or reads a pid from. Pure: the
 * caller gathers the facts (lstat) and names the sync's user.
 *
 * A local user of the host is trusted with nothing: if such a user owns a directory the sync writes
 * in, or can create and rename names there, that user can plant a link where the sync will write,
 * or swap the file between the check and the rename. The sticky bit (1777, as /tmp) does not help:
 * it stops a user from removing another's names, not from creating new ones. So only the sync's own
 * user and root may own such a path, and no group or other write bit may be set.
 */

/** What lstat says of one path. */
export interface PathFacts {
  path: string;
  kind: 'directory' | 'file' | 'symlink' | 'other';
  uid: number;
  /** `st_mode`; only the permission bits are read. */
  mode: number;
  /** What the path is to the sync, for the message: "the output directory", "the pid file", … */
  role: string;
}

/** A path another user could change, with what to do about it. */
export interface UntrustedPath {
  path: string;
  /** A sentence part: "the output directory /tmp is writable by other users (owner uid 0, mode 1777)". */
  why: string;
  /** The commands that make it safe. */
  fix: string;
}

/** Group and other write bits. */
const SHARED_WRITE = 0o022;

/** The mode as `ls -l` users write it for chmod: four octal digits (1777, 0755). */
export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Whether another user could change `facts.path`: owned by a user other than `ownUid` and root,
 * or (a directory or file) writable by its group or others. A symlink's own mode is always 0777 and
 * means nothing; only its owner counts (and the directory it lies in, checked as a directory).
 */
export function untrustedPath(facts: PathFacts, ownUid: number): UntrustedPath | undefined {
  const owner = ownerText(ownUid);
  const foreign = facts.uid !== ownUid && facts.uid !== 0;
  const shared = facts.kind !== 'symlink' && (facts.mode & SHARED_WRITE) !== 0;
  if (!foreign && !shared) return undefined;
  const seen = `owner uid ${facts.uid}, mode ${octalMode(facts.mode)}`;
  const problems = [foreign ? `owned by another user` : '', shared ? `writable by ${whoCanWrite(facts.mode)}${stickyNote(facts)}` : '']
    .filter(Boolean)
    .join(' and ');
  const commands = [foreign ? `chown ${facts.kind === 'symlink' ? '-h ' : ''}${owner} ${facts.path}` : '', shared ? `chmod go-w ${facts.path}` : '']
    .filter(Boolean)
    .join(' && ');
  return {
    path: facts.path,
    why: `${facts.role} ${facts.path} is ${problems} (${seen}): another local user could redirect what the sync writes or signals there`,
    fix: `${commands}${facts.kind === 'directory' ? ', or choose a directory only the sync\'s user and root can write' : ''}`,
  };
}

function whoCanWrite(mode: number): string {
  const group = (mode & 0o020) !== 0;
  const other = (mode & 0o002) !== 0;
  return group && other ? 'its group and other users' : group ? 'its group' : 'other users';
}

function stickyNote(facts: PathFacts): string {
  return facts.kind === 'directory' && (facts.mode & 0o1000) !== 0 ? ' (sticky, which still lets them create names)' : '';
}

function ownerText(ownUid: number): string {
  return ownUid === 0 ? 'root' : String(ownUid);
}
