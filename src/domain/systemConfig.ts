import { compareText } from './agents.js';
import { capabilitiesFor } from './hostCapabilities.js';
import { compareVersions, formatVersion, type HostVersion } from './hostProfile.js';
import { quote, showValue, valueKey } from './safeText.js';
import type { DefaultValue, Defaults, Problem, SystemConfigRow } from './types.js';

/** One whitelisted system-config key: where it goes, what it accepts, and which hosts accept it. */
export type SettingRule = {
  /** `thinkingDefault` is `agents.defaults.thinkingDefault`; every other property is under `agents.defaults.subagents`. */
  property: string;
  /** First host version that accepts the key (measured in the installed packages); undefined: every supported host. */
  since?: HostVersion;
} & (
  | {
      type: 'integer';
      min: number;
      /** Upper bound, or undefined for none. */
      max?: number;
      /** `clamp`: out-of-range values are clamped (with a warning); `skip`: they are dropped. */
      outOfRange: 'clamp' | 'skip';
    }
  | { type: 'boolean' }
  | { type: 'text' }
  /** One of a fixed set of values; `thinking` means the host's thinking levels. */
  | { type: 'enum'; values: readonly string[] | 'thinking' }
);

/** The first host that accepts `subagents.delegationMode` (2026.4.29 does not). */
const DELEGATION_MODE_SINCE: HostVersion = { year: 2026, month: 7, patch: 0 };

/**
 * The whitelist of docs/design.md §3, one table: `agent_system_config.key` → a property of
 * `agents.defaults.subagents` (or `agents.defaults.thinkingDefault`), in the order they are written.
 * Each key is written only to host versions that accept it. Keys not listed here are ignored silently.
 */
export const SYSTEM_CONFIG_RULES: Readonly<Record<string, SettingRule>> = {
  thinking_default: { property: 'thinkingDefault', type: 'enum', values: 'thinking' },
  max_spawn_depth: { property: 'maxSpawnDepth', type: 'integer', min: 1, max: 5, outOfRange: 'clamp' },
  max_concurrent_subagents: { property: 'maxConcurrent', type: 'integer', min: 1, outOfRange: 'skip' },
  max_children_per_agent: { property: 'maxChildrenPerAgent', type: 'integer', min: 1, max: 20, outOfRange: 'clamp' },
  archive_after_minutes: { property: 'archiveAfterMinutes', type: 'integer', min: 0, outOfRange: 'skip' },
  run_timeout_seconds: { property: 'runTimeoutSeconds', type: 'integer', min: 0, outOfRange: 'skip' },
  announce_timeout_ms: { property: 'announceTimeoutMs', type: 'integer', min: 1, outOfRange: 'skip' },
  require_agent_id: { property: 'requireAgentId', type: 'boolean' },
  subagent_model: { property: 'model', type: 'text' },
  subagent_thinking: { property: 'thinking', type: 'text' },
  delegation_mode: { property: 'delegationMode', type: 'enum', values: ['suggest', 'prefer'], since: DELEGATION_MODE_SINCE },
};

/** `value_type` spellings accepted per type. */
const VALUE_TYPES: Record<SettingRule['type'], ReadonlySet<string>> = {
  integer: new Set(['integer', 'int']),
  boolean: new Set(['boolean', 'bool']),
  text: new Set(['text', 'string']),
  enum: new Set(['text', 'string']),
};
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;
const BOOLEAN_TEXT: Record<string, boolean> = { true: true, t: true, yes: true, on: true, '1': true, false: false, f: false, no: false, off: false, '0': false };
/** Longest text value accepted, in characters. */
const MAX_TEXT_CHARS = 1_024;

/** Options of {@link systemConfigToDefaults}. */
export interface SystemConfigOptions {
  /** The host that reads the file: keys it does not accept are left out (with a warning). */
  version?: HostVersion;
}

/**
 * Turns the rows of `agent_system_config` into `agents.defaults`, skipping or clamping bad values.
 * Pure: returns the problems instead of logging them. Total: whatever a row holds (a jsonb object,
 * a bytea, a 1 MiB text), nothing throws and every message shows the value bounded and escaped.
 * A whitelisted key that appears in more than one row (possible from a view) is ambiguous: warned, skipped.
 */
export function systemConfigToDefaults(rows: readonly SystemConfigRow[], options: SystemConfigOptions = {}): { defaults: Defaults; problems: Problem[] } {
  const problems: Problem[] = [];
  const values = new Map<string, DefaultValue>();
  const byKey = new Map<string, SystemConfigRow[]>();
  for (const row of rows) {
    const key: unknown = row.key;
    // Unknown keys, and keys that are not text at all, are ignored silently (docs/design.md §3).
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
    if (rule.since && options.version && compareVersions(options.version, rule.since) < 0) {
      problems.push({
        key: `system:${key}:host`,
        message: `agent_system_config key ${quote(key)}: OpenClaw ${formatVersion(options.version)} does not accept agents.defaults.subagents.${rule.property}; not written`,
      });
      continue;
    }
    const value = parseSetting(key, keyed[0]!, rule, options.version, problems);
    if (value !== undefined) values.set(key, value);
  }
  const defaults: Defaults = {};
  const subagents: Record<string, DefaultValue> = {};
  // Written in the table's order, so the file does not depend on the rows' order.
  for (const [key, rule] of Object.entries(SYSTEM_CONFIG_RULES)) {
    const value = values.get(key);
    if (value === undefined) continue;
    if (rule.property === 'thinkingDefault') defaults.thinkingDefault = String(value);
    else subagents[rule.property] = value;
  }
  if (Object.keys(subagents).length > 0) defaults.subagents = subagents;
  return { defaults, problems };
}

function parseSetting(key: string, row: SystemConfigRow, rule: SettingRule, version: HostVersion | undefined, problems: Problem[]): DefaultValue | undefined {
  const where = `agent_system_config key ${quote(key)}`;
  const valueType: unknown = row.value_type ?? 'text';
  const value: unknown = row.value;
  const shown = showValue(value);
  const kind = rule.type === 'enum' ? 'text' : rule.type;
  if (typeof valueType !== 'string' || !VALUE_TYPES[rule.type].has(valueType.trim().toLowerCase())) {
    problems.push({
      key: `system:${key}:value_type:${valueKey(valueType)}`,
      message: `${where}: value_type ${showValue(valueType)} does not match the key's type (${kind}); skipped`,
    });
    return undefined;
  }
  if (rule.type === 'boolean') {
    const parsed = typeof value === 'string' ? BOOLEAN_TEXT[value.trim().toLowerCase()] : undefined;
    if (parsed === undefined) problems.push({ key: `system:${key}:not-boolean:${valueKey(value)}`, message: `${where}: value ${shown} is not a boolean; skipped` });
    return parsed;
  }
  if (rule.type === 'text' || rule.type === 'enum') {
    const text = typeof value === 'string' && value.length <= MAX_TEXT_CHARS ? value.trim() : '';
    const allowed = rule.type === 'enum' ? (rule.values === 'thinking' ? capabilitiesFor(version).thinkingLevels : rule.values) : undefined;
    const accepted = text !== '' && !/[\u0000-\u001f\u007f-\u009f]/.test(text) && (allowed === undefined || allowed.includes(text.toLowerCase()));
    if (accepted) return allowed === undefined ? text : text.toLowerCase();
    const expected = allowed === undefined ? 'non-empty text' : `one of ${allowed.join(', ')}`;
    problems.push({ key: `system:${key}:bad-text:${valueKey(value)}`, message: `${where}: value ${shown} is not ${expected}; skipped` });
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
