import { checkForHost, rulesKey } from './hostRules.js';
import { countAgentsInText, type RenderOptions } from './render.js';
import type { Rendered } from './types.js';

/** Reasons not to replace the file: the host would reject it, or it would empty a non-empty roster. */
/**
 * @param current The file's text now, or a function that reads it: it is needed only for an empty
 *   render, so the pipeline passes the read and skips it on every other render.
 */
export function refusals(
  r: Rendered,
  render: RenderOptions,
  current: string | undefined | (() => string | undefined),
  allowEmpty: boolean,
): string[] {
  const known = r.ourRules?.for === rulesKey(render) ? r.ourRules.reasons : undefined;
  const reasons = [...(known ?? checkForHost(r.text, render.format, render.layout, render.version)), ...(r.rejected ?? [])];
  // The file on disk is parsed only when it matters: an empty render that may empty a roster.
  const had = !allowEmpty && r.agentCount === 0 ? countAgentsInText(typeof current === 'function' ? current() : current) : 0;
  if (had > 0) {
    reasons.push(`the database exports no agents while the file has ${had} (set allowEmpty to allow an empty roster)`);
  }
  return reasons;
}
