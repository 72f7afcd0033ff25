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
  return map((snapshot) => {
    const rendered = renderSnapshot(snapshot, typeof options === 'function' ? options() : options);
    onProblems(rendered.problems);
    // The snapshot's ledger id rides with its render to the writer, which reports the file "through" it.
    const through = (snapshot as { through?: string }).through;
    return through === undefined ? rendered : { ...rendered, through };
  });
}
