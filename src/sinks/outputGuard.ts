import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import { classifyAgentsFile } from '../domain/agentsFile.js';
import { danglingSymlinkMessage } from './file.js';

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
}

/**
 * Checks, before anything is written, that `outputPath` may be replaced by the sync. Throws an
 * OutputPathError (a ConfigError) when its real path is the host's openclaw.json (or any file
 * named openclaw.json), when it is a symlink to nothing, a directory or another non-regular file,
 * or when it is an existing file that is not an agents file (see classifyAgentsFile). A path with
 * nothing there yet, an empty file and an agents file pass. Reads only; writes nothing.
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
  if (!link) return;

  const stat = fs.statSync(real);
  if (stat.isDirectory()) refuse(`it is a directory${via}`, 'give the path of a file inside it, e.g. agents.json');
  if (!stat.isFile()) refuse(`it is not a regular file${via}`, 'give the path of a regular file');
  let text: string;
  try {
    text = fs.readFileSync(real, 'utf8');
  } catch (error) {
    refuse(`it cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})${via}`, 'make it readable, or choose another path');
  }
  const verdict = classifyAgentsFile(text);
  if (!verdict.agentsFile) {
    refuse(`the existing file is not an agents file: ${verdict.why}${via}`,
      'the sync replaces the whole file; choose another path, or move that file away if it really should be replaced');
  }
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
