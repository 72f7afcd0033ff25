import { compareVersions, isModernHost, type HostVersion } from './hostProfile.js';

/**
 * What each OpenClaw version accepts in the parts of the config this plugin writes, read in the
 * installed packages (`dist/zod-schema.agent-runtime*`: the keys of `AgentEntrySchema`, its
 * `thinkingDefault` enum and `agents.defaults.subagents`; docs/design.md §10). Pure data: no I/O.
 *
 * An unknown version is treated as the newest one known (as the roster format is).
 */
export interface HostCapabilities {
  /** Keys one roster entry may hold (besides `id` in the list form), as the host's strict schema lists them. */
  entryKeys: ReadonlySet<string>;
  /** Levels of `thinkingDefault` (per agent and under `agents.defaults`). */
  thinkingLevels: readonly string[];
  /** Keys of `agents.defaults.subagents`. */
  subagentDefaultKeys: ReadonlySet<string>;
  /**
   * ≥ 2026.8: the default agent is `agents.defaults.systemAgent.agentId` (and the other targets of
   * OpenClaw's own legacy-default migration); `default: true` is retired. Older hosts: `default: true`.
   */
  systemAgent: boolean;
}

const LEVELS_2026_4 = ['off', 'minimal', 'low', 'medium', 'high', 'xhigh', 'adaptive', 'max'] as const;
const LEVELS_2026_7 = [...LEVELS_2026_4, 'ultra'] as const;

const SUBAGENT_DEFAULTS_2026_4 = [
  'allowAgents',
  'maxConcurrent',
  'maxSpawnDepth',
  'maxChildrenPerAgent',
  'archiveAfterMinutes',
  'model',
  'thinking',
  'runTimeoutSeconds',
  'announceTimeoutMs',
  'requireAgentId',
];

/** Measured hosts, oldest first; a version uses the newest row not newer than itself. */
const TABLE: readonly { since: HostVersion; caps: HostCapabilities }[] = [
  {
    since: { year: 2026, month: 4, patch: 29 },
    caps: {
      entryKeys: new Set([
        'default', 'name', 'workspace', 'agentDir', 'systemPromptOverride', 'agentRuntime', 'embeddedHarness', 'model',
        'thinkingDefault', 'reasoningDefault', 'fastModeDefault', 'skills', 'memorySearch', 'humanDelay', 'tts',
        'skillsLimits', 'contextLimits', 'contextTokens', 'heartbeat', 'identity', 'groupChat', 'subagents', 'embeddedPi',
        'sandbox', 'params', 'tools', 'runtime',
      ]),
      thinkingLevels: LEVELS_2026_4,
      subagentDefaultKeys: new Set(SUBAGENT_DEFAULTS_2026_4),
      systemAgent: false,
    },
  },
  {
    since: { year: 2026, month: 7, patch: 35 },
    caps: {
      entryKeys: new Set([
        'default', 'name', 'description', 'workspace', 'agentDir', 'model', 'utilityModel', 'models', 'thinkingDefault',
        'verboseDefault', 'toolProgressDetail', 'reasoningDefault', 'fastModeDefault', 'contextInjection',
        'bootstrapMaxChars', 'bootstrapTotalMaxChars', 'experimental', 'skills', 'memorySearch', 'humanDelay', 'tts',
        'skillsLimits', 'contextLimits', 'contextTokens', 'heartbeat', 'identity', 'groupChat', 'subagents', 'runRetries',
        'embeddedAgent', 'sandbox', 'params', 'tools', 'runtime',
      ]),
      thinkingLevels: LEVELS_2026_7,
      subagentDefaultKeys: new Set([...SUBAGENT_DEFAULTS_2026_4, 'delegationMode']),
      systemAgent: false,
    },
  },
  {
    since: { year: 2026, month: 8, patch: 0 },
    caps: {
      entryKeys: new Set([
        'name', 'description', 'workspace', 'agentDir', 'model', 'utilityModel', 'models', 'modelPolicy', 'thinkingDefault',
        'verboseDefault', 'toolProgressDetail', 'reasoningDefault', 'fastModeDefault', 'contextInjection',
        'bootstrapMaxChars', 'bootstrapTotalMaxChars', 'experimental', 'skills', 'memory', 'humanDelay', 'typingMode', 'tts',
        'skillsLimits', 'contextLimits', 'heartbeat', 'identity', 'groupChat', 'subagents', 'embeddedAgent', 'sandbox',
        'params', 'tools', 'runtime',
      ]),
      thinkingLevels: LEVELS_2026_7,
      subagentDefaultKeys: new Set([...SUBAGENT_DEFAULTS_2026_4, 'delegationMode']),
      systemAgent: true,
    },
  },
  {
    since: { year: 2026, month: 9, patch: 0 },
    caps: {
      entryKeys: new Set([
        'name', 'description', 'workspace', 'cwd', 'agentDir', 'model', 'utilityModel', 'decisionModel', 'models',
        'modelPolicy', 'thinkingDefault', 'verboseDefault', 'toolProgressDetail', 'reasoningDefault', 'fastModeDefault',
        'contextInjection', 'bootstrapMaxChars', 'bootstrapTotalMaxChars', 'experimental', 'skills', 'subagents',
        'embeddedAgent', 'params', 'runtime', 'memory', 'humanDelay', 'typingMode', 'tts', 'skillsLimits', 'contextLimits',
        'heartbeat', 'identity', 'groupChat', 'sandbox', 'tools',
      ]),
      thinkingLevels: LEVELS_2026_7,
      subagentDefaultKeys: new Set([...SUBAGENT_DEFAULTS_2026_4, 'delegationMode']),
      systemAgent: true,
    },
  },
];

/** The capabilities of a host version; the newest known row for an unknown or newer version. */
export function capabilitiesFor(version: HostVersion | undefined): HostCapabilities {
  if (version === undefined) return TABLE[TABLE.length - 1]!.caps;
  let found = TABLE[0]!.caps;
  for (const row of TABLE) if (compareVersions(version, row.since) >= 0) found = row.caps;
  // A pre-2026.8 host never gets the keyed-roster facts, whatever the table says.
  return isModernHost(version) === found.systemAgent ? found : { ...found, systemAgent: isModernHost(version) };
}

/** The earliest measured host version, for messages ("accepted since …"). */
export function sinceText(version: HostVersion): string {
  return `${version.year}.${version.month}.${version.patch}`;
}
