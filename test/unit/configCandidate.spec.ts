import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfigPath } from '../../src/host.js';
import { findGatewayConfig } from '../../src/plugin/gatewayConfig.js';

/**
 * The plugin (defaultConfigPath, in the gateway and in `openclaw agent-config-sync`) and the
 * standalone CLI (findGatewayConfig) look for openclaw.json in one place, by one rule.
 */
describe('where openclaw.json is when nothing names it', () => {
  const cases: [string, Record<string, string | undefined>][] = [
    ['OPENCLAW_CONFIG_PATH', { OPENCLAW_CONFIG_PATH: 'conf/openclaw.json', HOME: '/home/op' }],
    ['a relative OPENCLAW_STATE_DIR', { OPENCLAW_STATE_DIR: 'state', HOME: '/home/op' }],
    ['an absolute OPENCLAW_STATE_DIR', { OPENCLAW_STATE_DIR: '/srv/openclaw', HOME: '/home/op' }],
    ['HOME', { HOME: '/home/op' }],
    ['an empty HOME', { HOME: '' }],
  ];
  for (const [what, env] of cases) {
    it(`should be the same file for the plugin and the CLI with ${what}`, () => {
      const cli = findGatewayConfig(undefined, env);
      expect(defaultConfigPath(env)).toBe(cli.path);
      expect(path.isAbsolute(defaultConfigPath(env))).toBe(true);
    });
  }

  it('should be made absolute against the working directory, and fall back to the account home', () => {
    expect(defaultConfigPath({ OPENCLAW_STATE_DIR: 'state' })).toBe(path.resolve('state', 'openclaw.json'));
    expect(defaultConfigPath({ HOME: '' })).toBe(path.join(os.homedir(), '.openclaw', 'openclaw.json'));
  });
});
