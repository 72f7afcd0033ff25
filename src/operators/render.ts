import { map, type OperatorFunction } from 'rxjs';
import { renderSnapshot, type RenderOptions } from '../domain/render.js';
import type { Problem, Rendered, Snapshot } from '../domain/types.js';

/**
 * Turns each database snapshot into the canonical text of agents.json, reporting the rows and keys
 * it had to skip or clamp.
 *
 * It's like map(renderSnapshot), but it also hands each snapshot's problems to `onProblems`.
 *
 * ```
 * snapshot: --s1----s2--|
 *           > render(options)
 * output:   --r1----r2--|
 * ```
 *
 * Completion and errors pass through untouched.
 *
 * ## Example
 * `snapshot$.pipe(render({ format: 'entries', layout: 'root' }, report))`
 *
 * @see map
 * @param options Roster format and file layout, or a function read at each snapshot.
 * @param onProblems Receives every problem of every snapshot (de-duplication is the caller's).
 */
export function render(
  options: RenderOptions | (() => RenderOptions),
  onProblems: (problems: Problem[]) => void = () => undefined,
): OperatorFunction<Snapshot, Rendered> {
  return map(renderer(options, onProblems));
}

/**
 * The step of {@link render} as a plain function, for a flow whose values carry the snapshot with
 * its context (what started the read): `map((v) => ({ ...context, rendered: renderOne(v.snapshot) }))`.
 */
export function renderer(
  options: RenderOptions | (() => RenderOptions),
  onProblems: (problems: Problem[]) => void = () => undefined,
): (snapshot: Snapshot) => Rendered {
  return (snapshot) => {
    const rendered = renderSnapshot(snapshot, typeof options === 'function' ? options() : options);
    onProblems(rendered.problems);
    return rendered;
  };
}
