import { isPlainObject } from './records.js';
import type { Agent } from './types.js';

/**
 * The default agent on hosts ≥ 2026.8 (docs/design.md §10): `default: true` is retired, and with
 * `ownership: "explicit"` the gateway's default/system agent is `agents.defaults.systemAgent.agentId`.
 * `is_default` becomes the targets OpenClaw's own migration of a legacy default writes under
 * `agents.defaults` (`materializeLegacyDefaultAgentRoles` in `legacy.roster*` of 2026.8.2 / 2026.9.6),
 * each one only when openclaw.json does not already set it. Pure.
 */

/** Targets under `agents.defaults`, in the order they are written. */
export const DEFAULT_TARGETS = ['systemAgent', 'heartbeat', 'authInheritance', 'sessionStore'] as const;
export type DefaultTarget = (typeof DEFAULT_TARGETS)[number];

/** What openclaw.json itself (outside the included file) says that decides which targets to write. */
export interface OutsideFacts {
  /** Targets whose `agents.defaults.<target>.agentId` openclaw.json already sets. */
  set: readonly DefaultTarget[];
  /** openclaw.json sets `agents.defaults.heartbeat` at all (then OpenClaw adds no heartbeat owner). */
  heartbeatDefaults: boolean;
  /** `session.store` is one fixed path for every agent (not empty, no `{agentId}`): the store has an owner. */
  sharedSessionStore: boolean;
}

/** No facts: nothing set outside. */
export const NO_OUTSIDE_FACTS: OutsideFacts = { set: [], heartbeatDefaults: false, sharedSessionStore: false };

/** Reads the facts from a parsed openclaw.json; total (anything that is not the expected shape counts as unset). */
export function outsideFacts(config: unknown): OutsideFacts {
  const root = isPlainObject(config) ? config : {};
  const agents = isPlainObject(root.agents) ? root.agents : {};
  const defaults = isPlainObject(agents.defaults) ? agents.defaults : {};
  const set = DEFAULT_TARGETS.filter((target) => {
    const value = defaults[target];
    return isPlainObject(value) && Object.hasOwn(value, 'agentId');
  });
  const session = isPlainObject(root.session) ? root.session : {};
  const store = typeof session.store === 'string' ? session.store.trim() : '';
  return { set, heartbeatDefaults: defaults.heartbeat !== undefined, sharedSessionStore: store !== '' && !store.includes('{agentId}') };
}

/**
 * The `agents.defaults` targets naming the default agent, as OpenClaw's migration would write them:
 * `systemAgent` when unset; `heartbeat` when no entry has its own heartbeat and openclaw.json sets no
 * heartbeat defaults; `authInheritance` when the default is not the sole agent (or `main` in a
 * larger roster); `sessionStore` when one session store is shared. Empty without a default agent.
 */
export function defaultTargets(agents: readonly Agent[], outside: OutsideFacts = NO_OUTSIDE_FACTS): Partial<Record<DefaultTarget, { agentId: string }>> {
  const chosen = agents.find((a) => a.isDefault);
  if (!chosen) return {};
  const agentId = chosen.id;
  const unset = (target: DefaultTarget) => !outside.set.includes(target);
  const anyHeartbeat = agents.some((a) => a.heartbeat !== undefined || (a.settings !== undefined && a.settings.heartbeat !== undefined));
  const soleFallback = agents.length === 1 ? agents[0]!.id : 'main';
  const wanted: Record<DefaultTarget, boolean> = {
    systemAgent: unset('systemAgent'),
    heartbeat: !anyHeartbeat && !outside.heartbeatDefaults,
    authInheritance: agentId !== soleFallback && unset('authInheritance'),
    sessionStore: outside.sharedSessionStore && unset('sessionStore'),
  };
  const out: Partial<Record<DefaultTarget, { agentId: string }>> = {};
  for (const target of DEFAULT_TARGETS) if (wanted[target]) out[target] = { agentId };
  return out;
}

/**
 * Doctor's advice (docs/design.md §10): with more than one agent on a ≥ 2026.8 host, OpenClaw's own
 * migration of a legacy default also writes `talk.agentId` and `bindings` — root keys outside the
 * included file, which this plugin cannot write. Returns one line per missing target; empty when none.
 */
export function rootTargetsAdvice(config: unknown, agentCount: number, defaultId: string | undefined): string[] {
  if (agentCount <= 1 || defaultId === undefined) return [];
  const root = isPlainObject(config) ? config : {};
  const advice: string[] = [];
  const talk = isPlainObject(root.talk) ? root.talk : undefined;
  if (!talk || !Object.hasOwn(talk, 'agentId')) {
    advice.push(`openclaw.json sets no talk.agentId: with ${agentCount} agents, talk has no owner (OpenClaw's migration would set "${defaultId}")`);
  }
  if (root.bindings === undefined) {
    advice.push(`openclaw.json has no bindings: channels are not bound to an agent (OpenClaw's migration binds them to "${defaultId}")`);
  }
  return advice;
}
