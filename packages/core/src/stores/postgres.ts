// The PostgreSQL store, assembled from its parts: postgres-migrations.ts (the tables, versioned),
// postgres-writer.ts (a step as one statement) and postgres-queries.ts (filters, rows, privacy).
import pg from 'pg';
import type { Case, CaseStatus } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import { postgresExecutor } from '../learn/executor.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { TimerName } from '../machine/types.ts';
import { type CustomerTx, eraseCustomerRows, findCustomer } from '../privacy/customer-rows.ts';
import type { CustomerRef } from '../privacy/redact.ts';
import { postgresDocuments } from './documents.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { customerTx, DELIVERY_COLUMNS, filters, PG_SORT, rowToDelivery } from './postgres-queries.ts';
import { stepStatement } from './postgres-writer.ts';
import { emptyCounts } from './query.ts';
import type { CasePage, CaseQuery, DeliveryUpdate, LoopRecord, Store, TimerRow } from './store.ts';

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

  /** Runs once tables exist; the first call creates them. */
  async function ensure(): Promise<void> {
    check();
    if (!ready) {
      ready = migratePostgres(pool, schemaName).catch((e: unknown) => {
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

  const documents = postgresDocuments(s, query);

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
          customerTx(s, async (sql, params) => (await client.query<Row>(sql, params)).rows),
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
      const { sql, params } = stepStatement(s, step);
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
      const tx = customerTx(s, async (sql, params) => (await query('findCustomer', sql, params)).rows);
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
