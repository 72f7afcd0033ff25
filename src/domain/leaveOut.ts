import { memberPath } from './agentSettings.js';
import { isPlainObject } from './records.js';
import { describeIssue, findHostIssues, type HostIssue } from './hostRules.js';
import { modelToAgentsObject, renderAgentsObject, type RenderOptions } from './agentsObject.js';
import { quote, valueKey } from './safeText.js';
import { SYSTEM_CONFIG_RULES } from './systemConfig.js';
import type { Agent, AgentsModel, Problem, Rendered, RosterFormat } from './types.js';

/**
 * "A bad value costs only itself" (docs/design.md §10): given what a checker (our rules, or the host's own
 * schema) rejects in a rendered agents object, leave out the offending setting — or, when it cannot
 * be separated (the model, the entry itself), that agent — with a problem naming the row and the key,
 * and keep the rest. Pure.
 */

/** Most rounds of check → leave out → render; each round removes at least one thing or stops. */
export const MAX_ROUNDS = 5;

/** The model without what the issues point at; issues that point at nothing separable are `unresolved`. */
export function leaveOutRejected(
  model: AgentsModel,
  issues: readonly HostIssue[],
  format: RosterFormat,
  checker: string,
): { model: AgentsModel; problems: Problem[]; unresolved: HostIssue[] } {
  const problems: Problem[] = [];
  const unresolved: HostIssue[] = [];
  const agents = new Map<string, Agent | undefined>(model.agents.map((a) => [a.id, { ...a, settings: a.settings ? structuredClone(a.settings) : undefined }]));
  const subagents = { ...model.defaults.subagents };
  let thinkingDefault = model.defaults.thinkingDefault;
  const listIds = model.agents.map((a) => a.id);
  for (const issue of issues) {
    const [area, which, ...rest] = issue.path;
    const id = area === 'entries' && typeof which === 'string' ? which : area === 'list' && typeof which === 'number' ? listIds[which] : undefined;
    const reason = `${checker} rejects it (${quote(issue.message.replace(/^:\s*/, ''), 200)})`;
    if (id !== undefined && agents.has(id)) {
      const agent = agents.get(id);
      if (agent === undefined) continue; // already left out by an earlier issue
      const what = leaveOutSetting(agent, rest);
      const name = agent.row ?? `agent ${quote(id)}`;
      if (what === undefined) {
        agents.set(id, undefined);
        problems.push({ key: `host:${checker}:${id}:agent:${valueKey(issue.path.join('.'))}`, message: `${name}: ${describeIssue(issue).replace(/^agents\./, '')}: ${reason}; agent "${id}" left out` });
      } else {
        problems.push({ key: `host:${checker}:${id}:${valueKey(what)}`, message: `${name}: ${what}: ${reason}; left out` });
      }
      continue;
    }
    if (area === 'defaults' && which === 'subagents' && typeof rest[0] === 'string' && Object.hasOwn(subagents, rest[0])) {
      delete subagents[rest[0]];
      problems.push({ key: `host:${checker}:defaults:${rest[0]}`, message: `${systemKeyOf(rest[0])} (agents.defaults.subagents.${rest[0]}): ${reason}; left out` });
      continue;
    }
    if (area === 'defaults' && which === 'thinkingDefault' && thinkingDefault !== undefined) {
      thinkingDefault = undefined;
      problems.push({ key: `host:${checker}:defaults:thinkingDefault`, message: `${systemKeyOf('thinkingDefault')} (agents.defaults.thinkingDefault): ${reason}; left out` });
      continue;
    }
    unresolved.push(issue);
  }
  const defaults: AgentsModel['defaults'] = {};
  if (thinkingDefault !== undefined) defaults.thinkingDefault = thinkingDefault;
  if (Object.keys(subagents).length > 0) defaults.subagents = subagents;
  const kept = model.agents.map((a) => agents.get(a.id)).filter((a): a is Agent => a !== undefined);
  return { model: { agents: kept, defaults }, problems, unresolved };
}

/**
 * Leaves out the setting at `rest` (a path inside one entry) and says which it was; undefined when
 * only leaving out the whole agent helps (the model, the id, the entry itself). Mutates `agent`,
 * which is the caller's copy.
 */
function leaveOutSetting(agent: Agent, rest: readonly (string | number)[]): string | undefined {
  const [top, second] = rest;
  if (typeof top !== 'string' || top === 'model' || top === 'id' || top === 'default') return undefined;
  const settings = agent.settings;
  // The setting is the first two keys of the path (tools.profile, heartbeat.activeHours), or the first alone.
  if (settings && isPlainObject(settings[top]) && typeof second === 'string' && Object.hasOwn(settings[top] as object, second)) {
    const parent = settings[top] as Record<string, unknown>;
    delete parent[second];
    if (Object.keys(parent).length === 0) delete settings[top];
    return memberPath(memberPath('openclaw_config', top), second);
  }
  if (top === 'thinkingDefault' && agent.thinkingDefault !== undefined) {
    delete agent.thinkingDefault;
    return 'thinking (thinkingDefault)';
  }
  if (top === 'heartbeat' && agent.heartbeat !== undefined) {
    delete agent.heartbeat;
    if (settings) delete settings.heartbeat;
    return 'heartbeat_* (heartbeat)';
  }
  if (top === 'subagents' && agent.allowAgents.length > 0 && (second === undefined || second === 'allowAgents')) {
    agent.allowAgents = [];
    return 'allowed_subagents (subagents.allowAgents)';
  }
  if (settings && Object.hasOwn(settings, top)) {
    delete settings[top];
    return memberPath('openclaw_config', top);
  }
  return undefined;
}

/** The `agent_system_config` key of a defaults property, quoted, for messages. */
function systemKeyOf(property: string): string {
  const key = Object.entries(SYSTEM_CONFIG_RULES).find(([, rule]) => rule.property === property)?.[0];
  return key === undefined ? `agents.defaults` : `agent_system_config key ${quote(key)}`;
}

/**
 * Renders a model, checks it with `check` (issues below the agents object), leaves out what is
 * rejected and renders again, for at most {@link MAX_ROUNDS} rounds. Returns the last render, the
 * problems of what was left out, what could not be left out (the file will then be refused), and
 * `issues`: everything `check` finds in the last render (each agents object is built once, checked,
 * and that same object is rendered).
 */
export function renderChecked(
  model: AgentsModel,
  options: RenderOptions,
  check: (agents: Record<string, unknown>) => HostIssue[],
  checker: string,
): { rendered: Rendered; problems: Problem[]; unresolved: HostIssue[]; issues: HostIssue[] } {
  const problems: Problem[] = [];
  let current = model;
  for (let round = 1; ; round += 1) {
    const agents = modelToAgentsObject(current, options);
    const issues = check(agents);
    const done = (unresolved: HostIssue[]) => ({ rendered: renderAgentsObject(agents, current, options), problems, unresolved, issues });
    if (issues.length === 0 || round > MAX_ROUNDS) return done(issues);
    const next = leaveOutRejected(current, issues, options.format, checker);
    problems.push(...next.problems);
    if (next.problems.length === 0) return done(next.unresolved);
    current = next.model;
  }
}

/** Our own rules as a checker (the floor): the issues {@link findHostIssues} finds for this host. */
export function floorCheck(options: RenderOptions): (agents: Record<string, unknown>) => HostIssue[] {
  return (agents) => findHostIssues(agents, options.format, options.version);
}
