import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { memoryStore, type Store, sqliteStore } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import { type ServeConfig, secretValue } from './config.ts';

/**
 * The store a config names: a SQLite file (its folder created), `:memory:`, or PostgreSQL with
 * the connection string from the environment variable `store.postgres.url` names.
 *
 * @example
 * const store = openStore(loadConfig());
 * await store.init();
 */
export function openStore(config: Pick<ServeConfig, 'store' | 'file'>, env = process.env): Store {
  if (typeof config.store !== 'string') {
    const { url, schema } = config.store.postgres;
    const connectionString = secretValue(url, 'store.postgres.url', env, config.file);
    return postgresStore({ connectionString, ...(schema ? { schema } : {}) });
  }
  if (config.store === ':memory:') return memoryStore();
  mkdirSync(dirname(config.store), { recursive: true });
  return sqliteStore({ path: config.store });
}
