import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { Worker } from 'node:worker_threads';
import type { Case, CaseStatus } from '../domain/case.ts';
import type { Feedback } from '../domain/feedback.ts';
import { ClosedLoopError } from '../errors.ts';
import { sqliteExecutor } from '../learn/executor.ts';
import type { LoopSnapshot } from '../machine/loop.ts';
import type { TimerName } from '../machine/types.ts';
import { type CustomerTx, eraseCustomerRows, findCustomer } from '../privacy/customer-rows.ts';
import { sqliteDocuments } from './documents.ts';
import { claimFrom, LeaseBook, timerKey, timerPrefix } from './leases.ts';
import { asList, dueSoonUntil, emptyCounts } from './query.ts';
import { lockSqliteFile } from './sqlite-lock.ts';
import { scrubSqliteFile } from './sqlite-scrub.ts';
import {
  createWriter,
  type EncodedOp,
  type EncodedStep,
  type OpResult,
  WRITER_SOURCE,
} from './sqlite-writer.ts';
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

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. Parent folders are created. */
  path: string;
  /** `FULL` (default): every commit is on disk before `commit()` resolves. */
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * `thread` (default for files): writes, COMMIT and fsync run in a worker thread with its own
   * connection, so the event loop keeps working while a batch is made durable. `inline`: on the
   * calling thread (always so for ':memory:', which a second connection cannot share).
   */
  writer?: 'thread' | 'inline';
}

// Timers live in their loop's row (a JSON list and the earliest due time, indexed): a step
// rewrites that row anyway, so replacing a loop's timers costs no extra B-tree inserts.
const SCHEMA = `
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

/** Databases from before timers moved into the loops table: move them, in one transaction. */
const MIGRATE_TIMERS = `
BEGIN IMMEDIATE;
ALTER TABLE loops ADD COLUMN timers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE loops ADD COLUMN next_due_at INTEGER;
UPDATE loops SET
  timers = (SELECT json_group_array(json_array(name, due_at)) FROM timers t WHERE t.loop_id = loops.loop_id),
  next_due_at = (SELECT MIN(due_at) FROM timers t WHERE t.loop_id = loops.loop_id)
  WHERE loop_id IN (SELECT loop_id FROM timers);
