import type { PluginEntry } from './openclaw.js';
import { registerAgentConfigSyncCli } from './plugin/cli.js';
import { registerStatusMethod } from './plugin/statusMethod.js';
import { createAgentConfigSyncService, lastStartFailure, PLUGIN_ID, runningFacts, runningPipeline } from './service.js';

/**
 * OpenClaw entry: register() is synchronous and only registers — the service (the pipeline, started
 * by the gateway), the read-scoped status method and `openclaw agent-config-sync` (where the host
 * has those APIs). Nothing starts here.
 */
const plugin: PluginEntry = {
  id: PLUGIN_ID,
  name: 'Agent Config Sync',
  description: 'Keeps agents.json in sync with PostgreSQL in real time (LISTEN/NOTIFY, atomic writes, safe reload).',
  register(api) {
    api.registerService(createAgentConfigSyncService(api));
    registerStatusMethod(api, { facts: runningFacts, status: () => runningPipeline()?.status(), startFailure: lastStartFailure });
    registerAgentConfigSyncCli(api, async () => (await import('./cli/main.js')).main);
  },
};

export default plugin;
