import type { PluginEntry } from './openclaw.js';
import { createAgentConfigSyncService, PLUGIN_ID } from './service.js';

/** OpenClaw entry: register() is synchronous and only registers the service. */
const plugin: PluginEntry = {
  id: PLUGIN_ID,
  name: 'Agent Config Sync',
  description: 'Keeps agents.json in sync with PostgreSQL in real time (LISTEN/NOTIFY, atomic writes, safe reload).',
  register(api) {
    api.registerService(createAgentConfigSyncService(api));
  },
};

export default plugin;
