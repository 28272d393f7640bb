import pg from 'pg';
import type { Case, CaseStatus } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import { postgresExecutor } from '../learn/executor.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { TimerName } from '../machine/types.ts';
import { type CustomerTx, eraseCustomerRows, findCustomer } from '../privacy/customer-rows.ts';
import type { CustomerRef } from '../privacy/redact.ts';
import { postgresDocuments, postgresDocumentsDdl } from './documents.ts';
import { asList, dueSoonUntil, emptyCounts } from './query.ts';
import {
  type CasePage,
  type CaseQuery,
  type CaseSortColumn,
  type Delivery,
  type DeliveryUpdate,
  type LoopRecord,
  PRIORITY_RANK,
  type StepWrite,
  type Store,
  type TimerRow,
} from './store.ts';

/** SQL for the case columns kept only inside `data` (text compared byte-wise, as the other stores do). */
const PG_NAME = `(data->>'customerName')`;
const PG_RUN_FR = `(CASE WHEN status <> 'resolved' AND data->'sla'->>'firstRespondedAt' IS NULL THEN data->'sla'->>'firstResponseDue' END) COLLATE "C"`;
const PG_RUN_RD = `(CASE WHEN status <> 'resolved' THEN data->'sla'->>'resolutionDue' END) COLLATE "C"`;
const PG_SORT: Record<CaseSortColumn, string> = {
  id: 'id COLLATE "C"',
  status: 'status COLLATE "C"',
  priority: 'priority_rank',
  segment: 'segment COLLATE "C"',
  owner: 'owner COLLATE "C"',
  customerEmail: 'customer_email COLLATE "C"',
  customerName: `${PG_NAME} COLLATE "C"`,
  nps: `(data->>'nps')::integer`,
  csat: `(data->>'csat')::integer`,
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  slaDue: `(CASE WHEN ${PG_RUN_FR} IS NULL THEN ${PG_RUN_RD} WHEN ${PG_RUN_RD} IS NULL OR ${PG_RUN_FR} < ${PG_RUN_RD} THEN ${PG_RUN_FR} ELSE ${PG_RUN_RD} END)`,
};

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:5432/database`; ignored when `pool` is given. */
  connectionString?: string;
  /** A pool you own: the store uses it and leaves it open on `close()`. */
  pool?: pg.Pool;
  /** The schema holding closedloop's tables, created if needed. Default `closedloop`. */
  schema?: string;
  /** Most connections the store's own pool opens. Default 10. */
  max?: number;
}

type Row = Record<string, unknown>;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

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
 * Append new steps; never edit one that has shipped.
 */
const MIGRATIONS: ((s: string) => string)[] = [
  // 1: the tables.
  (s) => ddl(s) + postgresDocumentsDdl(s),
  // 2: leases, so several processes claim deliveries and timers instead of sharing them.
  (s) => `
