import { compareText } from './agents.js';
import { quote, showValue, valueKey } from './safeText.js';
import type { Defaults, Problem, SystemConfigRow } from './types.js';

/** One whitelisted system-config key: where it goes and what it accepts. */
export interface SettingRule {
  /** Property under `agents.defaults.subagents`. */
  property: 'maxSpawnDepth' | 'maxConcurrent' | 'maxChildrenPerAgent';
  min: number;
  /** Upper bound, or undefined for none. */
  max?: number;
  /** `clamp`: out-of-range values are clamped (with a warning); `skip`: they are dropped. */
  outOfRange: 'clamp' | 'skip';
}

/**
 * The whitelist of DESIGN §3: `agent_system_config.key` → `agents.defaults.subagents.<property>`.
 * Keys not listed here are ignored silently.
 */
export const SYSTEM_CONFIG_RULES: Readonly<Record<string, SettingRule>> = {
  max_spawn_depth: { property: 'maxSpawnDepth', min: 1, max: 5, outOfRange: 'clamp' },
  max_concurrent_subagents: { property: 'maxConcurrent', min: 1, outOfRange: 'skip' },
  max_children_per_agent: { property: 'maxChildrenPerAgent', min: 1, max: 20, outOfRange: 'clamp' },
};

/** `value_type` spellings accepted for integer keys. */
const INTEGER_TYPES = new Set(['integer', 'int']);
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

/**
 * Turns the rows of `agent_system_config` into `agents.defaults`, skipping or clamping bad values.
 * Pure: returns the problems instead of logging them. Total: whatever a row holds (a jsonb object,
 * a bytea, a 1 MiB text), nothing throws and every message shows the value bounded and escaped.
 * A whitelisted key that appears in more than one row (possible from a view) is ambiguous: warned, skipped.
 */
export function systemConfigToDefaults(rows: readonly SystemConfigRow[]): { defaults: Defaults; problems: Problem[] } {
  const problems: Problem[] = [];
  const subagents: NonNullable<Defaults['subagents']> = {};
  const byKey = new Map<string, SystemConfigRow[]>();
  for (const row of rows) {
    const key: unknown = row.key;
    // Unknown keys, and keys that are not text at all, are ignored silently (DESIGN §3).
    if (typeof key !== 'string' || !Object.hasOwn(SYSTEM_CONFIG_RULES, key)) continue;
    const same = byKey.get(key);
    if (same) same.push(row);
    else byKey.set(key, [row]);
  }
  for (const key of [...byKey.keys()].sort(compareText)) {
    const keyed = byKey.get(key)!;
    const rule = SYSTEM_CONFIG_RULES[key]!;
    if (keyed.length > 1) {
      problems.push({ key: `system:${key}:duplicate`, message: `agent_system_config key ${quote(key)}: ${keyed.length} rows have this key; skipped` });
      continue;
    }
    const value = parseSetting(key, keyed[0]!, rule, problems);
    if (value !== undefined) subagents[rule.property] = value;
  }
  const defaults: Defaults = Object.keys(subagents).length > 0 ? { subagents } : {};
  return { defaults, problems };
}

function parseSetting(key: string, row: SystemConfigRow, rule: SettingRule, problems: Problem[]): number | undefined {
  const where = `agent_system_config key ${quote(key)}`;
  const valueType: unknown = row.value_type ?? 'text';
  const value: unknown = row.value;
  const shown = showValue(value);
  if (typeof valueType !== 'string' || !INTEGER_TYPES.has(valueType.trim().toLowerCase())) {
    problems.push({
      key: `system:${key}:value_type:${valueKey(valueType)}`,
      message: `${where}: value_type ${showValue(valueType)} does not match the key's type (integer); skipped`,
    });
    return undefined;
  }
  if (typeof value !== 'string' || !INTEGER_TEXT.test(value)) {
    problems.push({
      key: `system:${key}:not-integer:${valueKey(value)}`,
      message: `${where}: value ${shown} is not an integer; skipped`,
    });
    return undefined;
  }
  const parsed = Number(value.trim());
  const tooLow = parsed < rule.min;
  const tooHigh = rule.max !== undefined && parsed > rule.max;
  const range = rule.max === undefined ? `>= ${rule.min}` : `${rule.min}-${rule.max}`;
  if (!tooLow && !tooHigh && Number.isSafeInteger(parsed)) return parsed;
  if (rule.outOfRange === 'skip') {
    problems.push({
      key: `system:${key}:range:${shown}`,
      message: `${where}: value ${shown} is out of range (${range}); skipped`,
    });
    return undefined;
  }
  const clamped = tooLow ? rule.min : (rule.max as number);
  problems.push({
    key: `system:${key}:clamp:${shown}`,
    message: `${where}: value ${shown} is out of range (${range}); clamped to ${clamped}`,
  });
  return clamped;
}
