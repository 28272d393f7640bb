import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Case, CaseStatus } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { TimerName } from '../machine/types.ts';
import { asList, emptyCounts } from './query.ts';
import {
  type CasePage,
  type CaseQuery,
  type Delivery,
  type DeliveryUpdate,
  type LoopRecord,
  PRIORITY_RANK,
  type StepWrite,
  type Store,
} from './store.ts';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. Parent folders are created. */
  path: string;
  /** `FULL` (default): every commit is on disk before `commit()` resolves. */
  synchronous?: 'FULL' | 'NORMAL';
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS loops (
  loop_id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL,
  snapshot TEXT NOT NULL, updated_at TEXT NOT NULL);
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
CREATE TABLE IF NOT EXISTS timers (
  loop_id TEXT NOT NULL, name TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (loop_id, name));
CREATE INDEX IF NOT EXISTS timers_due ON timers (due_at);
CREATE TABLE IF NOT EXISTS deliveries (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, loop_id TEXT NOT NULL, connector TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
  last_error TEXT, effect TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
`;

type Row = Record<string, SQLInputValue>;

interface Pending {
  step: StepWrite;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * The default store: one SQLite file (Node's built-in `node:sqlite`), WAL journal,
 * `synchronous=FULL`. Concurrent commits are grouped into one transaction (group commit), each
 * step in its own savepoint, so one failing step never takes the others down.
 *
 * @example
 * const loop = createClosedLoop({ store: sqliteStore({ path: 'data/closedloop.sqlite' }), ... });
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path);
  } catch (cause) {
    throw new ClosedLoopError('STORE', `Cannot open SQLite database "${options.path}": ${String(cause)}`, {
      cause,
    });
  }
  db.exec(
    `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${options.synchronous ?? 'FULL'}; PRAGMA busy_timeout = 5000;`,
  );
  db.exec(SCHEMA);

  const cache = new Map<string, StatementSync>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  let seq = Number((stmt('SELECT COALESCE(MAX(seq), 0) AS n FROM deliveries').get() as Row).n);
  let closed = false;
  const open = () => {
    if (closed) throw new ClosedLoopError('CLOSED', `The SQLite store "${options.path}" is closed`);
  };

  function write(step: StepWrite) {
    const { loop } = step;
    const current = stmt('SELECT version FROM loops WHERE loop_id = ?').get(loop.loopId) as Row | undefined;
    const stored = current === undefined ? undefined : Number(current.version);
    if (stored !== step.expectedVersion) {
      throw new ClosedLoopError(
        'CONFLICT',
        `Loop ${loop.loopId} changed meanwhile (stored version ${stored ?? 'none'}, expected ${step.expectedVersion ?? 'none'}); retry`,
      );
    }
    stmt(
      `INSERT INTO loops (loop_id, state, version, snapshot, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (loop_id) DO UPDATE SET state = excluded.state, version = excluded.version,
       snapshot = excluded.snapshot, updated_at = excluded.updated_at`,
    ).run(loop.loopId, loop.snapshot.state, loop.version, JSON.stringify(loop.snapshot), loop.updatedAt);
    const f = step.feedback;
    if (f) {
      stmt(
        `INSERT INTO feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET nps = excluded.nps, csat = excluded.csat, segment = excluded.segment,
         touchpoint = excluded.touchpoint, language = excluded.language, anonymous = excluded.anonymous, data = excluded.data`,
      ).run(
        f.id,
        f.source.tool,
        f.source.responseId,
        new Date(f.receivedAt).toISOString(),
        f.nps ?? null,
        f.csat ?? null,
        f.customer.segment ?? null,
        f.touchpoint ?? null,
        f.language ?? null,
        f.customer.anonymous ? 1 : 0,
        JSON.stringify(f),
      );
    }
    const c = step.case;
    if (c) {
      stmt(
        `INSERT INTO cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
         priority_rank = excluded.priority_rank, segment = excluded.segment, owner = excluded.owner,
         customer_email = excluded.customer_email, updated_at = excluded.updated_at, data = excluded.data`,
      ).run(
        c.id,
        c.loopId,
        c.status,
        c.priority,
        PRIORITY_RANK[c.priority],
        c.segment,
        c.owner,
        c.customerEmail,
        c.createdAt,
        c.updatedAt,
        JSON.stringify(c),
      );
    }
    if (stored !== undefined) stmt('DELETE FROM timers WHERE loop_id = ?').run(loop.loopId);
    for (const t of step.timers) {
      stmt('INSERT INTO timers (loop_id, name, due_at) VALUES (?, ?, ?)').run(t.loopId, t.name, t.dueAt);
    }
    for (const d of step.deliveries) {
      stmt(
        `INSERT INTO deliveries (id, seq, loop_id, connector, status, attempts, next_attempt_at, last_error, effect)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
      ).run(
        d.id,
        ++seq,
        d.effect.loopId,
        d.connector,
        d.status,
        d.attempts,
        d.nextAttemptAt,
        d.lastError ?? null,
        JSON.stringify(d.effect),
      );
    }
  }

  const queue: Pending[] = [];
  let scheduled = false;
  function flush() {
    scheduled = false;
    const batch = queue.splice(0);
    if (batch.length === 0) return;
    const failures = new Map<Pending, unknown>();
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const item of batch) {
        db.exec('SAVEPOINT step');
        try {
          write(item.step);
          db.exec('RELEASE step');
        } catch (e) {
          db.exec('ROLLBACK TO step');
          db.exec('RELEASE step');
          failures.set(item, e);
        }
      }
      db.exec('COMMIT');
    } catch (cause) {
      if (db.isTransaction) db.exec('ROLLBACK');
      const error = new ClosedLoopError('STORE', `SQLite commit failed: ${String(cause)}`, { cause });
      for (const item of batch) item.reject(error);
      return;
    }
    for (const item of batch) {
      const failure = failures.get(item);
      if (failure === undefined) item.resolve();
      else item.reject(toStoreError(failure));
    }
  }

  const rowToDelivery = (r: Row): Delivery => ({
    id: String(r.id),
    connector: String(r.connector),
    status: r.status as Delivery['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error === null ? undefined : String(r.last_error),
    effect: JSON.parse(String(r.effect)),
  });

  function where(query: CaseQuery): { sql: string; params: SQLInputValue[] } {
    const clauses: string[] = [];
    const params: SQLInputValue[] = [];
    const inList = (column: string, values: string[] | undefined) => {
      if (!values) return;
      clauses.push(values.length === 0 ? '0' : `${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    inList('status', asList(query.status));
    inList('priority', asList(query.priority));
    inList('segment', asList(query.segment));
    inList('owner', asList(query.owner));
    if (query.search !== undefined && query.search !== '') {
      clauses.push('(lower(id) = ? OR instr(lower(customer_email), ?) > 0)');
      params.push(query.search.toLowerCase(), query.search.toLowerCase());
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  }

  return {
    kind: 'sqlite',
    async init() {},
    commit(step) {
      return new Promise<void>((resolve, reject) => {
        if (closed)
          return reject(new ClosedLoopError('CLOSED', `The SQLite store "${options.path}" is closed`));
        queue.push({ step, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async getLoop(loopId): Promise<LoopRecord | undefined> {
      open();
      const r = stmt('SELECT * FROM loops WHERE loop_id = ?').get(loopId) as Row | undefined;
      if (!r) return undefined;
      return {
        loopId,
        version: Number(r.version),
        updatedAt: String(r.updated_at),
        snapshot: JSON.parse(String(r.snapshot)) as LoopSnapshot,
      };
    },
    async getFeedback(id) {
      open();
      const r = stmt('SELECT data FROM feedback WHERE id = ?').get(id) as Row | undefined;
      return r && (JSON.parse(String(r.data)) as Feedback);
    },
    async getCase(caseId) {
      open();
      const r = stmt('SELECT data FROM cases WHERE id = ?').get(caseId) as Row | undefined;
      return r && (JSON.parse(String(r.data)) as Case);
    },
    async listCases(query: CaseQuery = {}): Promise<CasePage> {
      open();
      const w = where(query);
      const sortColumn = { createdAt: 'created_at', updatedAt: 'updated_at', priority: 'priority_rank' }[
        query.sort ?? 'updatedAt'
      ];
      const dir = (query.order ?? 'desc') === 'asc' ? 'ASC' : 'DESC';
      const total = Number(
        (db.prepare(`SELECT COUNT(*) AS n FROM cases ${w.sql}`).get(...w.params) as Row).n,
      );
      const rows = db
        .prepare(`SELECT data FROM cases ${w.sql} ORDER BY ${sortColumn} ${dir}, id ${dir} LIMIT ? OFFSET ?`)
        .all(...w.params, query.limit ?? -1, query.offset ?? 0) as Row[];
      return { cases: rows.map((r) => JSON.parse(String(r.data)) as Case), total };
    },
    async countCasesByStatus(query = {}) {
      open();
      const w = where(query);
      const counts: Record<CaseStatus, number> = emptyCounts();
      for (const r of db
        .prepare(`SELECT status, COUNT(*) AS n FROM cases ${w.sql} GROUP BY status`)
        .all(...w.params) as Row[]) {
        counts[r.status as CaseStatus] = Number(r.n);
      }
      return counts;
    },
    async dueTimers(now, limit) {
      open();
      return (
        stmt('SELECT * FROM timers WHERE due_at <= ? ORDER BY due_at, loop_id LIMIT ?').all(
          now,
          limit,
        ) as Row[]
      ).map((r) => ({ loopId: String(r.loop_id), name: r.name as TimerName, dueAt: Number(r.due_at) }));
    },
    async nextTimerDueAt() {
      open();
      const r = stmt('SELECT MIN(due_at) AS t FROM timers').get() as Row;
      return r.t === null ? undefined : Number(r.t);
    },
    async dueDeliveries(now, limit) {
      open();
      return (
        stmt(
          "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?",
        ).all(now, limit) as Row[]
      ).map(rowToDelivery);
    },
    async nextDeliveryAt() {
      open();
      const r = stmt(
        "SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'",
      ).get() as Row;
      return r.t === null ? undefined : Number(r.t);
    },
    async updateDelivery(u: DeliveryUpdate) {
      open();
      const res = stmt(
        'UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = COALESCE(?, last_error) WHERE id = ?',
      ).run(
        u.status,
        u.attempts,
        'nextAttemptAt' in u ? u.nextAttemptAt : null,
        'lastError' in u ? u.lastError : null,
        u.id,
      );
      if (Number(res.changes) === 0) throw new ClosedLoopError('STORE', `Unknown delivery ${u.id}`);
    },
    async listDeliveries(filter = {}) {
      open();
      const clauses: string[] = [];
      const params: SQLInputValue[] = [];
      if (filter.loopId !== undefined) {
        // Delivery ids start with the effect key, which starts with the loop id: a key range.
        clauses.push('id >= ? AND id < ?');
        params.push(`${filter.loopId}:`, `${filter.loopId};`);
      }
      if (filter.status !== undefined) {
        clauses.push('status = ?');
        params.push(filter.status);
      }
      const sql = `SELECT * FROM deliveries ${clauses.length ? `WHERE ${clauses.join(' AND ')}` : ''} ORDER BY seq`;
      return (db.prepare(sql).all(...params) as Row[]).map(rowToDelivery);
    },
    async close() {
      if (closed) return;
      flush();
      closed = true;
      db.close();
    },
  };
}

function toStoreError(e: unknown): unknown {
  if (e instanceof ClosedLoopError) return e;
  return new ClosedLoopError('STORE', `SQLite write failed: ${String(e)}`, { cause: e });
}
