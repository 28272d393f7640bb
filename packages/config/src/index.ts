// @closedloop/config: the one closedloop config (schema, loader, `defineConfig`), for the
// `closedloop` commands, the Temporal worker and typed `closedloop.config.ts` files.
export type {
  ConfigIssue,
  ParseOptions,
  ServeConfig,
  ServeConfigInput,
} from './config.ts';
export {
  CONFIG_HELP,
  ConfigError,
  configPath,
  DEFAULT_CONFIG_FILES,
  defineConfig,
  loadConfig,
  optionalConfig,
  parseConfig,
  secretValue,
} from './config.ts';
export type { Deprecation } from './deprecations.ts';
export type { ConfigInput, EnvSecret } from './schema.ts';
export { ConfigSchema, EnvSecretSchema, RetentionSchema, ROLES, WorkerSchema } from './schema.ts';
export { openStore } from './store.ts';
