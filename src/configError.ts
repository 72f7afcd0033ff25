/**
 * A bad setting: thrown while options are resolved, before anything starts. Its message names the key
 * and what is allowed. In a module of its own so that whatever parses a setting (config, db/source)
 * can throw it without importing the config resolver.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
