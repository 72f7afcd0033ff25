import { Observable } from 'rxjs';
import { modelToAgentsObject, renderModel, type RenderOptions } from '../domain/agentsObject.js';
import { formatVersion } from '../domain/hostProfile.js';
import { describeIssue, type HostIssue } from '../domain/hostRules.js';
import { leaveOutRejected, MAX_ROUNDS } from '../domain/leaveOut.js';
import type { Problem, Rendered } from '../domain/types.js';
import { validateWithOpenclaw, type OpenclawCommand, type ValidateOutcome } from './openclawValidate.js';

/** Options of {@link makeHostCheck}. */
export interface HostCheckOptions {
  /** The host's CLI. */
  command: OpenclawCommand;
  /** The render options in force (format, layout, version). */
  render: () => RenderOptions;
  /** Told the problems of what the host's schema made us leave out (each call: one check). */
  onProblems: (problems: Problem[]) => void;
  /** Told when the host cannot be asked: the file then rests on our own rules (the floor). */
  onUnavailable: (error: string) => void;
  /** Told when the host answers again after being unavailable. */
  onAvailable?: () => void;
  /** The validator. Defaults to {@link validateWithOpenclaw} (tests inject a fake). */
  validate?: (command: OpenclawCommand, agents: unknown, signal: AbortSignal) => Promise<ValidateOutcome>;
}

/** Most verdicts remembered (by the exact agents object), so an unchanged roster is never checked twice. */
const CACHED = 16;

/**
 * The host-check stage (DESIGN §10): each render that holds free-form settings (`openclaw_config`),
 * already cut to our own rules, is validated by the host's own schema before it may replace the file; what the host rejects is left out setting by
 * setting (or agent by agent when not separable), with a problem naming the row and the key, and the
 * rest is rendered again and checked again. When the host cannot be asked, the render passes as it
 * is (our rules stay the floor). Unsubscribing kills a running check.
 */
export function makeHostCheck(options: HostCheckOptions): (r: Rendered) => Observable<Rendered> {
  const validate = options.validate ?? ((command, agents, signal) => validateWithOpenclaw(command, agents, { signal }));
  const verdicts = new Map<string, HostIssue[]>();
  let unavailable = false;

  async function check(r: Rendered, signal: AbortSignal): Promise<Rendered> {
    // Only free-form settings (openclaw_config) need the host: every value the dedicated columns write
    // (model, fallbacks, allowAgents, thinking levels per version, heartbeat durations, subagent
    // defaults) is already checked by our rules, and asking the host costs 2–5 s per new roster.
    if (!r.model || !r.model.agents.some((a) => a.settings !== undefined)) return r;
    const render = options.render();
    const checker = options.command.label || `OpenClaw ${formatVersion(render.version)}`;
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
        const outcome = await validate(options.command, agents, signal);
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
      // Unsubscribing (a newer render, or the pipeline stopping) kills a running host process.
      return () => abort.abort();
    });
}
