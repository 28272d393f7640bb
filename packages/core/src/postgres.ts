// @closedloop/core/postgres: the PostgreSQL store. A subpath of its own so that `@closedloop/core`
// never loads `pg` (an optional peer dependency: install it only when you use this entry).
export type { PostgresStoreOptions } from './stores/postgres.ts';
export { postgresStore, redactConnectionString } from './stores/postgres.ts';
