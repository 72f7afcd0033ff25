import { describe, expect, it } from 'vitest';
import { PIPELINE_COUNTERS } from '../../src/domain/pipelineCounters.js';
import type { PipelineStatus } from '../../src/pipeline.js';
import { buildStatusReport, type RunningFacts } from '../../src/plugin/statusReport.js';

const FACTS: RunningFacts = {
  connection: 'sync@127.0.0.1:5432/app',
  connectionSource: 'plugin config',
  channel: 'agent_config_changed',
  source: 'agents',
  outputPath: '/srv/openclaw/agents.json',
  configPath: '/srv/openclaw/openclaw.json',
  host: { version: '2026.9.6', format: 'entries', layout: 'section', reload: 'host watcher' },
  startedAt: '2026-12-07T10:00:00.000Z',
};

/** A status whose counters all differ (1, 2, 3 …), so a counter reported from another one shows. */
function statusWithCounters(): PipelineStatus {
  const status = { connected: true } as PipelineStatus;
  PIPELINE_COUNTERS.forEach((name, i) => (status[name] = i + 1));
  return status;
}

describe('buildStatusReport', () => {
  it('should report every pipeline counter with its own value, after lastError, in the order they are named', () => {
    const report = buildStatusReport(FACTS, statusWithCounters());
    const keys = Object.keys(report);
    expect(keys.slice(keys.indexOf('lastError') + 1)).toEqual([...PIPELINE_COUNTERS]);
    expect(PIPELINE_COUNTERS.map((name) => report[name])).toEqual(PIPELINE_COUNTERS.map((_, i) => i + 1));
  });

  it('should report every counter as 0 when no pipeline runs', () => {
    const report = buildStatusReport(undefined, undefined, { at: '2026-12-07T10:00:00.000Z', message: 'not started: no connection' });
    expect(report.running).toBe(false);
    expect(PIPELINE_COUNTERS.map((name) => report[name])).toEqual(PIPELINE_COUNTERS.map(() => 0));
  });
});
