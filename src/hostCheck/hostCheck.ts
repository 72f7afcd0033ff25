import { Observable } from 'rxjs';
import { modelToAgentsObject, renderModel, type RenderOptions } from '../domain/agentsObject.js';
import { formatVersion } from '../domain/hostProfile.js';
import { describeIssue, type HostIssue } from '../domain/hostRules.js';
import { leaveOutRejected, MAX_ROUNDS } from '../domain/leaveOut.js';
import type { Problem, Rendered } from '../domain/types.js';
import type { HostChecker } from './checker.js';

/** Options of {@link makeHostCheck}. */
export interface HostCheckOptions {
  /** Who checks: the host's validator in this process, or its CLI; a promise while it is being loaded. */
  checker: HostChecker | PromiseLike<HostChecker>;
  /** The render options in force (format, layout, version). */
  render: () => RenderOptions;
  /** Told the problems of what the host's schema made us leave out (each call: one check). */
  onProblems: (problems: Problem[]) => void;
  /** Told when the host cannot be asked: the file then rests on our own rules (the floor). */
  onUnavailable: (error: string) => void;
  /** Told when the host answers again after being unavailable. */
  onAvailable?: () => void;
}

/** Most verdicts remembered (by the exact agents object), so an unchanged roster is never checked twice. */
const CACHED = 16;

/**
 * The host-check stage (DESIGN §10): each render, already cut to our own rules, is validated by the
 * host's own validator before it may replace the file — every render when the checker is cheap (in
 * process), only those holding free-form settings (`openclaw_config`) when it is a child process. What
 * the host rejects is left out setting by setting (or agent by agent when not separable), with a
 * problem naming the row and the key, and the rest is rendered again and checked again. When the host
 * cannot be asked, the render passes as it is (our rules stay the floor). Unsubscribing stops a running check.
 */
export function makeHostCheck(options: HostCheckOptions): (r: Rendered) => Observable<Rendered> {
  const verdicts = new Map<string, HostIssue[]>();
  let unavailable = false;

  async function check(r: Rendered, signal: AbortSignal): Promise<Rendered> {
    if (!r.model) return r;
    const host = await options.checker;
    if (signal.aborted) return r;
    // A child process costs seconds a roster: it is asked only about free-form settings (openclaw_config),
    // since every value the dedicated columns write is one our own rules check.
    if (!host.everyRender && !r.model.agents.some((a) => a.settings !== undefined)) return r;
    const render = options.render();
    const checker = host.label || `OpenClaw ${formatVersion(render.version)}`;
    const problems: Problem[] = [];
    const done = (rendered: Rendered, rejected?: string[]): Rendered => {
      options.onProblems(problems);
      return { ...rendered, problems: [...r.problems, ...problems], ...(rejected ? { rejected } : {}) };
    };
    let current: Rendered = r;
    for (let round = 1; ; round += 1) {
      const agents = modelToAgentsObject(current.model!, render);
      const key = JSON.stringify(agents);
      let issues = verdicts.get(key);
      if (issues === undefined) {
        const outcome = await host.validate(agents, signal);
        if (signal.aborted) return done(current);
        if (!outcome.ok) {
          unavailable = true;
          options.onUnavailable(outcome.error);
          return done(current);
        }
        if (unavailable) options.onAvailable?.();
        unavailable = false;
        issues = outcome.issues;
        verdicts.set(key, issues);
        if (verdicts.size > CACHED) verdicts.delete(verdicts.keys().next().value!);
      }
      if (issues.length === 0) return done(current);
      const next = round > MAX_ROUNDS ? undefined : leaveOutRejected(current.model!, issues, render.format, checker);
      if (next === undefined || next.problems.length === 0) {
        const left = next?.unresolved ?? issues;
        return done(current, left.map((i) => `${checker} rejects ${describeIssue(i)}`));
      }
      problems.push(...next.problems);
      current = renderModel(next.model, render);
    }
  }

  return (r) =>
    new Observable<Rendered>((subscriber) => {
      const abort = new AbortController();
      check(r, abort.signal).then(
        (checked) => {
          subscriber.next(checked);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
      // Unsubscribing (a newer render, or the pipeline stopping) kills a running host process or stops between slices.
      return () => abort.abort();
    });
}
