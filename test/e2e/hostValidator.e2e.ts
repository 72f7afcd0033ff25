import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ensureNode, ensureOpenclaw, E2E_HOST_VERSIONS } from '../../scripts/e2e-setup.mjs';

const run = promisify(execFile);

/**
 * The in-process host check cuts a big roster into slices of 250 agents (the host's validator is
 * quadratic in the roster). Held against each real host's own validator, under the hosts' Node: a
 * valid roster of 301 agents gets the same verdict in slices as in one call — also when openclaw.json
 * names the system agent itself, so the file names the default agent only under
 * `agents.defaults.heartbeat`, which 2026.8.2+ requires to be an entry of the roster.
 */
describe.each(E2E_HOST_VERSIONS)('openclaw %s: its own validator, in slices', (version) => {
  const root = path.dirname(ensureOpenclaw(version));
  const entries = Number(version.split('.')[1]) >= 8;
  const cases: [string, object][] = entries
    ? [
        ['the file names the system agent', { format: 'entries', layout: 'root' }],
        ['openclaw.json names the system agent', { format: 'entries', layout: 'root', outside: { set: ['systemAgent'], heartbeatDefaults: false, sharedSessionStore: false } }],
      ]
    : [['the list roster with default: true', { format: 'list', layout: 'root' }]];

  it.each(cases)('should give a valid roster of 301 agents the one-call verdict (%s)', async (_name, options) => {
    const child = path.join(import.meta.dirname, 'hostValidatorChild.mjs');
    const { stdout } = await run(ensureNode(), [child, root, version, JSON.stringify(options)], { timeout: 120_000 });
    const { how, sliced, oneCall } = JSON.parse(stdout) as { how: string; sliced: unknown; oneCall: unknown };
    expect(how).toBe('in process (dist/config/config.js validateConfigObject)');
    expect(oneCall).toEqual({ ok: true, issues: [] });
    expect(sliced).toEqual(oneCall);
  });
});
