import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { classifyAgentsFile } from '../domain/agentsFile.js';
import { untrustedPath, type PathFacts, type UntrustedPath } from '../domain/pathTrust.js';
import { factsOf } from './pathFacts.js';

/** An output path the sync must not write. Its message names the path and what to do. */
export class OutputPathError extends ConfigError {
  override name = 'OutputPathError';
}

/** What is known of the host when the output path is checked. */
export interface OutputPathContext {
  /** The openclaw.json the host reads, when known. */
  configPath?: string;
  /** How the message names the setting. Defaults to `outputPath` (the plugin option); the CLI passes `--output`. */
  label?: string;
  /**
   * Also refuse a directory or symlink another user owns or can write (see untrustedOutputPaths).
   * Defaults to true; doctor turns it off here because it reports ownership as a check of its own.
   */
  ownership?: boolean;
  /**
   * The check runs before a write of a running sync, not at start: a file that is not JSON at all is
   * then a torn or half-made edit of the file the sync has been writing, which the write repairs.
   * Defaults to false.
   */
  beforeWrite?: boolean;
  /**
   * The file this sink last wrote (device and inode). Found again at the path, it is the sync's own
   * file, whatever an in-place edit left in it: its content is not classified again (parsing a
   * 10 000-agent file costs ~100 ms), and a write repairs it. Any other file there is classified.
   */
  ownFile?: FileIdentity;
}

/** Which file a path holds: device and inode, as stat reports them. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/**
 * Checks that `outputPath` may be replaced by the sync, at start and again before every write.
 * Throws an OutputPathError (a ConfigError) when its real path is the host's openclaw.json (or any
 * file named openclaw.json), when it is a symlink to nothing, a directory or another non-regular
 * file, when it is an existing file that is not an agents file (see classifyAgentsFile), or when
 * another user owns or can write its directory or the symlink at it. A path with nothing there yet,
 * an empty file and an agents file pass. Reads only; writes nothing.
 */
