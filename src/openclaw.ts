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
  /** How the host loaded the plugin (2026.8+): "full" in the gateway, "cli-metadata" for help, … */
  registrationMode?: string;
  registerService(service: PluginService): void;
  /** A gateway RPC method (`openclaw gateway call <method>`); default scope operator.admin. Present on 2026.4.29+. */
  registerGatewayMethod?(method: string, handler: GatewayMethodHandler, options?: { scope?: OperatorScope }): void;
  /** `openclaw <command>`: runs in the CLI process, not the gateway. Present on 2026.4.29+. */
  registerCli?(registrar: (ctx: CliRegistrarContext) => void | Promise<void>, options?: CliRegistrationOptions): void;
}

/** Scopes a gateway method may require. */
export type OperatorScope = 'operator.read' | 'operator.write' | 'operator.admin';

/** What a gateway method handler receives (the part this plugin uses). */
export interface GatewayMethodOptions {
  params?: Record<string, unknown>;
  respond(ok: boolean, payload?: unknown, error?: { code: string; message: string }): void;
}
export type GatewayMethodHandler = (options: GatewayMethodOptions) => void | Promise<void>;

/** The slice of commander's Command the CLI registration uses. */
export interface CommandLike {
  command(name: string): CommandLike;
  description(text: string): CommandLike;
  argument(name: string, description?: string): CommandLike;
  allowUnknownOption(allow?: boolean): CommandLike;
  allowExcessArguments?(allow?: boolean): CommandLike;
  helpOption(flags: string | boolean, description?: string): CommandLike;
  action(fn: (...args: unknown[]) => void | Promise<void>): CommandLike;
  args: string[];
}

/** What a CLI registrar receives. */
export interface CliRegistrarContext {
  program: CommandLike;
  config?: unknown;
  logger?: Logger;
}

/** Root commands the registrar owns (`descriptors` keeps it lazy on 2026.8+). */
export interface CliRegistrationOptions {
  commands?: string[];
  descriptors?: { name: string; description: string; hasSubcommands: boolean }[];
}

/** The default export OpenClaw loads. */
export interface PluginEntry {
  id: string;
  name: string;
  description: string;
  register(api: PluginApi): void;
}