ALTER TABLE ${s}.deliveries ADD COLUMN IF NOT EXISTS claimed_by text, ADD COLUMN IF NOT EXISTS lease_until bigint;
ALTER TABLE ${s}.timers ADD COLUMN IF NOT EXISTS claimed_by text, ADD COLUMN IF NOT EXISTS lease_until bigint;`,
];

/** A connection string without its password, for messages. */
export function redactConnectionString(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/pass|secret|key/i.test(key)) u.searchParams.set(key, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/([^\s:/@]+:)[^\s@]*@/, '$1***@').replace(/(password=)[^&\s]*/gi, '$1***');
  }
}

/**
 * A store in PostgreSQL (the `pg` driver): each step is written by one SQL statement (atomic on
 * its own, one round trip), with optimistic concurrency on the loop's version. Tables live in their own schema (default
 * `closedloop`) and are created on first use; cases and feedback keep queryable columns next to
 * their JSON, for reporting in SQL.
 *
 * @example
 * const loop = createClosedLoop({
 *   store: postgresStore({ connectionString: process.env.DATABASE_URL }),
 *   segments,
 *   directory,
 * });
 */
export function postgresStore(options: PostgresStoreOptions = {}): Store {
  const schemaName = options.schema ?? 'closedloop';
  if (!SCHEMA_NAME.test(schemaName)) {
    throw new ClosedLoopError(
      'INVALID_INPUT',
      `Invalid PostgreSQL schema name "${schemaName}": use letters, digits and underscores, starting with a letter or underscore`,
    );
  }
  if (!options.pool && !options.connectionString) {
    throw new ClosedLoopError('INVALID_INPUT', 'postgresStore needs a connectionString or a pool');
  }
  const s = `"${schemaName}"`;
  const secret = passwordOf(options.connectionString);
  const where = options.connectionString
    ? redactConnectionString(options.connectionString)
    : 'the given pool';
  const ownPool = !options.pool;
  const pool =
    options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 10 });
  // An idle client's error (the server restarted) must not crash the process; the next query fails.
  // A pool passed in is its owner's to watch.
  if (ownPool) pool.on('error', () => {});

  let closed = false;
  let ready: Promise<void> | undefined;

  const storeError = (what: string, cause: unknown): ClosedLoopError => {
    if (cause instanceof ClosedLoopError) return cause;
    let message = cause instanceof Error ? cause.message : String(cause);
    if (secret) message = message.split(secret).join('***');
    return new ClosedLoopError(
      'STORE',
      `PostgreSQL ${what} failed (${where}, schema ${schemaName}): ${message}`,
      {
        cause,
      },
    );
  };
  const check = () => {
    if (closed) throw new ClosedLoopError('CLOSED', `The PostgreSQL store (${where}) is closed`);
  };

  async function init(): Promise<void> {
    // Schema at the latest version: nothing to do, so an application role without CREATE rights
    // (tables made by a migration role) works too.
    if ((await schemaVersion(pool)) >= MIGRATIONS.length) return;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      // Two processes migrating the same schema at once would collide in the catalog: take turns.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`closedloop:${schemaName}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s};
        CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
          version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
      const applied = await schemaVersion(client);
      // Steps in order, each once; the first ones are idempotent, so a schema from before
      // versioning (tables without schema_migrations) takes them without harm.
      for (let v = applied + 1; v <= MIGRATIONS.length; v++) {
        await client.query(MIGRATIONS[v - 1]!(s));
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

  async function schemaVersion(on: pg.Pool | pg.PoolClient): Promise<number> {
    const table = await on.query<Row>('SELECT to_regclass($1) AS t', [`${s}.schema_migrations`]);
    if (table.rows[0]?.t === null || table.rows[0]?.t === undefined) return 0;
    const r = await on.query<Row>(`SELECT coalesce(max(version), 0) AS v FROM ${s}.schema_migrations`);
    return Number(r.rows[0]?.v ?? 0);
  }

  /** Runs once tables exist; the first call creates them. */
  async function ensure(): Promise<void> {
    check();
    if (!ready) {
      ready = init().catch((e: unknown) => {
        ready = undefined;
        throw storeError('init', e);
      });
    }
    await ready;
  }

  async function query(what: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    await ensure();
    try {
      return await pool.query<Row>(sql, params);
    } catch (e) {
      throw storeError(what, e);
    }
  }

  /**
   * One step as one statement: data-modifying CTEs, each gated on the loop row having been
   * written (the version check), so a conflict writes nothing and the statement is atomic on its
   * own: one round trip, no explicit transaction.
   */
  function stepStatement(step: StepWrite): { sql: string; params: unknown[] } {
    const { loop } = step;
    const params: unknown[] = [];
    const $ = (value: unknown, type: string) => {
      params.push(value);
      return `$${params.length}::${type}`;
    };
    const loopId = $(loop.loopId, 'text');
    const ctes: string[] = [];
    const values = [loopId, $(loop.snapshot.state, 'text'), $(loop.version, 'integer')];
    const snapshot = $(JSON.stringify(loop.snapshot), 'json');
    const updatedAt = $(loop.updatedAt, 'text');
    ctes.push(
      step.expectedVersion === undefined
        ? `l AS (INSERT INTO ${s}.loops (loop_id, state, version, snapshot, updated_at)
             VALUES (${values.join(', ')}, ${snapshot}, ${updatedAt}) ON CONFLICT (loop_id) DO NOTHING RETURNING 1)`
        : `l AS (UPDATE ${s}.loops SET state = ${values[1]}, version = ${values[2]}, snapshot = ${snapshot},
             updated_at = ${updatedAt} WHERE loop_id = ${loopId} AND version = ${$(step.expectedVersion, 'integer')}
             RETURNING 1)`,
    );
    const written = 'EXISTS (SELECT 1 FROM l)';
    const f = step.feedback;
    if (f) {
      ctes.push(`f AS (INSERT INTO ${s}.feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data)
        SELECT ${[
          $(f.id, 'text'),
          $(f.source.tool, 'text'),
          $(f.source.responseId, 'text'),
          $(f.receivedAt, 'timestamptz'),
          $(f.nps ?? null, 'smallint'),
          $(f.csat ?? null, 'smallint'),
          $(f.customer.segment ?? null, 'text'),
          $(f.touchpoint ?? null, 'text'),
          $(f.language ?? null, 'text'),
          $(f.customer.anonymous, 'boolean'),
          $(JSON.stringify(f), 'json'),
        ].join(', ')} WHERE ${written}
        ON CONFLICT (id) DO UPDATE SET nps = excluded.nps, csat = excluded.csat, segment = excluded.segment,
          touchpoint = excluded.touchpoint, language = excluded.language, anonymous = excluded.anonymous,
          data = excluded.data)`);
    }
    const c = step.case;
    if (c) {
      ctes.push(`c AS (INSERT INTO ${s}.cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data)
        SELECT ${[
          $(c.id, 'text'),
          $(c.loopId, 'text'),
          $(c.status, 'text'),
          $(c.priority, 'text'),
          $(PRIORITY_RANK[c.priority], 'smallint'),
          $(c.segment, 'text'),
          $(c.owner, 'text'),
          $(c.customerEmail ?? '', 'text'), // '' = known by id only
          $(c.createdAt, 'timestamptz'),
          $(c.updatedAt, 'timestamptz'),
          $(JSON.stringify(c), 'json'),
        ].join(', ')} WHERE ${written}
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
          priority_rank = excluded.priority_rank, segment = excluded.segment, owner = excluded.owner,
          customer_email = excluded.customer_email, updated_at = excluded.updated_at, data = excluded.data)`);
    }
    // The loop's timers become exactly the step's: drop the others, upsert these (disjoint rows,
    // so the two parts of one statement never touch the same row).
    const names =
      step.expectedVersion !== undefined || step.timers.length > 0
        ? $(
            step.timers.map((t) => t.name),
            'text[]',
          )
        : '';
    if (step.expectedVersion !== undefined) {
      ctes.push(
        `td AS (DELETE FROM ${s}.timers WHERE loop_id = ${loopId} AND NOT (name = ANY(${names})) AND ${written})`,
      );
    }
    if (step.timers.length > 0) {
      ctes.push(`ti AS (INSERT INTO ${s}.timers AS cur (loop_id, name, due_at)
        SELECT * FROM unnest(${$(
          step.timers.map((t) => t.loopId),
          'text[]',
        )}, ${names}, ${$(
          step.timers.map((t) => String(t.dueAt)),
          'bigint[]',
        )}) WHERE ${written}
        ON CONFLICT (loop_id, name) DO UPDATE SET due_at = excluded.due_at,
          claimed_by = CASE WHEN cur.due_at = excluded.due_at THEN cur.claimed_by END,
          lease_until = CASE WHEN cur.due_at = excluded.due_at THEN cur.lease_until END)`);
    }
    const ds = step.deliveries;
    if (ds.length > 0) {
      ctes.push(`d AS (INSERT INTO ${s}.deliveries (id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect)
        SELECT id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect
        FROM unnest(${[
          $(
            ds.map((d) => d.id),
            'text[]',
          ),
          $(
            ds.map((d) => d.effect.loopId),
            'text[]',
          ),
          $(
            ds.map((d) => d.connector),
            'text[]',
          ),
          $(
            ds.map((d) => d.status),
            'text[]',
          ),
          $(
            ds.map((d) => d.attempts),
            'integer[]',
          ),
          $(
            ds.map((d) => String(d.nextAttemptAt)),
            'bigint[]',
          ),
          $(
            ds.map((d) => d.lastError ?? null),
            'text[]',
          ),
          $(
            ds.map((d) => JSON.stringify(d.effect)),
            'json[]',
          ),
        ].join(', ')}) WITH ORDINALITY
          AS u(id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect, ord)
        WHERE ${written} ORDER BY ord
        ON CONFLICT (id) DO NOTHING)`);
    }
    return {
      sql: `WITH ${ctes.join(',\n')}
        SELECT (SELECT count(*) FROM l)::integer AS written`,
      params,
    };
  }

  function filters(query: Omit<CaseQuery, 'sort' | 'order' | 'limit' | 'offset'>): {
    sql: string;
    params: unknown[];
  } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const inList = (column: string, values: string[] | undefined) => {
      if (!values) return;
      params.push(values);
      clauses.push(`${column} = ANY($${params.length}::text[])`);
    };
    inList('status', asList(query.status));
    inList('priority', asList(query.priority));
    inList('segment', asList(query.segment));
    inList('owner', asList(query.owner));
    if (query.search !== undefined && query.search !== '') {
      params.push(query.search.toLowerCase());
      const n = params.length;
      clauses.push(
        `(left(lower(id), length($${n}::text)) = $${n} OR strpos(lower(customer_email), $${n}) > 0 OR strpos(lower(coalesce(${PG_NAME}, '')), $${n}) > 0)`,
      );
    }
    if (query.from !== undefined) {
      params.push(query.from);
      clauses.push(`created_at >= $${params.length}::timestamptz`);
    }
    if (query.to !== undefined) {
      params.push(query.to);
      clauses.push(`created_at < $${params.length}::timestamptz`);
    }
    if (query.sla !== undefined) {
      const now = query.now ?? new Date().toISOString();
      params.push(now);
      const n = `$${params.length}::text COLLATE "C"`;
      if (query.sla === 'dueSoon') {
        params.push(dueSoonUntil(now));
        const u = `$${params.length}::text COLLATE "C"`;
        clauses.push(
          `((${PG_RUN_FR} >= ${n} AND ${PG_RUN_FR} < ${u}) OR (${PG_RUN_RD} >= ${n} AND ${PG_RUN_RD} < ${u}))`,
        );
      } else {
        clauses.push(
          `(json_array_length(data->'sla'->'breaches') > 0 OR ${PG_RUN_FR} < ${n} OR ${PG_RUN_RD} < ${n})`,
        );
      }
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  const rowToDelivery = (r: Row): Delivery => {
    const d: Delivery = {
      id: String(r.id),
      connector: String(r.connector),
      effect: r.effect as Delivery['effect'],
      status: r.status as Delivery['status'],
      attempts: Number(r.attempts),
      nextAttemptAt: Number(r.next_attempt_at),
    };
    if (r.last_error !== null && r.last_error !== undefined) d.lastError = String(r.last_error);
    return d;
  };
  const DELIVERY_COLUMNS = 'id, connector, effect, status, attempts, next_attempt_at, last_error';

  const documents = postgresDocuments(s, query);

  /** One customer's rows, read and written through `run` (a pool, or one transaction's client). */
  const customerTx = (run: (sql: string, params: unknown[]) => Promise<Row[]>): CustomerTx => {
    const toLoop = (r: Row): LoopRecord => ({
      loopId: String(r.loop_id),
      snapshot: r.snapshot as LoopSnapshot,
      version: Number(r.version),
      updatedAt: String(r.updated_at),
    });
    return {
      async feedbackOf(emails, customerIds) {
        const rows = await run(
          `SELECT data FROM ${s}.feedback WHERE lower(data->'customer'->>'email') = ANY($1::text[])
           OR data->'customer'->>'id' = ANY($2::text[])`,
          [emails, customerIds],
        );
        return rows.map((r) => r.data as Feedback);
      },
      async casesOf(emails) {
        const rows = await run(`SELECT data FROM ${s}.cases WHERE lower(customer_email) = ANY($1::text[])`, [
          emails,
        ]);
        return rows.map((r) => r.data as Case);
      },
      async loopsOf(feedbackIds, loopIds) {
        const rows = await run(
          `SELECT loop_id, version, snapshot, updated_at FROM ${s}.loops WHERE loop_id = ANY($1::text[])
           OR snapshot->'context'->'feedback'->>'id' = ANY($2::text[])`,
          [loopIds, feedbackIds],
        );
        return rows.map(toLoop);
      },
      async casesOfLoops(loopIds) {
        const rows = await run(`SELECT data FROM ${s}.cases WHERE loop_id = ANY($1::text[])`, [loopIds]);
        return rows.map((r) => r.data as Case);
      },
      async deliveriesOf(loopIds) {
        const rows = await run(
          `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries WHERE loop_id = ANY($1::text[]) ORDER BY seq`,
          [loopIds],
        );
        return rows.map(rowToDelivery);
      },
      async loopPage(after, limit) {
        const rows = await run(
          `SELECT loop_id, version, snapshot, updated_at FROM ${s}.loops WHERE loop_id COLLATE "C" > $1
           ORDER BY loop_id COLLATE "C" LIMIT $2`,
          [after ?? '', limit],
        );
        return rows.map(toLoop);
      },
      async feedbackByIds(ids) {
        const rows = await run(`SELECT data FROM ${s}.feedback WHERE id = ANY($1::text[])`, [ids]);
        return rows.map((r) => r.data as Feedback);
      },
      async writeFeedback(f) {
        await run(`UPDATE ${s}.feedback SET data = $2::json WHERE id = $1`, [f.id, JSON.stringify(f)]);
      },
      async writeCase(c) {
        await run(
          `UPDATE ${s}.cases SET customer_email = $2, updated_at = $3::timestamptz, data = $4::json WHERE id = $1`,
          [c.id, c.customerEmail ?? '', c.updatedAt, JSON.stringify(c)],
        );
      },
      async writeLoop(rec) {
        await run(
          `UPDATE ${s}.loops SET state = $2, version = $3, snapshot = $4::json, updated_at = $5 WHERE loop_id = $1`,
          [rec.loopId, String(rec.snapshot.state), rec.version, JSON.stringify(rec.snapshot), rec.updatedAt],
        );
        await run(`DELETE FROM ${s}.timers WHERE loop_id = $1`, [rec.loopId]);
      },
      async writeDelivery(d) {
        await run(
          `UPDATE ${s}.deliveries SET status = $2, last_error = $3, effect = $4::json WHERE id = $1`,
          [d.id, d.status, d.lastError ?? null, JSON.stringify(d.effect)],
        );
      },
    };
  };

  async function eraseCustomer(ref: CustomerRef, now: number) {
    return inTransaction((tx) => eraseCustomerRows(tx, ref, now));
  }

  async function vacuum() {
    // Dead row versions keep the old text until VACUUM frees them.
    await query(
      'privacy (VACUUM)',
      `VACUUM ${['feedback', 'cases', 'loops', 'timers', 'deliveries'].map((t) => `${s}.${t}`).join(', ')}`,
    );
  }

  async function inTransaction<T>(fn: (tx: CustomerTx) => Promise<T>): Promise<T> {
    await ensure();
    // REPEATABLE READ: a step committed meanwhile to a row this erasure rewrites fails the
    // erasure with a serialization error, and it runs again on fresh rows; a step that comes
    // after fails its own version check. Bounded: a person has few loops.
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
        const result = await fn(
          customerTx(async (sql, params) => (await client.query<Row>(sql, params)).rows),
        );
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (e as { code?: string }).code;
        if ((code === '40001' || code === '40P01') && attempt < 10) continue;
        throw storeError('privacy job', e);
      } finally {
        client.release();
      }
    }
  }

  return {
    kind: 'postgres',
    shared: true,
    sql: postgresExecutor(pool, schemaName),
    documents,
    async init() {
      await ensure();
    },

    async commit(step) {
      await ensure();
      const { sql, params } = stepStatement(step);
      let row: Row | undefined;
      try {
        // Unnamed (not prepared by name): works behind PgBouncer in transaction mode too.
        row = (await pool.query<Row>(sql, params)).rows[0];
      } catch (e) {
        throw storeError('commit', e);
      }
      if (row?.written !== 1) {
        const { loopId } = step.loop;
        // Read after the statement: its own snapshot may predate the commit it lost to.
        const stored = (await query('commit', `SELECT version FROM ${s}.loops WHERE loop_id = $1`, [loopId]))
          .rows[0]?.version;
        throw new ClosedLoopError(
          'CONFLICT',
          `Loop ${loopId} changed meanwhile (stored version ${stored ?? 'none'}, expected ${step.expectedVersion ?? 'none'}); retry`,
          { details: { loopId, storedVersion: stored, expectedVersion: step.expectedVersion } },
        );
      }
    },

    async listLoops(scan): Promise<LoopRecord[]> {
      // A loop's feedback is the one its snapshot names.
      const rows = (
        await query(
          'listLoops',
          `SELECT l.loop_id, l.version, l.snapshot, l.updated_at FROM ${s}.loops l
           JOIN ${s}.feedback f ON f.id = (l.snapshot->'context'->'feedback'->>'id')
           WHERE l.loop_id > $1 AND ($2::timestamptz IS NULL OR f.received_at >= $2)
             AND ($3::timestamptz IS NULL OR f.received_at < $3)
           ORDER BY l.loop_id LIMIT $4`,
          [scan.after ?? '', scan.from ?? null, scan.to ?? null, scan.limit],
        )
      ).rows;
      return rows.map((r) => ({
        loopId: String(r.loop_id),
        snapshot: r.snapshot as LoopSnapshot,
        version: Number(r.version),
        updatedAt: String(r.updated_at),
      }));
    },

    async getLoop(loopId): Promise<LoopRecord | undefined> {
      const r = (
        await query('getLoop', `SELECT version, snapshot, updated_at FROM ${s}.loops WHERE loop_id = $1`, [
          loopId,
        ])
      ).rows[0];
      if (!r) return undefined;
      return {
        loopId,
        snapshot: r.snapshot as LoopSnapshot,
        version: Number(r.version),
        updatedAt: String(r.updated_at),
      };
    },

    async getFeedback(id) {
      const r = (await query('getFeedback', `SELECT data FROM ${s}.feedback WHERE id = $1`, [id])).rows[0];
      return r ? (r.data as Feedback) : undefined;
    },

    async getCase(caseId) {
      const r = (await query('getCase', `SELECT data FROM ${s}.cases WHERE id = $1`, [caseId])).rows[0];
      return r ? (r.data as Case) : undefined;
    },

    async listCases(q: CaseQuery = {}): Promise<CasePage> {
      const w = filters(q);
      const column = PG_SORT[q.sort ?? 'updatedAt'];
      const dir = (q.order ?? 'desc') === 'asc' ? 'ASC' : 'DESC';
      const params = [...w.params, q.limit ?? null, q.offset ?? 0];
      // One round trip: the page, each row carrying the total (a window over the filtered set).
      const rows = (
        await query(
          'listCases',
          `SELECT data, count(*) OVER () AS total FROM ${s}.cases ${w.sql}
           ORDER BY (${column}) IS NULL, ${column} ${dir}, id COLLATE "C" ${dir}
           LIMIT $${params.length - 1} OFFSET $${params.length}`,
          params,
        )
      ).rows;
      if (rows.length > 0) return { cases: rows.map((r) => r.data as Case), total: Number(rows[0]!.total) };
      const total = (await query('listCases', `SELECT count(*) AS n FROM ${s}.cases ${w.sql}`, w.params))
        .rows[0]!;
      return { cases: [], total: Number(total.n) };
    },

    async countCasesByStatus(q = {}) {
      const { status: _ignored, ...rest } = q as CaseQuery;
      const w = filters(rest);
      const counts: Record<CaseStatus, number> = emptyCounts();
      const rows = (
        await query(
          'countCasesByStatus',
          `SELECT status, count(*) AS n FROM ${s}.cases ${w.sql} GROUP BY status`,
          w.params,
        )
      ).rows;
      for (const r of rows) counts[r.status as CaseStatus] = Number(r.n);
      return counts;
    },

    async dueTimers(now, limit) {
      const rows = (
        await query(
          'dueTimers',
          `SELECT loop_id, name, due_at FROM ${s}.timers WHERE due_at <= $1
           ORDER BY due_at, loop_id COLLATE "C", name COLLATE "C" LIMIT $2`,
          [String(now), limit],
        )
      ).rows;
      return rows.map(
        (r): TimerRow => ({ loopId: String(r.loop_id), name: r.name as TimerName, dueAt: Number(r.due_at) }),
      );
    },

    async claimTimers(now, limit, lease) {
      // The rows are locked by the inner select and skipped by a concurrent claim: two processes
      // claiming at once get disjoint timers.
      const rows = (
        await query(
          'claimTimers',
          `UPDATE ${s}.timers t SET claimed_by = $3, lease_until = $5
           FROM (SELECT loop_id, name FROM ${s}.timers
                 WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until <= $4)
                 ORDER BY due_at, loop_id COLLATE "C", name COLLATE "C" LIMIT $2 FOR UPDATE SKIP LOCKED) c
           WHERE t.loop_id = c.loop_id AND t.name = c.name
           RETURNING t.loop_id, t.name, t.due_at`,
          [String(now), limit, lease.owner, String(lease.now), String(lease.until)],
        )
      ).rows;
      return rows
        .map(
          (r): TimerRow => ({
            loopId: String(r.loop_id),
            name: r.name as TimerName,
            dueAt: Number(r.due_at),
          }),
        )
        .sort(
          (a, b) =>
            a.dueAt - b.dueAt ||
            (a.loopId < b.loopId
              ? -1
              : a.loopId > b.loopId
                ? 1
                : a.name < b.name
                  ? -1
                  : a.name > b.name
                    ? 1
                    : 0),
        );
    },

    async nextTimerDueAt() {
      const r = (await query('nextTimerDueAt', `SELECT min(due_at) AS t FROM ${s}.timers`)).rows[0];
      return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
    },

    async dueDeliveries(now, limit) {
      const rows = (
        await query(
          'dueDeliveries',
          `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries
           WHERE status = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, seq LIMIT $2`,
          [String(now), limit],
        )
      ).rows;
      return rows.map(rowToDelivery);
    },

    async claimDeliveries(now, limit, lease) {
      const rows = (
        await query(
          'claimDeliveries',
          `UPDATE ${s}.deliveries d SET claimed_by = $3, lease_until = $5
           FROM (SELECT id FROM ${s}.deliveries
                 WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $4)
                 ORDER BY next_attempt_at, seq LIMIT $2 FOR UPDATE SKIP LOCKED) c
           WHERE d.id = c.id
           RETURNING d.seq, ${DELIVERY_COLUMNS.split(', ')
             .map((c) => `d.${c}`)
             .join(', ')}`,
          [String(now), limit, lease.owner, String(lease.now), String(lease.until)],
        )
      ).rows;
      rows.sort(
        (a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || Number(a.seq) - Number(b.seq),
      );
      return rows.map(rowToDelivery);
    },

    async releaseClaims(owner) {
      await query(
        'releaseClaims',
        `WITH d AS (UPDATE ${s}.deliveries SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1)
         UPDATE ${s}.timers SET claimed_by = NULL, lease_until = NULL WHERE claimed_by = $1`,
        [owner],
      );
    },

    async nextDeliveryAt() {
      const r = (
        await query(
          'nextDeliveryAt',
          `SELECT min(next_attempt_at) AS t FROM ${s}.deliveries WHERE status = 'pending'`,
        )
      ).rows[0];
      return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
    },

    async updateDelivery(u: DeliveryUpdate) {
      const res = await query(
        'updateDelivery',
        `UPDATE ${s}.deliveries SET status = $2, attempts = $3,
           next_attempt_at = COALESCE($4::bigint, next_attempt_at), last_error = COALESCE($5, last_error),
           claimed_by = NULL, lease_until = NULL
         WHERE id = $1`,
        [
          u.id,
          u.status,
          u.attempts,
          'nextAttemptAt' in u ? String(Math.ceil(u.nextAttemptAt)) : null,
          'lastError' in u ? u.lastError : null,
        ],
      );
      if (res.rowCount === 0) throw new ClosedLoopError('STORE', `Unknown delivery ${u.id}`);
    },

    async listDeliveries(filter = {}) {
      const clauses: string[] = [];
      const params: unknown[] = [];
      if (filter.loopId !== undefined) {
        params.push(filter.loopId);
        clauses.push(`loop_id = $${params.length}`);
      }
      if (filter.status !== undefined) {
        params.push(filter.status);
        clauses.push(`status = $${params.length}`);
      }
      const rows = (
        await query(
          'listDeliveries',
          `SELECT ${DELIVERY_COLUMNS} FROM ${s}.deliveries ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY seq`,
          params,
        )
      ).rows;
      return rows.map(rowToDelivery);
    },

    async findCustomer(ref) {
      await ensure();
      const tx = customerTx(async (sql, params) => (await query('findCustomer', sql, params)).rows);
      return (await findCustomer(tx, ref)).records;
    },

    async eraseCustomer(ref, { now }) {
      const counts = await eraseCustomer(ref, now);
      // Always, so that erasing again finishes what an interrupted call left.
      await vacuum();
      return counts;
    },

    async withCustomerRows(fn, opts = {}) {
      const result = await inTransaction(fn);
      if (opts.scrub) await vacuum();
      return result;
    },

    async close() {
      if (closed) return;
      closed = true;
      // Let a running init finish, so its connection goes back to the pool before the pool ends.
      await ready?.catch(() => {});
      if (ownPool) await pool.end();
    },
  };
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const p = decodeURIComponent(new URL(url).password);
    return p === '' ? undefined : p;
  } catch {
    // A keyword/value string: `host=db user=app password=…`.
    return /(?:^|\s)password=(\S+)/i.exec(url)?.[1];
  }
}