export function checkOutputPath(outputPath: string, context: OutputPathContext = {}): void {
  const given = path.resolve(outputPath);
  const label = context.label ?? 'outputPath';
  const refuse: (why: string, advice: string) => never = (why, advice) => {
    throw new OutputPathError(`${label} ${outputPath}: ${why}; refusing to write it (${advice})`);
  };

  let link: fs.Stats | undefined;
  try {
    link = fs.lstatSync(given);
  } catch {
    // Nothing there yet: checked by name below.
  }
  let real: string;
  try {
    real = fs.realpathSync(given);
  } catch {
    if (link?.isSymbolicLink()) throw new OutputPathError(`${label} ${danglingSymlinkMessage(outputPath, fs.readlinkSync(given))}`);
    real = path.join(realPathOf(path.dirname(given)), path.basename(given));
  }

  const config = context.configPath ? realPathOf(path.resolve(context.configPath)) : undefined;
  const via = real === given ? '' : ` (through a symlink: ${real})`;
  if (real === config || path.basename(real) === 'openclaw.json') {
    refuse(`it is ${config && real === config ? "the gateway's own config" : 'named openclaw.json, the name of a gateway config'}${via}`,
      'point it at agents.json beside openclaw.json, which openclaw.json pulls in with $include');
  }
  if (context.ownership !== false) {
    const untrusted = untrustedOutputPaths(outputPath)[0];
    if (untrusted) refuse(untrusted.why, untrusted.fix);
  }
  if (!link) return;

  const stat = fs.statSync(real);
  if (stat.isDirectory()) refuse(`it is a directory${via}`, 'give the path of a file inside it, e.g. agents.json');
  if (!stat.isFile()) refuse(`it is not a regular file${via}`, 'give the path of a regular file');
  if (context.ownFile && stat.dev === context.ownFile.dev && stat.ino === context.ownFile.ino) return;
  let text: string;
  try {
    text = fs.readFileSync(real, 'utf8');
  } catch (error) {
    refuse(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})${via}`, 'make it readable, or choose another path');
  }
  const verdict = classifyAgentsFile(text);
  if (!verdict.agentsFile && !(context.beforeWrite && verdict.unparsable)) {
    refuse(`the existing file is not an agents file: ${verdict.why}${via}`,
      'the sync replaces the whole file; choose another path, or move that file away if it really should be replaced');
  }
}

/**
 * The paths through which another local user could redirect a write of `outputPath`, first the
 * worst: the directory the file is in, a symlink at the output path, and the directory of the
 * symlink's target (where the new file is created and renamed). Each is refused when it is owned by
 * a user other than the sync's (`ownUid`, defaults to the effective uid) and root, or (a directory)
 * writable by group or others, sticky or not. A directory that does not exist yet is not judged
 * (the write fails there on its own).
 */
export function untrustedOutputPaths(outputPath: string, ownUid: number | undefined = process.geteuid?.()): UntrustedPath[] {
  if (ownUid === undefined) return [];
  const given = path.resolve(outputPath);
  const facts: PathFacts[] = [];
  const dir = factsOf(realPathOf(path.dirname(given)), 'the output directory');
  if (dir) facts.push(dir);
  const link = factsOf(given, 'the output symlink');
  if (link?.kind === 'symlink') {
    facts.push(link);
    let target: string | undefined;
    try {
      target = fs.realpathSync(given);
    } catch {
      // A dangling link: refused on its own before any write.
    }
    const targetDir = target === undefined ? undefined : factsOf(path.dirname(target), "the symlink target's directory");
    if (targetDir && targetDir.path !== dir?.path) facts.push(targetDir);
  }
  return facts.map((f) => untrustedPath(f, ownUid)).filter((u): u is UntrustedPath => u !== undefined);
}

/**
 * The rules a running sync re-applies just before each write, drift repairs included: the path
 * must still lead where it led at start (`startTarget`, from writeTarget then) — a symlink that
 * appeared or was re-pointed since is refused, as is everything checkOutputPath refuses. Returns
 * the path the write replaces. Throws an OutputPathError; the write is then not made.
 */
export function checkBeforeWrite(outputPath: string, startTarget: string | undefined, context: OutputPathContext = {}): string {
  const label = context.label ?? 'outputPath';
  const real = writeTarget(outputPath);
  if (startTarget !== undefined && real !== startTarget) {
    throw new OutputPathError(
      `${label} ${outputPath} now leads to ${real}, not to ${startTarget} as when the sync started (a symlink appeared or was re-pointed); ` +
        `refusing to write through it (restore ${outputPath} as a regular file, or restart the sync if the new target is meant)`,
    );
  }
  checkOutputPath(outputPath, { ...context, beforeWrite: true });
  return real;
}

/** Message of a write refused because the output path is a symlink to nothing. */
export function danglingSymlinkMessage(file: string, linkTarget: string): string {
  return `${file} is a symlink to ${linkTarget}, which does not exist: refusing to replace the link with a regular file (create the target or remove the link)`;
}

/**
 * The path a write replaces: the real path of `file` (a symlink is followed), or, for a file that
 * does not exist yet, its name in the real directory. Throws for a dangling symlink.
 */
export function writeTarget(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    // Not there (or a dangling link): decided below.
  }
  let link: string | undefined;
  try {
    if (fs.lstatSync(file).isSymbolicLink()) link = fs.readlinkSync(file);
  } catch {
    // Nothing at all at that path: a new file.
  }
  if (link !== undefined) throw new Error(danglingSymlinkMessage(file, link));
  let dir = path.dirname(file);
  try {
    dir = fs.realpathSync(dir);
  } catch {
    // The directory is missing too; the write will say so.
  }
  return path.join(dir, path.basename(file));
}

/**
 * The real path of `file`, as OpenClaw's include check sees it: symlinks resolved; for a path that
 * does not exist, its nearest existing ancestor resolved and the rest appended.
 */
export function realPathOf(file: string): string {
  const absolute = path.resolve(file);
  try {
    return fs.realpathSync(absolute);
  } catch {
    const parent = path.dirname(absolute);
    return parent === absolute ? absolute : path.join(realPathOf(parent), path.basename(absolute));
  }
}

/**
 * The real path of an existing file (links followed), else the path as given, made absolute: for a
 * path that is watched or compared as it is now, where a file not there yet has no real path.
 */
export function realOrResolved(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}