DROP TABLE timers;
COMMIT;
`;
const LOOPS_DUE_INDEX = 'CREATE INDEX IF NOT EXISTS loops_due ON loops (next_due_at);';

/** The tables and indexes of a new database (for references that must write the same rows). */
export const SQLITE_SCHEMA = SCHEMA + LOOPS_DUE_INDEX;

/** PRAGMAs for every connection. None of them relaxes durability. */
const pragmas = (synchronous: string) =>
  `PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous}; PRAGMA busy_timeout = 5000;
   PRAGMA cache_size = -32768; PRAGMA temp_store = MEMORY;`;

/** SQL for the case columns kept only inside `data`. */
const SQL_NAME = "json_extract(data, '$.customerName')";
const RUN_FR = `(CASE WHEN status <> 'resolved' AND json_extract(data, '$.sla.firstRespondedAt') IS NULL THEN json_extract(data, '$.sla.firstResponseDue') END)`;
const RUN_RD = `(CASE WHEN status <> 'resolved' THEN json_extract(data, '$.sla.resolutionDue') END)`;
const SQL_SORT: Record<CaseSortColumn, string> = {
  id: 'id',
  status: 'status',
  priority: 'priority_rank',
  segment: 'segment',
  owner: 'owner',
  customerEmail: 'customer_email',
  customerName: SQL_NAME,
  nps: "json_extract(data, '$.nps')",
  csat: "json_extract(data, '$.csat')",
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  slaDue: `(CASE WHEN ${RUN_FR} IS NULL THEN ${RUN_RD} WHEN ${RUN_RD} IS NULL OR ${RUN_FR} < ${RUN_RD} THEN ${RUN_FR} ELSE ${RUN_RD} END)`,
};

type Row = Record<string, SQLInputValue>;

interface Pending {
  op: EncodedOp;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The SQL parameters of one step, computed on the calling thread. */
export function encodeStep(step: StepWrite): EncodedStep {
  const { loop } = step;
  let next: number | null = null;
  const timers: [string, number][] = [];
  for (const t of step.timers) {
    timers.push([t.name, t.dueAt]);
    if (next === null || t.dueAt < next) next = t.dueAt;
  }
  const f = step.feedback;
  const c = step.case;
  return {
    op: 'step',
    loopId: loop.loopId,
    expectedVersion: step.expectedVersion ?? null,
    loop: [
      loop.loopId,
      loop.snapshot.state as string,
      loop.version,
      JSON.stringify(loop.snapshot),
      loop.updatedAt,
      JSON.stringify(timers),
      next,
    ],
    feedback: f
      ? [
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
        ]
      : null,
    case: c
      ? [
          c.id,
          c.loopId,
          c.status,
          c.priority,
          PRIORITY_RANK[c.priority],
          c.segment,
          c.owner,
          c.customerEmail ?? '', // '' = known by id only
          c.createdAt,
          c.updatedAt,
          JSON.stringify(c),
        ]
      : null,
    deliveries: step.deliveries.map((d) => [
      d.id,
      d.effect.loopId,
      d.connector,
      d.status,
      d.attempts,
      d.nextAttemptAt,
      d.lastError ?? null,
      JSON.stringify(d.effect),
    ]),
  };
}

function opError(r: NonNullable<OpResult>): ClosedLoopError {
  return new ClosedLoopError(r.code, r.message);
}

/**
 * The default store: one SQLite file (Node's built-in `node:sqlite`), WAL journal,
 * `synchronous=FULL`. Writes go to a writer thread with its own connection; the steps that arrive
 * while it commits a batch form the next batch, written in one transaction (group commit). A
 * step that fails (a version conflict) is retried alone in a savepoint, so it never takes the
 * others down. `commit()` resolves only once the transaction holding the step is committed.
 * Reads use a connection on the calling thread and see every resolved commit.
 *
 * @example
 * const loop = createClosedLoop({ store: sqliteStore({ path: 'data/closedloop.sqlite' }), ... });
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  const memory = options.path === ':memory:' || options.path === '';
  if (!memory) mkdirSync(dirname(options.path), { recursive: true });
  // One process per file: a second one fails here, naming the first.
  const unlock = memory ? () => {} : lockSqliteFile(options.path);
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path);
  } catch (cause) {
    unlock();
    throw new ClosedLoopError('STORE', `Cannot open SQLite database "${options.path}": ${String(cause)}`, {
      cause,
    });
  }
  const setup = pragmas(options.synchronous ?? 'FULL');
  db.exec(setup);
  db.exec(SCHEMA);
  const loopColumns = db.prepare('PRAGMA table_info(loops)').all() as Row[];
  if (!loopColumns.some((r) => r.name === 'timers')) {
    try {
      db.exec(MIGRATE_TIMERS);
    } catch (cause) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new ClosedLoopError(
        'STORE',
        `Cannot migrate SQLite database "${options.path}": ${String(cause)}`,
        {
          cause,
        },
      );
    }
  }
  db.exec(LOOPS_DUE_INDEX);

  const cache = new Map<string, StatementSync>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  let closed = false;
  const open = () => {
    if (closed) throw new ClosedLoopError('CLOSED', `The SQLite store "${options.path}" is closed`);
  };

  const queue: Pending[] = [];
  const settle = (batch: Pending[], outcome: { results: OpResult[] } | { error: string }) => {
    if ('error' in outcome) {
      const error = new ClosedLoopError('STORE', `SQLite commit failed: ${outcome.error}`);
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const r = outcome.results[i];
      if (r) item.reject(opError(r));
      else item.resolve();
    });
  };

  // Inline: one batch per turn of the event loop, on this connection.
  let inline: ReturnType<typeof createWriter> | undefined;
  let scheduled = false;
  const flushInline = () => {
    scheduled = false;
    const batch = queue.splice(0);
    if (batch.length > 0) settle(batch, inline!.apply(batch.map((p) => p.op)));
  };

  // Thread: at most one batch in flight; the next one is sent when it is committed.
  let worker: Worker | undefined;
  let inFlight: Pending[] | undefined;
  let fatal: string | undefined;
  let idle: (() => void) | undefined;
  let exited = false;
  const send = () => {
    if (inFlight || queue.length === 0 || !worker) return;
    inFlight = queue.splice(0);
    worker.ref();
    worker.postMessage(inFlight.map((p) => p.op));
  };
  const failAll = (message: string) => {
    fatal ??= message;
    const batch = [...(inFlight ?? []), ...queue.splice(0)];
    inFlight = undefined;
    settle(batch, { error: fatal });
    idle?.();
  };

  if (memory || options.writer === 'inline') {
    inline = createWriter(db);
  } else {
    worker = new Worker(WRITER_SOURCE, {
      eval: true,
      workerData: { path: options.path, pragmas: setup },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on(
      'message',
      (msg: { results: OpResult[] } | { error: string } | { fatal: string } | 'closed') => {
        if (msg === 'closed') return;
        if ('fatal' in msg) return failAll(msg.fatal);
        const batch = inFlight ?? [];
        inFlight = undefined;
        send();
        if (!inFlight) {
          worker?.unref();
          if (queue.length === 0) idle?.();
        }
        settle(batch, msg);
      },
    );
    worker.on('error', (e) => failAll(`the SQLite writer thread failed: ${String(e)}`));
    worker.on('exit', () => {
      exited = true;
      if (!closed) failAll('the SQLite writer thread exited');
    });
  }

  const enqueue = (op: EncodedOp) =>
    new Promise<void>((resolve, reject) => {
      if (closed)
        return reject(new ClosedLoopError('CLOSED', `The SQLite store "${options.path}" is closed`));
      if (fatal) return reject(new ClosedLoopError('STORE', `SQLite commit failed: ${fatal}`));
      queue.push({ op, resolve, reject });
      if (inline) {
        if (!scheduled) {
          scheduled = true;
          setImmediate(flushInline);
        }
      } else if (!inFlight && queue.length === 1) {
        // The writer is idle: send now. The steps that arrive while it commits form the next
        // batch, so this thread's work overlaps with the writer's inserts and fsync.
        send();
      }
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

  const documents = sqliteDocuments(db, open);
  // One process holds the file (see the lock above), so claims live in this object.
  const leases = new LeaseBook();

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
      ).map((r) => ({
        loopId: String(r.loop_id),
        version: Number(r.version),
        updatedAt: String(r.updated_at),
        snapshot: JSON.parse(String(r.snapshot)) as LoopSnapshot,
      }));
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
      ).map((r) => ({
        loopId: String(r.loop_id),
        version: Number(r.version),
        updatedAt: String(r.updated_at),
        snapshot: JSON.parse(String(r.snapshot)) as LoopSnapshot,
      }));
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
        c.customerEmail ?? '',
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

  async function inTransaction<T>(fn: (t: CustomerTx) => Promise<T>, scrub: boolean): Promise<T> {
    open();
    // Every tx call runs synchronously: no other work on this connection can interleave.
    db.exec('BEGIN IMMEDIATE');
    let result: T;
    try {
      result = await fn(tx);
      db.exec('COMMIT');
    } catch (e) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new ClosedLoopError(
        'STORE',
        `SQLite privacy job failed: ${e instanceof Error ? e.message : String(e)}`,
        {
          cause: e,
        },
      );
    }
    if (scrub && !memory) await scrubSqliteFile(db);
    return result;
  }

  return {
    kind: 'sqlite',
    documents,
    sql: sqliteExecutor(db),
    async init() {},
    commit(step) {
      let op: EncodedStep;
      try {
        op = encodeStep(step);
      } catch (cause) {
        return Promise.reject(
          new ClosedLoopError('STORE', `SQLite write failed: ${String(cause)}`, { cause }),
        );
      }
      return enqueue(op).then(() =>
        leases.keepOnly(timerPrefix(step.loop.loopId), new Set(step.timers.map(timerKey))),
      );
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
    async listLoops(scan) {
      open();
      // A loop's feedback is the one its snapshot names.
      const rows = stmt(
        `SELECT l.loop_id, l.version, l.updated_at, l.snapshot FROM loops l
         JOIN feedback f ON f.id = json_extract(l.snapshot, '$.context.feedback.id')
         WHERE l.loop_id > ? AND f.received_at >= ? AND f.received_at < ?
         ORDER BY l.loop_id LIMIT ?`,
      ).all(scan.after ?? '', isoOr(scan.from, ''), isoOr(scan.to, '\uffff'), scan.limit) as Row[];
      return rows.map((r) => ({
        loopId: String(r.loop_id),
        version: Number(r.version),
        updatedAt: String(r.updated_at),
        snapshot: JSON.parse(String(r.snapshot)) as LoopSnapshot,
      }));
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
      // Each loop found has at least one due timer, and a loop's key is its earliest timer's:
      // the first `limit` loops hold the first `limit` due timers.
      const rows = stmt(
        'SELECT loop_id, timers FROM loops WHERE next_due_at <= ? ORDER BY next_due_at, loop_id LIMIT ?',
      ).all(now, limit) as Row[];
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
    async claimTimers(now, limit, lease) {
      const due = await this.dueTimers(now, limit * 4 + 100);
      return claimFrom(due, limit, timerKey, leases, lease);
    },
    async nextTimerDueAt() {
      open();
      const r = stmt('SELECT MIN(next_due_at) AS t FROM loops').get() as Row;
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
    async claimDeliveries(now, limit, lease) {
      open();
      const due = (
        stmt(
          "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, seq LIMIT ?",
        ).all(now, limit * 4 + 100) as Row[]
      ).map(rowToDelivery);
      return claimFrom(due, limit, (d) => d.id, leases, lease);
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
      // Through the writer too: one writing connection, and ordered after earlier commits.
      await enqueue({
        op: 'delivery',
        params: [
          u.status,
          u.attempts,
          'nextAttemptAt' in u ? u.nextAttemptAt : null,
          'lastError' in u ? u.lastError : null,
          u.id,
        ],
      });
      leases.release(u.id);
    },
    async releaseClaims(owner) {
      open();
      leases.releaseOwner(owner);
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
    async findCustomer(ref) {
      open();
      return (await findCustomer(tx, ref)).records;
    },
    async eraseCustomer(ref, { now }) {
      // Scrub always, so that erasing again finishes a scrub an earlier call could not complete.
      return inTransaction((t) => eraseCustomerRows(t, ref, now), true);
    },
    async withCustomerRows(fn, opts = {}) {
      return inTransaction(fn, opts.scrub === true);
    },
    async close() {
      if (closed) return;
      closed = true;
      if (inline) {
        flushInline();
      } else if (worker) {
        const w = worker;
        if (!fatal && (inFlight || queue.length > 0)) {
          await new Promise<void>((resolve) => {
            idle = resolve;
            send();
          });
        }
        if (!exited) {
          w.ref();
          await new Promise<void>((resolve) => {
            w.once('exit', () => resolve());
            w.postMessage('close');
          });
        }
      }
      db.close();
      unlock();
    },
  };
}

/** An ISO instant normalised as stored (`toISOString`), or the fallback when absent. */
function isoOr(value: string | undefined, fallback: string): string {
  return value === undefined ? fallback : new Date(value).toISOString();
}
