import path from 'node:path';
import { Observable } from 'rxjs';
import { modelToAgentsObject, renderModel, type RenderOptions } from '../domain/agentsObject.js';
import { formatVersion } from '../domain/hostProfile.js';
import { describeIssue } from '../domain/hostRules.js';
import { leaveOutRejected, MAX_ROUNDS } from '../domain/leaveOut.js';
import { agentIdsOf, candidateFile, describeOutside, issueKey, readablePath, sortIssues, type RawIssue } from '../domain/mergedConfig.js';
import { quote } from '../domain/safeText.js';
import type { Problem, Rendered } from '../domain/types.js';
import { narrowVerdict } from './bisect.js';
import type { HostChecker } from './checker.js';
import type { HostConfig } from './hostConfig.js';
import { isRecord } from '../domain/records.js';

/** Options of {@link makeHostCheck}. */
export interface HostCheckOptions {
  /** Who checks: the host's validator in this process, or its CLI; a promise while it is being loaded. */
  checker: HostChecker | PromiseLike<HostChecker>;
  /** The render options in force (format, layout, version). */
  render: () => RenderOptions;
  /**
   * openclaw.json as it is now, asked once at the start of every check (the candidate is checked in
   * its place there). Without it, or when it says there is none, the agents object is checked alone.
   */
  hostConfig?: () => HostConfig;
  /** The agents file as it is on disk now (undefined: none yet): an issue outside it that this file has too is not the candidate's doing. */
  current?: () => string | undefined;
  /** Told the problems of what the host's schema made us leave out (each call: one check). */
  onProblems: (problems: Problem[]) => void;
  /** Told when the host cannot be asked: the file then rests on our own rules (the floor). */
  onUnavailable: (error: string) => void;
  /** Told when the host answers again after being unavailable. */
  onAvailable?: () => void;
  /** Told, at each check, why there is no openclaw.json to check the candidate in (undefined: there is one). */
  onHostConfig?: (reason: string | undefined) => void;
  /** Detail for the debug log (how many checks a bisection took). */
  onDebug?: (message: string) => void;
}

/** Most verdicts remembered (by the exact config checked), so an unchanged roster is never checked twice. */
const CACHED = 16;

/** A verdict on one candidate: the host's issues on the config it was checked in (the merged config, or `{agents}`). */
type Verdict = { ok: true; issues: RawIssue[]; config: Record<string, unknown> } | { ok: false; error: string };

/**
 * The host-check stage: each render, already cut to our own rules, is validated by the host's own
 * validator before it may replace the file — every render when the checker is cheap (in process),
 * only those holding free-form settings (`openclaw_config`) when it is a child process in the
 * gateway. The verdict is on what the host loads: openclaw.json read now, the candidate in place of
 * its include, includes resolved. The host's issues are then sorted:
 * - below an agent or a key the candidate sets: that setting (or, when not separable, that agent)
 *   is left out with a problem naming the row and the key, and the rest is checked again;
 * - naming no agent (the roster as a whole): narrowed by bisection to the agents that cause it,
 *   whose free-form settings (then, if that is not enough, the agents) are left out;
 * - outside the file (a binding, `talk.agentId`, a default openclaw.json sets) and not there with
 *   the file on disk: the render is refused (`rejected`), naming the reference — the old file stays.
 * When the host cannot be asked, the render passes as it is (our rules stay the floor).
 * Unsubscribing stops a running check.
 */
