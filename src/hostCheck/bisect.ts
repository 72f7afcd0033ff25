import { quote, valueKey } from '../domain/safeText.js';
import type { Agent, AgentsModel, Problem } from '../domain/types.js';
import type { RawIssue } from '../domain/mergedConfig.js';

/**
 * A host verdict that names no agent (`agents.entries: Duplicate agentDir detected`, a `<root>`
 * refinement) would otherwise refuse the whole file, and one row would freeze every other row's
 * change. So it is narrowed to the agents that cause it, by checking parts of the roster: a part
 * that still draws the verdict holds a cause; when neither half does alone, the cause spans both
 * and each half is narrowed with the other kept beside it. The default agent rides in every part
 * (a roster without it draws verdicts of its own). Checks are bounded: past the bound the verdict
 * is not narrowed and the file is refused as before.
 */

/** Most checks one narrowing may ask for (about 2·k·log2(n) for k causes among n agents; 10 000 agents and two causes take about 60). */
export const MAX_CHECKS = 64;

/** How a part of the roster is judged. */
export interface NarrowOptions {
  /**
   * Whether the host's verdict on this model still holds one of the verdicts being narrowed (by
   * their first lines); undefined when the host could not be asked.
   */
  isBad: (model: AgentsModel, lines: ReadonlySet<string>) => Promise<boolean | undefined>;
  signal: AbortSignal;
  /** Defaults to {@link MAX_CHECKS}. */
  maxChecks?: number;
}

/** What narrowing found: the model without the causes' free-form settings (or, without any, the causes), or no model when it could not narrow. */
export interface Narrowed {
  model?: AgentsModel;
  problems: Problem[];
  culprits?: string[];
  checks: number;
}

class GiveUp extends Error {}

/** Narrows `verdicts` (issues naming no agent) to the agents of `model` that cause them, and leaves those out. */
export async function narrowVerdict(model: AgentsModel, verdicts: readonly RawIssue[], checker: string, options: NarrowOptions): Promise<Narrowed> {
  const lines = new Set(verdicts.map((v) => v.message.split('\n')[0]!));
  const max = options.maxChecks ?? MAX_CHECKS;
  let checks = 0;
  const bad = async (agents: readonly Agent[]): Promise<boolean> => {
    if (options.signal.aborted || checks >= max) throw new GiveUp();
    checks += 1;
    const part = new Set(agents);
    const answer = await options.isBad({ ...model, agents: model.agents.filter((a) => part.has(a)) }, lines);
    if (answer === undefined) throw new GiveUp();
    return answer;
  };
  /** The smallest part of `suspects` that, with `kept`, still draws the verdict (given that all of them do and `kept` alone does not). */
  const narrow = async (kept: readonly Agent[], suspects: readonly Agent[]): Promise<Agent[]> => {
    if (suspects.length <= 1) return [...suspects];
    const half = Math.ceil(suspects.length / 2);
    const first = suspects.slice(0, half);
    const second = suspects.slice(half);
    if (await bad([...kept, ...first])) return narrow(kept, first);
    if (await bad([...kept, ...second])) return narrow(kept, second);
    const fromFirst = await narrow([...kept, ...second], first);
    const fromSecond = await narrow([...kept, ...fromFirst], second);
    return [...fromFirst, ...fromSecond];
  };
  let culprits: Agent[];
  try {
    // A verdict the roster draws without any agent is openclaw.json's, not a row's.
    if (await bad([])) return { problems: [], checks };
    const always = model.agents.filter((a) => a.isDefault);
    const suspects = model.agents.filter((a) => !a.isDefault);
    culprits = always.length > 0 && (await bad(always)) ? always : await narrow(always, suspects);
  } catch (error) {
    if (error instanceof GiveUp) return { problems: [], checks };
    throw error;
  }
  if (culprits.length === 0) return { problems: [], checks };
  const verdict = quote([...lines].join('; '), 200);
  const names = culprits.map((a) => quote(a.id));
  const problems: Problem[] = [];
  const causes = new Set(culprits);
  const agents: Agent[] = [];
  for (const agent of model.agents) {
    if (!causes.has(agent)) {
      agents.push(agent);
      continue;
    }
    const others = names.filter((n) => n !== quote(agent.id));
    const among = others.length > 0 ? `; with ${others.join(', ')}` : '';
    const name = agent.row ?? `agent ${quote(agent.id)}`;
    // Free-form settings first: the dedicated columns are checked by our own rules, so they are the likelier cause.
    if (agent.settings !== undefined && Object.keys(agent.settings).length > 0) {
      agents.push({ ...agent, settings: undefined });
      problems.push({ key: `host:${checker}:${agent.id}:bisect:settings:${valueKey(verdict)}`, message: `${name}: openclaw_config: ${checker} rejects the roster (${verdict}) because of this agent${among}; its openclaw_config left out` });
    } else {
      problems.push({ key: `host:${checker}:${agent.id}:bisect:agent:${valueKey(verdict)}`, message: `${name}: ${checker} rejects the roster (${verdict}) because of this agent${among}; agent ${quote(agent.id)} left out` });
    }
  }
  return { model: { ...model, agents }, problems, culprits: culprits.map((a) => a.id), checks };
}
