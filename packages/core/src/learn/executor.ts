import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Pool, PoolClient } from 'pg';
import type { RollupTable } from './rollups.ts';

/** A parameter of an analytics query. */
export type SqlParam = string | number | null;
/** A result row: column name to value. PostgreSQL returns bigint and numeric as strings. */
export type SqlRow = Record<string, unknown>;

/**
 * Runs the analytics' SQL on one database. Queries use `?` placeholders (turned into `$1…` for
 * PostgreSQL) and name tables through {@link SqlExecutor.table}, so one query text serves both.
 */
export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The qualified name of a store table (`feedback`, `cases`, `loops`, a rollup table) or of the
   * view `learn_feedback` (feedback with its `loop_id`; docs/learn.md, "What learn reads").
   */
  table(name: 'feedback' | 'learn_feedback' | 'cases' | 'loops' | RollupTable): string;
  all(sql: string, params?: readonly SqlParam[]): Promise<SqlRow[]>;
  /** Runs a statement with no result (DDL). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `fn` in one transaction on one connection, committed when it resolves, rolled back when it
   * throws. SQLite: `BEGIN IMMEDIATE`, so the store's writer waits (up to its busy timeout).
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}

/**
 * An executor over a `node:sqlite` database opened on the store's file (a second connection is
 * fine: the store runs in WAL mode, so reports never block captures).
 *
 * @example
 * const analytics = createAnalytics(sqliteExecutor(new DatabaseSync('data/closedloop.sqlite')), { segments });
 */
export function sqliteExecutor(db: DatabaseSync): SqlExecutor {
  const cache = new Map<string, StatementSync>();
  const executor: SqlExecutor = {
    dialect: 'sqlite',
    table: (name) => name,
    async all(sql, params = []) {
      let s = cache.get(sql);
      if (!s) {
        s = db.prepare(sql);
        cache.set(sql, s);
      }
      return s.all(...(params as SQLInputValue[])) as SqlRow[];
    },
    async exec(sql) {
      db.exec(sql);
    },
    async transaction(fn) {
      db.exec('BEGIN IMMEDIATE');
      try {
        const out = await fn(executor);
        db.exec('COMMIT');
        return out;
      } catch (e) {
        if (db.isTransaction) db.exec('ROLLBACK');
        throw e;
      }
    },
  };
  return executor;
}

/** Rewrites `?` placeholders as `$1, $2, …` (the analytics' SQL has no `?` elsewhere). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * An executor over a `pg` pool, for the tables of `postgresStore` in `schema` (default `closedloop`).
 *
 * @example
 * const analytics = createAnalytics(postgresExecutor(pool, 'closedloop'), { segments });
 */
export function postgresExecutor(pool: Pool, schema = 'closedloop'): SqlExecutor {
  const quoted = `"${schema.replace(/"/g, '""')}"`;
  const texts = new Map<string, string>();
  const numbered = (sql: string) => {
    let text = texts.get(sql);
    if (text === undefined) {
      text = numberPlaceholders(sql);
      texts.set(sql, text);
    }
    return text;
  };
  const on = (db: Pool | PoolClient): SqlExecutor => {
    const self: SqlExecutor = {
      dialect: 'postgres',
      table: (name) => `${quoted}.${name}`,
      async all(sql, params = []) {
        const res = await db.query(numbered(sql), params as unknown[]);
        return res.rows as SqlRow[];
      },
      async exec(sql) {
        await db.query(sql);
      },
      async transaction(fn) {
        if (db !== pool) return fn(self); // already in one
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await fn(on(client));
          await client.query('COMMIT');
          return out;
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          throw e;
        } finally {
          client.release();
        }
      },
    };
    return self;
  };
  return on(pool);
}
