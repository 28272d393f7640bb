// @closedloop/cli/config: the one closedloop config (schema, loader, `defineConfig`), for the
// `closedloop` commands, the Temporal worker and typed `closedloop.config.ts` files.
export type { ConfigIssue, ParseOptions, ServeConfig as Config } from './config.ts';
export {
  ConfigError,
  configPath,
  DEFAULT_CONFIG_FILES,
  defineConfig,
  loadConfig,
  parseConfig,
  secretValue,
} from './config.ts';
export type { Deprecation } from './deprecations.ts';
export type { ConfigInput, EnvSecret } from './schema.ts';
export { ConfigSchema, EnvSecretSchema, RetentionSchema, WorkerSchema } from './schema.ts';
export { openStore } from './store.ts';
