// The PostgreSQL store's schema, as ordered migrations recorded in `<schema>.schema_migrations`
// (the same table since versioning began). Each step runs once, in order; all pending steps run
// in one transaction. The SQLite store keeps its own list (sqlite-migrations.ts); the two reach
// the same tables, columns and constraints, except where noted there.
import type pg from 'pg';
import { ClosedLoopError } from '../errors.ts';
import { rollupMigration } from '../learn/rollups.ts';
import { postgresDocumentsDdl } from './documents.ts';

// Records are kept as `json`, not `jsonb`: `json` keeps the text exactly as written, while `jsonb`
// refuses some strings a customer can send (a NUL character, a lone surrogate). Reporting queries
// still read them with `->` and `->>`; the columns beside them (status, nps, segment…) are typed.
function ddl(s: string): string {
  return `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE IF NOT EXISTS ${s}.loops (
  loop_id text PRIMARY KEY,
  state text NOT NULL,
  version integer NOT NULL,
  snapshot json NOT NULL,
  updated_at text NOT NULL);
CREATE TABLE IF NOT EXISTS ${s}.feedback (
  id text PRIMARY KEY,
  tool text NOT NULL,
  response_id text NOT NULL,
  received_at timestamptz NOT NULL,
  nps smallint,
  csat smallint,
  segment text,
  touchpoint text,
  language text,
  anonymous boolean NOT NULL,
  data json NOT NULL,
  UNIQUE (tool, response_id));
CREATE INDEX IF NOT EXISTS feedback_received ON ${s}.feedback (received_at);
CREATE TABLE IF NOT EXISTS ${s}.cases (
  id text PRIMARY KEY,
  loop_id text NOT NULL,
  status text NOT NULL,
  priority text NOT NULL,
  priority_rank smallint NOT NULL,
  segment text NOT NULL,
  owner text NOT NULL,
  customer_email text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  data json NOT NULL);
CREATE INDEX IF NOT EXISTS cases_status ON ${s}.cases (status);
CREATE INDEX IF NOT EXISTS cases_segment ON ${s}.cases (segment, status);
CREATE INDEX IF NOT EXISTS cases_owner ON ${s}.cases (owner, status);
CREATE INDEX IF NOT EXISTS cases_updated ON ${s}.cases (updated_at, id COLLATE "C");
CREATE INDEX IF NOT EXISTS cases_created ON ${s}.cases (created_at, id COLLATE "C");
CREATE INDEX IF NOT EXISTS cases_loop ON ${s}.cases (loop_id);
CREATE TABLE IF NOT EXISTS ${s}.timers (
  loop_id text NOT NULL,
  name text NOT NULL,
  due_at bigint NOT NULL,
  PRIMARY KEY (loop_id, name));
CREATE INDEX IF NOT EXISTS timers_due ON ${s}.timers (due_at, loop_id);
CREATE TABLE IF NOT EXISTS ${s}.deliveries (
  id text PRIMARY KEY,
  seq bigserial NOT NULL,
  loop_id text NOT NULL,
  connector text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts integer NOT NULL,
  next_attempt_at bigint NOT NULL,
  last_error text,
  effect json NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON ${s}.deliveries (status, next_attempt_at, seq);
CREATE INDEX IF NOT EXISTS deliveries_loop ON ${s}.deliveries (loop_id, seq);
`;
}

/**
 * The schema's versioned steps, applied in order, each once (recorded in `schema_migrations`).
 * Append new steps; never edit one that has shipped. `s` is the quoted schema name.
 */
export const POSTGRES_MIGRATIONS: readonly ((s: string) => string)[] = [
  // 1: the tables.
  (s) => ddl(s) + postgresDocumentsDdl(s),
  // 2: leases, so several processes claim deliveries and timers instead of sharing them.
  (s) => `
ALTER TABLE ${s}.deliveries ADD COLUMN IF NOT EXISTS claimed_by text, ADD COLUMN IF NOT EXISTS lease_until bigint;
ALTER TABLE ${s}.timers ADD COLUMN IF NOT EXISTS claimed_by text, ADD COLUMN IF NOT EXISTS lease_until bigint;`,
  // 3: feedback.loop_id (filled from the loop whose snapshot names the feedback) and the view
  // learn reads; UNIQUE (tool, response_id) was there from step 1 (SQLite gets it in its step 2).
  // Idempotent, like every step here (a schema whose schema_migrations was lost takes them all).
  (s) => `
ALTER TABLE ${s}.feedback ADD COLUMN IF NOT EXISTS loop_id text;
UPDATE ${s}.feedback f SET loop_id = l.loop_id FROM ${s}.loops l
  WHERE f.loop_id IS NULL AND f.id = (l.snapshot->'context'->'feedback'->>'id');
CREATE OR REPLACE VIEW ${s}.learn_feedback AS
  SELECT id, loop_id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data
  FROM ${s}.feedback;`,
  // 4: learn's daily rollups: tables, triggers, filled from the stored rows (learn/rollups.ts; a
  // later change to the rollups needs a step of its own, never an edit here).
  (s) => `${rollupMigration({ dialect: 'postgres', table: (name) => `${s}.${name}` }).join(';\n')};`,
];

type Row = Record<string, unknown>;

/** The version a schema is at: the highest step recorded, 0 for a new (or pre-versioning) one. */
export async function postgresSchemaVersion(on: pg.Pool | pg.PoolClient, s: string): Promise<number> {
  const table = await on.query<Row>('SELECT to_regclass($1) AS t', [`${s}.schema_migrations`]);
  if (table.rows[0]?.t === null || table.rows[0]?.t === undefined) return 0;
  const r = await on.query<Row>(`SELECT coalesce(max(version), 0) AS v FROM ${s}.schema_migrations`);
  return Number(r.rows[0]?.v ?? 0);
}

/**
 * Brings schema `schemaName` to the latest version, in one transaction under an advisory lock:
 * processes starting together take turns, and the second finds nothing left to do. A schema at
 * a newer version than this code knows is refused before anything is written.
 */
export async function migratePostgres(
  pool: pg.Pool,
  schemaName: string,
  migrations: readonly ((s: string) => string)[] = POSTGRES_MIGRATIONS,
): Promise<void> {
  const s = `"${schemaName}"`;
  const tooNew = (v: number) =>
    new ClosedLoopError(
      'STORE',
      `PostgreSQL schema ${schemaName} is at version ${v}, newer than this closedloop knows (${migrations.length}): upgrade closedloop, or point it at another schema`,
    );
  // Schema at the latest version: nothing to do, so an application role without CREATE rights
  // (tables made by a migration role) works too.
  const known = await postgresSchemaVersion(pool, s);
  if (known > migrations.length) throw tooNew(known);
  if (known === migrations.length) return;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Two processes migrating the same schema at once would collide in the catalog: take turns.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`closedloop:${schemaName}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
        version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = await postgresSchemaVersion(client, s);
    if (applied > migrations.length) throw tooNew(applied);
    // Steps in order, each once; the first ones are idempotent, so a schema from before
    // versioning (tables without schema_migrations) takes them without harm.
    for (let v = applied + 1; v <= migrations.length; v++) {
      await client.query(migrations[v - 1]!(s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [v]);
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
}