export function makeHostCheck(options: HostCheckOptions): (r: Rendered) => Observable<Rendered> {
  const verdicts = new Map<string, RawIssue[]>();
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
    const site = options.hostConfig?.();
    // Said once a check: whether the candidate is checked in the config the host loads, or alone and why.
    let said = false;
    const say = (reason: string | undefined) => {
      if (said || site === undefined) return;
      said = true;
      options.onHostConfig?.(reason);
    };
    if (site?.ok === false) say(site.reason);
    const merger = site?.ok ? site : undefined;

    /** The host's verdict on one agents object, in the config it will be loaded in; remembered. */
    async function verdictOn(agents: Record<string, unknown>): Promise<Verdict> {
      let config: Record<string, unknown> = { agents };
      let own: RawIssue[] = [];
      if (merger) {
        const merged = merger.merge(candidateFile(agents, render.layout));
        if (merged.ok) ({ config, issues: own } = merged);
        say(merged.ok ? undefined : merged.reason);
      }
      const key = JSON.stringify(config);
      let issues = verdicts.get(key);
      if (issues === undefined) {
        const outcome = await host.validate(config, signal);
        if (!outcome.ok) return outcome;
        issues = outcome.issues;
        verdicts.set(key, issues);
        if (verdicts.size > CACHED) verdicts.delete(verdicts.keys().next().value!);
      }
      return { ok: true, issues: [...own, ...issues], config };
    }

    /** The outside issues the file on disk does not have: those the candidate causes. */
    async function causedOutside(outside: RawIssue[]): Promise<RawIssue[] | undefined> {
      const before = parseAgents(options.current?.(), render.layout);
      const verdict = await verdictOn(before);
      if (!verdict.ok) return undefined;
      const had = new Set(verdict.issues.map(issueKey));
      return outside.filter((i) => !had.has(issueKey(i)));
    }

    const problems: Problem[] = [];
    const done = (rendered: Rendered, rejected?: string[]): Rendered => {
      options.onProblems(problems);
      return { ...rendered, problems: [...r.problems, ...problems], ...(rejected ? { rejected } : {}) };
    };
    const hostAnswered = (outcome: Verdict): outcome is Extract<Verdict, { ok: true }> => {
      if (!outcome.ok) {
        if (outcome.error !== 'abandoned') {
          unavailable = true;
          options.onUnavailable(outcome.error);
        }
        return false;
      }
      if (unavailable) options.onAvailable?.();
      unavailable = false;
      return true;
    };
    let current: Rendered = r;
    for (let round = 1; ; round += 1) {
      const agents = modelToAgentsObject(current.model!, render);
      const verdict = await verdictOn(agents);
      if (signal.aborted || !hostAnswered(verdict)) return done(current);
      const sorted = sortIssues(verdict.issues, agents);
      if (sorted.outside.length > 0) {
        const caused = await causedOutside(sorted.outside);
        if (signal.aborted || caused === undefined) return done(current);
        if (caused.length > 0) {
          const configName = merger ? path.basename(merger.configPath) : 'the config';
          const outputName = merger ? path.basename(merger.outputPath) : 'agents file';
          return done(current, caused.map((i) => describeOutside(i, verdict.config, agentIdsOf(agents), configName, outputName)));
        }
      }
      if (sorted.agent.length === 0 && sorted.unattributed.length === 0) return done(current);
      if (round > MAX_ROUNDS) return done(current, [...sorted.agent.map((i) => `${checker} rejects ${describeIssue(i)}`), ...sorted.unattributed.map((i) => describeWhole(checker, i))]);
      if (sorted.agent.length > 0) {
        const next = leaveOutRejected(current.model!, sorted.agent, render.format, checker);
        if (next.problems.length === 0) return done(current, next.unresolved.map((i) => `${checker} rejects ${describeIssue(i)}`));
        problems.push(...next.problems);
        current = renderModel(next.model, render);
        continue;
      }
      const narrowed = await narrowVerdict(current.model!, sorted.unattributed, checker, {
        isBad: async (model, lines) => {
          const subset = modelToAgentsObject(model, render);
          const v = await verdictOn(subset);
          if (!v.ok) return undefined;
          return sortIssues(v.issues, subset).unattributed.some((i) => lines.has(firstLine(i.message)));
        },
        signal,
      });
      options.onDebug?.(`host check: a verdict naming no agent (${sorted.unattributed.map((i) => quote(firstLine(i.message), 80)).join(', ')}) took ${narrowed.checks} check(s) to narrow${narrowed.culprits ? ` to ${narrowed.culprits.map((id) => quote(id)).join(', ')}` : ': not narrowed'}`);
      if (signal.aborted) return done(current);
      if (narrowed.model === undefined) return done(current, sorted.unattributed.map((i) => describeWhole(checker, i)));
      problems.push(...narrowed.problems);
      current = renderModel(narrowed.model, render);
    }
  }

  return (r) => abortable((signal) => check(r, signal));
}

/**
 * A task as an Observable of its one result: started on subscribe, its failure an error of the
 * stream. Unsubscribing (a newer render, or the pipeline stopping) aborts it, which kills a running
 * host process or stops between slices.
 */
function abortable<T>(task: (signal: AbortSignal) => Promise<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const abort = new AbortController();
    task(abort.signal).then(
      (result) => {
        subscriber.next(result);
        subscriber.complete();
      },
      (error: unknown) => subscriber.error(error),
    );
    return () => abort.abort();
  });
}

function firstLine(message: string): string {
  return message.split('\n')[0]!;
}

function describeWhole(checker: string, issue: RawIssue): string {
  return `${checker} rejects ${readablePath(issue.path)}: ${quote(firstLine(issue.message), 200)}`;
}

/** The agents object of an agents file's text (either layout); `{}` when there is none or it cannot be read. */
function parseAgents(text: string | undefined, layout: RenderOptions['layout']): Record<string, unknown> {
  if (text === undefined) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    const agents = layout === 'root' && isRecord(parsed) ? parsed.agents : parsed;
    return isRecord(agents) ? agents : {};
  } catch {
    return {};
  }
}
