// The SQLite store's schema, as ordered migrations. Each step runs once, in order, and is
// recorded in `schema_migrations`; all pending steps run in one transaction (SQLite DDL is
// transactional), so a database is either upgraded completely or left as it was.
// Append new steps; never edit one that has shipped (a database that took it would not take it
// again). Steps number from 1; the PostgreSQL store keeps its own list (postgres-migrations.ts).
import type { DatabaseSync } from 'node:sqlite';
import { ClosedLoopError } from '../errors.ts';
import { rollupMigration } from '../learn/rollups.ts';
import { SQLITE_DOCUMENTS_SCHEMA } from './documents.ts';

export interface SqliteMigration {
  /** What the step does, for people reading the code. */
  name: string;
  up(db: DatabaseSync): void;
}

/**
 * Migration 1, frozen: the schema closedloop created before migrations were versioned. It is
 * idempotent (`IF NOT EXISTS`), so a database from before versioning (tables, no
 * `schema_migrations`) takes it without harm, and one from before timers moved into the loops
 * table gets them moved.
 */
const V1_TABLES = `
CREATE TABLE IF NOT EXISTS loops (
  loop_id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL,
  snapshot TEXT NOT NULL, updated_at TEXT NOT NULL,
  timers TEXT NOT NULL DEFAULT '[]', next_due_at INTEGER);
CREATE TABLE IF NOT EXISTS feedback (
  id TEXT PRIMARY KEY, tool TEXT NOT NULL, response_id TEXT NOT NULL, received_at TEXT NOT NULL,
  nps INTEGER, csat INTEGER, segment TEXT, touchpoint TEXT, language TEXT,
  anonymous INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS feedback_received ON feedback (received_at);
CREATE TABLE IF NOT EXISTS cases (
  id TEXT PRIMARY KEY, loop_id TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
  priority_rank INTEGER NOT NULL, segment TEXT NOT NULL, owner TEXT NOT NULL,
  customer_email TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS cases_status ON cases (status);
CREATE INDEX IF NOT EXISTS cases_segment ON cases (segment);
CREATE INDEX IF NOT EXISTS cases_owner ON cases (owner);
CREATE INDEX IF NOT EXISTS cases_updated ON cases (updated_at);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, loop_id TEXT NOT NULL, connector TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
  last_error TEXT, effect TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
`;
/** Databases from before timers moved into the loops table. */
const V1_MOVE_TIMERS = `
ALTER TABLE loops ADD COLUMN timers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE loops ADD COLUMN next_due_at INTEGER;
UPDATE loops SET
  timers = (SELECT json_group_array(json_array(name, due_at)) FROM timers t WHERE t.loop_id = loops.loop_id),
  next_due_at = (SELECT MIN(due_at) FROM timers t WHERE t.loop_id = loops.loop_id)
  WHERE loop_id IN (SELECT loop_id FROM timers);
DROP TABLE timers;
`;
const V1_LOOPS_DUE = 'CREATE INDEX IF NOT EXISTS loops_due ON loops (next_due_at);';

/** The view learn reads (docs/learn.md, "What learn reads"); the same columns on PostgreSQL. */
const LEARN_FEEDBACK_VIEW = `CREATE VIEW learn_feedback AS
  SELECT id, loop_id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data
  FROM feedback;`;

/** The DDL of migration 1 on a new database (tests create "a database of the previous release" with it). */
export const SQLITE_V1_DDL = V1_TABLES + V1_LOOPS_DUE + SQLITE_DOCUMENTS_SCHEMA;

export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'tables of the first release',
    up(db) {
      db.exec(V1_TABLES);
      const columns = db.prepare('PRAGMA table_info(loops)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'timers')) db.exec(V1_MOVE_TIMERS);
      db.exec(V1_LOOPS_DUE + SQLITE_DOCUMENTS_SCHEMA);
    },
  },
  {
    name: 'feedback.loop_id, UNIQUE (tool, response_id), view learn_feedback',
    up(db) {
      // A loop's feedback is the one its snapshot names: fill loop_id from there (one pass over
      // loops, each a primary-key lookup in feedback).
      db.exec(`
ALTER TABLE feedback ADD COLUMN loop_id TEXT;
UPDATE feedback SET loop_id = l.loop_id
  FROM (SELECT loop_id, json_extract(snapshot, '$.context.feedback.id') AS feedback_id FROM loops) AS l
  WHERE feedback.id = l.feedback_id;
CREATE UNIQUE INDEX feedback_source ON feedback (tool, response_id);
${LEARN_FEEDBACK_VIEW}`);
    },
  },
  {
    // No query of the store uses these (sqlite-plans.test.ts shows the plans of those that use
    // an index), and each costs a B-tree insert per step. Learn adds its own (analytics prepare()).
    name: 'drop the indexes no query uses: feedback_received, cases_updated',
    up(db) {
      db.exec('DROP INDEX IF EXISTS feedback_received; DROP INDEX IF EXISTS cases_updated;');
    },
  },
  {
    // Built from learn/rollups.ts: a later change to the rollups needs a step of its own
    // (recreate the triggers, rebuild), never an edit here.
    name: 'learn rollups: daily tables, their triggers, filled from the stored rows',
    up(db) {
      for (const statement of rollupMigration({ dialect: 'sqlite', table: (name) => name }))
        db.exec(statement);
    },
  },
];

/** The version a database is at: the highest step recorded, 0 for a new (or pre-versioning) one. */
export function sqliteSchemaVersion(db: DatabaseSync): number {
  const table = db
    .prepare("SELECT 1 AS t FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  if (!table) return 0;
  const r = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number };
  return Number(r.v);
}

/**
 * Brings a database to the latest version. A database at a newer version than this code knows
 * is refused before anything is written. `where` names the database in messages.
 */
export function migrateSqlite(
  db: DatabaseSync,
  where: string,
  migrations: readonly SqliteMigration[] = SQLITE_MIGRATIONS,
): void {
  const tooNew = (v: number) =>
    new ClosedLoopError(
      'STORE',
      `SQLite database "${where}" is at schema version ${v}, newer than this closedloop knows (${migrations.length}): upgrade closedloop, or open a copy of the database made before the upgrade`,
    );
  const known = sqliteSchemaVersion(db);
  if (known > migrations.length) throw tooNew(known);
  if (known === migrations.length) return;
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
    );
    const applied = sqliteSchemaVersion(db);
    if (applied > migrations.length) throw tooNew(applied);
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (let v = applied + 1; v <= migrations.length; v++) {
      migrations[v - 1]!.up(db);
      record.run(v, new Date().toISOString());
    }
    db.exec('COMMIT');
  } catch (cause) {
    if (db.isTransaction) db.exec('ROLLBACK');
    if (cause instanceof ClosedLoopError) throw cause;
    throw new ClosedLoopError('STORE', `Cannot migrate SQLite database "${where}": ${String(cause)}`, {
      cause,
    });
  }
}
