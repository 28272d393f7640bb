// The read side of the SQLite store: statements on the calling thread's connection, which
// sees every commit the writer has acknowledged. Also the rows of one customer, read and written
// on this connection by privacy jobs (rare; the writer waits on the lock meanwhile).
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Case, CaseStatus } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { TimerName } from '../machine/types.ts';
import type { CustomerTx } from '../privacy/customer-rows.ts';
import { asList, dueSoonUntil, emptyCounts } from './query.ts';
import { isoOr, RUN_FR, RUN_RD, SQL_NAME, SQL_SORT } from './sqlite-schema.ts';
import type { CasePage, CaseQuery, Delivery, LoopRecord, Store, TimerRow } from './store.ts';

type Row = Record<string, SQLInputValue>;

export type SqliteQueries = Pick<
  Store,
  | 'getLoop'
  | 'listLoops'
  | 'getFeedback'
  | 'getCase'
  | 'listCases'
  | 'countCasesByStatus'
  | 'dueTimers'
  | 'nextTimerDueAt'
  | 'dueDeliveries'
  | 'nextDeliveryAt'
  | 'listDeliveries'
> & {
  /** One customer's rows on this connection (the caller runs it inside a transaction). */
  tx: CustomerTx;
};

/** The WHERE clause of a case query (its filters; sorting and paging are the caller's). */
export function caseWhere(query: CaseQuery): { sql: string; params: SQLInputValue[] } {
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
    const s = query.search.toLowerCase();
    clauses.push(
      `(substr(lower(id), 1, length(?)) = ? OR instr(lower(customer_email), ?) > 0 OR instr(lower(coalesce(${SQL_NAME}, '')), ?) > 0)`,
    );
    params.push(s, s, s, s);
  }
  if (query.from !== undefined) {
    clauses.push('created_at >= ?');
    params.push(query.from);
  }
  if (query.to !== undefined) {
    clauses.push('created_at < ?');
    params.push(query.to);
  }
  if (query.sla !== undefined) {
    const now = query.now ?? new Date().toISOString();
    if (query.sla === 'dueSoon') {
      const until = dueSoonUntil(now);
      clauses.push(`((${RUN_FR} >= ? AND ${RUN_FR} < ?) OR (${RUN_RD} >= ? AND ${RUN_RD} < ?))`);
      params.push(now, until, now, until);
    } else {
      clauses.push(`(json_array_length(data, '$.sla.breaches') > 0 OR ${RUN_FR} < ? OR ${RUN_RD} < ?)`);
      params.push(now, now);
    }
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** Statements of the store whose plans must use an index (sqlite-plans.test.ts checks each). */
export const DUE_TIMERS_SQL =
  'SELECT loop_id, timers FROM loops WHERE next_due_at <= ? ORDER BY next_due_at, loop_id LIMIT ?';
export const NEXT_TIMER_SQL = 'SELECT MIN(next_due_at) AS t FROM loops';
export const DUE_DELIVERIES_SQL =
  "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?";
export const NEXT_DELIVERY_SQL = "SELECT MIN(next_attempt_at) AS t FROM deliveries WHERE status = 'pending'";

/** The reads of a store on `db`; `open` throws once the store is closed. */
export function sqliteQueries(db: DatabaseSync, open: () => void): SqliteQueries {
  const cache = new Map<string, StatementSync>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };

  const rowToLoopRecord = (r: Row): LoopRecord => ({
    loopId: String(r.loop_id),
    version: Number(r.version),
    updatedAt: String(r.updated_at),
    snapshot: JSON.parse(String(r.snapshot)) as LoopSnapshot,
  });
  const rowToDelivery = (r: Row): Delivery => ({
    id: String(r.id),
    connector: String(r.connector),
    status: r.status as Delivery['status'],
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: r.last_error === null ? undefined : String(r.last_error),
    effect: JSON.parse(String(r.effect)),
  });

  // One customer's rows, read and written on this thread's connection (erasure is rare; the
  // writer thread waits on the lock meanwhile).
  const list = (values: string[]) => JSON.stringify(values);
  const tx: CustomerTx = {
    async feedbackOf(emails, customerIds) {
      return (
        stmt(
          `SELECT data FROM feedback WHERE lower(json_extract(data, '$.customer.email')) IN (SELECT value FROM json_each(?))
           OR json_extract(data, '$.customer.id') IN (SELECT value FROM json_each(?))`,
        ).all(list(emails), list(customerIds)) as Row[]
      ).map((r) => JSON.parse(String(r.data)) as Feedback);
    },
    async casesOf(emails) {
      return (
        stmt('SELECT data FROM cases WHERE lower(customer_email) IN (SELECT value FROM json_each(?))').all(
          list(emails),
        ) as Row[]
      ).map((r) => JSON.parse(String(r.data)) as Case);
    },
    async loopsOf(feedbackIds, loopIds) {
      return (
        stmt(
          `SELECT loop_id, version, updated_at, snapshot FROM loops WHERE loop_id IN (SELECT value FROM json_each(?))
           OR json_extract(snapshot, '$.context.feedback.id') IN (SELECT value FROM json_each(?))`,
        ).all(list(loopIds), list(feedbackIds)) as Row[]
      ).map(rowToLoopRecord);
    },
    async casesOfLoops(loopIds) {
      return (
        stmt('SELECT data FROM cases WHERE loop_id IN (SELECT value FROM json_each(?))').all(
          list(loopIds),
        ) as Row[]
      ).map((r) => JSON.parse(String(r.data)) as Case);
    },
    async deliveriesOf(loopIds) {
      return (
        stmt('SELECT * FROM deliveries WHERE loop_id IN (SELECT value FROM json_each(?)) ORDER BY seq').all(
          list(loopIds),
        ) as Row[]
      ).map(rowToDelivery);
    },
    async loopPage(after, limit) {
      return (
        stmt(
          'SELECT loop_id, version, updated_at, snapshot FROM loops WHERE loop_id > ? ORDER BY loop_id LIMIT ?',
        ).all(after ?? '', limit) as Row[]
      ).map(rowToLoopRecord);
    },
    async feedbackByIds(ids) {
      return (
        stmt('SELECT data FROM feedback WHERE id IN (SELECT value FROM json_each(?))').all(list(ids)) as Row[]
      ).map((r) => JSON.parse(String(r.data)) as Feedback);
    },
    async writeFeedback(f) {
      stmt('UPDATE feedback SET data = ? WHERE id = ?').run(JSON.stringify(f), f.id);
    },
    async writeCase(c) {
      stmt('UPDATE cases SET customer_email = ?, updated_at = ?, data = ? WHERE id = ?').run(
        c.customerEmail ?? '', // '' = known by id only
        c.updatedAt,
        JSON.stringify(c),
        c.id,
      );
    },
    async writeLoop(rec) {
      stmt(
        "UPDATE loops SET state = ?, version = ?, snapshot = ?, updated_at = ?, timers = '[]', next_due_at = NULL WHERE loop_id = ?",
      ).run(String(rec.snapshot.state), rec.version, JSON.stringify(rec.snapshot), rec.updatedAt, rec.loopId);
    },
    async writeDelivery(d) {
      stmt('UPDATE deliveries SET status = ?, last_error = ?, effect = ? WHERE id = ?').run(
        d.status,
        d.lastError ?? null,
        JSON.stringify(d.effect),
        d.id,
      );
    },
  };

  const queries: SqliteQueries = {
    tx,
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
    async listLoops(scan) {
      open();
      // A loop's feedback is the one its snapshot names.
      const rows = stmt(
        `SELECT l.loop_id, l.version, l.updated_at, l.snapshot FROM loops l
         JOIN feedback f ON f.id = json_extract(l.snapshot, '$.context.feedback.id')
         WHERE l.loop_id > ? AND f.received_at >= ? AND f.received_at < ?
         ORDER BY l.loop_id LIMIT ?`,
      ).all(scan.after ?? '', isoOr(scan.from, ''), isoOr(scan.to, '\uffff'), scan.limit) as Row[];
      return rows.map(rowToLoopRecord);
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
      const w = caseWhere(query);
      const sortColumn = SQL_SORT[query.sort ?? 'updatedAt'];
      const dir = (query.order ?? 'desc') === 'asc' ? 'ASC' : 'DESC';
      const total = Number(
        (db.prepare(`SELECT COUNT(*) AS n FROM cases ${w.sql}`).get(...w.params) as Row).n,
      );
      const rows = db
        .prepare(
          `SELECT data FROM cases ${w.sql} ORDER BY (${sortColumn}) IS NULL, ${sortColumn} ${dir}, id ${dir} LIMIT ? OFFSET ?`,
        )
        .all(...w.params, query.limit ?? -1, query.offset ?? 0) as Row[];
      return { cases: rows.map((r) => JSON.parse(String(r.data)) as Case), total };
    },
    async countCasesByStatus(query = {}) {
      open();
      const w = caseWhere(query);
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
      // Each loop found has at least one due timer, and a loop's key is its earliest timer's:
      // the first `limit` loops hold the first `limit` due timers.
      const rows = stmt(DUE_TIMERS_SQL).all(now, limit) as Row[];
      const due: TimerRow[] = [];
      for (const r of rows) {
        const loopId = String(r.loop_id);
        for (const [name, dueAt] of JSON.parse(String(r.timers)) as [TimerName, number][]) {
          if (dueAt <= now) due.push({ loopId, name, dueAt });
        }
      }
      due.sort((a, b) => a.dueAt - b.dueAt || (a.loopId < b.loopId ? -1 : a.loopId > b.loopId ? 1 : 0));
      return due.slice(0, Math.max(0, limit));
    },
    async nextTimerDueAt() {
      open();
      const r = stmt(NEXT_TIMER_SQL).get() as Row;
      return r.t === null ? undefined : Number(r.t);
    },
    async dueDeliveries(now, limit) {
      open();
      return (stmt(DUE_DELIVERIES_SQL).all(now, limit) as Row[]).map(rowToDelivery);
    },
    async nextDeliveryAt() {
      open();
      const r = stmt(NEXT_DELIVERY_SQL).get() as Row;
      return r.t === null ? undefined : Number(r.t);
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
  };
  return queries;
}
