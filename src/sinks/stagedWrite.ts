import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Between the target's name and the random part of a staging name: `.agents.json.acs-staging-<hex>`. */
export const STAGING_INFIX = '.acs-staging-';

/** Random bytes in a staging name (hex-encoded: 32 characters). */
const STAGING_RANDOM_BYTES = 16;

/**
 * Opens only a name that did not exist, and never through a symlink: with O_EXCL a planted file or
 * link at that name makes the open fail (EEXIST) instead of writing through it, and O_NOFOLLOW
 * refuses a link even where O_EXCL alone would be enough, so the intent is stated twice.
 */
const EXCLUSIVE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;

/** Mode and owner the replacement gets. */
export interface Keep {
  /** Permission bits of the new file (the existing file's, or 0644 for a new one). */
  mode: number;
  /** Owner of the existing file, given to the new one; omitted for a new file (it stays the writer's). */
  owner?: { uid: number; gid: number };
}

/**
 * A staging name for `base`: `.<base>.acs-staging-<32 hex digits>`, from the system's random source.
 * Another local user cannot guess it, so cannot plant a link at it before the write; a name built
 * from the pid and a counter (or a hash of them) can be computed in advance.
 */
export function stagingName(base: string): string {
  return `.${base}${STAGING_INFIX}${randomBytes(STAGING_RANDOM_BYTES).toString('hex')}`;
}

/** Whether `rest` (what follows `.<base>.acs-staging-`) is the random part of a staging name of ours. */
export function isStagingSuffix(rest: string): boolean {
  return new RegExp(`^[0-9a-f]{${STAGING_RANDOM_BYTES * 2}}$`).test(rest);
}

/**
 * Replaces `real` (a path whose directory is already resolved) with `text`: a new staging file
 * beside it, created exclusively (never following a name that exists), written, given its owner and
 * mode and fsynced through its own descriptor (no later call looks the name up again), then renamed
 * over `real`, and the directory fsynced so the rename survives a crash. Returns the new file's
 * device and inode. On failure the staging file is removed only when this call created it.
 */
export async function replaceThroughStaging(real: string, text: string, keep: Keep): Promise<{ dev: number; ino: number }> {
  const dir = path.dirname(real);
  const staging = path.join(dir, stagingName(path.basename(real)));
  let handle: fs.promises.FileHandle | undefined;
  let created = false;
  try {
    // 0600 until the content and the owner are in place: no one reads a half-written roster.
    handle = await fs.promises.open(staging, EXCLUSIVE, 0o600);
    created = true;
    await handle.writeFile(text, 'utf8');
    if (keep.owner) await handle.chown(keep.owner.uid, keep.owner.gid).catch(ignoreUnprivilegedChown);
    // After chown, which may clear set-id bits; fchmod is not subject to the umask, open's mode is.
    await handle.chmod(keep.mode);
    await handle.sync();
    const { dev, ino } = await handle.stat();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(staging, real);
    fsyncDirectory(dir);
    return { dev, ino };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    if (created) await fs.promises.rm(staging, { force: true }).catch(() => undefined);
    throw error;
  }
}

/**
 * A writer that is not root cannot give a file away: the new file then stays the writer's, as a
 * plain rewrite by that user would leave it. Root's failure to chown is a real error.
 */
function ignoreUnprivilegedChown(error: NodeJS.ErrnoException): void {
  const root = process.geteuid?.() === 0;
  if (error.code === 'ENOSYS' || (!root && (error.code === 'EPERM' || error.code === 'EINVAL'))) return;
  throw error;
}

function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself already happened.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
