/**
 * What each optional column of the agents source enables (docs/design.md §3, §10), for doctor and the
 * start log. Pure data.
 */
export const AGENT_COLUMN_PURPOSE: Readonly<Record<string, string>> = {
  id: 'orders rows and names them in warnings',
  fallback_models: 'model.fallbacks',
  allowed_subagents: 'subagents.allowAgents',
  is_default: 'the default agent (≥ 2026.8: agents.defaults.systemAgent …; older hosts: default: true)',
  instance_type: "only 'primary' and 'subagent' rows (and the default row) are exported",
  status: "only NULL or 'active' rows are exported",
  heartbeat_enabled: 'heartbeat (with heartbeat_every)',
  heartbeat_every: 'heartbeat.every',
  heartbeat_target: 'heartbeat.target',
  heartbeat_to: 'heartbeat.to',
  thinking: 'thinkingDefault',
  openclaw_config: 'the further entry settings the row policy (rowSettings) allows (jsonb object, deep-merged; a column wins)',
};

/** One line per optional column: whether the source has it and what it enables. */
export function describeAgentColumns(present: readonly string[]): string[] {
  return Object.entries(AGENT_COLUMN_PURPOSE).map(([column, purpose]) => `${present.includes(column) ? 'used   ' : 'missing'} ${column}: ${purpose}`);
}
