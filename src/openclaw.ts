/**
 * The slice of OpenClaw's plugin API this plugin uses, typed locally so the plugin builds without
 * the openclaw package (which needs Node >= 24). Shapes as seen on 2026.4.29 – 2026.9.6.
 */
import type { Logger } from './logger.js';

/** A background service: started once the gateway is up, stopped on shutdown or reload. */
export interface PluginService {
  id: string;
  start(ctx: PluginServiceContext): void | Promise<void>;
  stop?(ctx?: PluginServiceContext): void | Promise<void>;
}

/** What a service's start() receives. */
export interface PluginServiceContext {
  config?: unknown;
  stateDir?: string;
  logger?: Logger;
}

/** What register(api) receives. */
export interface PluginApi {
  id?: string;
  /** The whole openclaw config, after `$include` and defaults. */
  config?: unknown;
  /** `plugins.entries.<id>.config`. */
  pluginConfig?: Record<string, unknown>;
  runtime?: { version?: string };
  logger: Logger;
  registerService(service: PluginService): void;
}

/** The default export OpenClaw loads. */
export interface PluginEntry {
  id: string;
  name: string;
  description: string;
  register(api: PluginApi): void;
}
