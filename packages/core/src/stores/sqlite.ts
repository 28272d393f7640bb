// The SQLite store, assembled from its parts: sqlite-migrations.ts (the tables, versioned),
// sqlite-schema.ts (row layout, PRAGMAs), sqlite-writer.ts (the writer thread, group commit) and
// sqlite-queries.ts (reads on the calling thread).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ClosedLoopError } from '../errors.ts';
import { sqliteExecutor } from '../learn/executor.ts';
import { type CustomerTx, eraseCustomerRows, findCustomer } from '../privacy/customer-rows.ts';
import { sqliteDocuments } from './documents.ts';
import { claimFrom, LeaseBook, timerKey, timerPrefix } from './leases.ts';
import { lockSqliteFile } from './sqlite-lock.ts';
import { migrateSqlite } from './sqlite-migrations.ts';
import { sqliteQueries } from './sqlite-queries.ts';
import { encodeStep, pragmas } from './sqlite-schema.ts';
import { scrubSqliteFile } from './sqlite-scrub.ts';
import { type EncodedStep, startWriter } from './sqlite-writer.ts';
import type { DeliveryUpdate, Store } from './store.ts';

export { encodeStep } from './sqlite-schema.ts';

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

/**
 * The default store: one SQLite file (Node's built-in `node:sqlite`), WAL journal,
 * `synchronous=FULL`. Writes go to a writer thread with its own connection; the steps that arrive
 * while it commits a batch form the next batch, written in one transaction (group commit); a
 * second thread checkpoints the WAL into the file, so no batch waits behind a checkpoint. A
 * step that fails (a version conflict) is retried alone in a savepoint, so it never takes the
 * others down. `commit()` resolves only once the transaction holding the step is committed.
 * Reads use a connection on the calling thread and see every resolved commit. Opening a file
 * brings its schema to the latest version (sqlite-migrations.ts); a file from a newer
 * closedloop is refused, untouched.
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
  try {
    db.exec(setup);
    migrateSqlite(db, options.path);
  } catch (e) {
    db.close();
    unlock();
    throw e;
  }

  let closed = false;
  const open = () => {
    if (closed) throw new ClosedLoopError('CLOSED', `The SQLite store "${options.path}" is closed`);
  };
  const queries = sqliteQueries(db, open);
  const { tx } = queries;
  const writer = startWriter(
    db,
    options.path,
    setup,
    memory || options.writer === 'inline' ? 'inline' : 'thread',
  );
  const documents = sqliteDocuments(db, open);
  // One process holds the file (see the lock above), so claims live in this object.
  const leases = new LeaseBook();

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
      return writer
        .enqueue(op)
        .then(() => leases.keepOnly(timerPrefix(step.loop.loopId), new Set(step.timers.map(timerKey))));
    },
    getLoop: queries.getLoop,
    listLoops: queries.listLoops,
    getFeedback: queries.getFeedback,
    getCase: queries.getCase,
    listCases: queries.listCases,
    countCasesByStatus: queries.countCasesByStatus,
    dueTimers: queries.dueTimers,
    nextTimerDueAt: queries.nextTimerDueAt,
    dueDeliveries: queries.dueDeliveries,
    nextDeliveryAt: queries.nextDeliveryAt,
    listDeliveries: queries.listDeliveries,
    async claimTimers(now, limit, lease) {
      const due = await queries.dueTimers(now, limit * 4 + 100);
      return claimFrom(due, limit, timerKey, leases, lease);
    },
    async claimDeliveries(now, limit, lease) {
      const due = await queries.dueDeliveries(now, limit * 4 + 100);
      return claimFrom(due, limit, (d) => d.id, leases, lease);
    },
    async updateDelivery(u: DeliveryUpdate) {
      open();
      // Through the writer too: one writing connection, and ordered after earlier commits.
      await writer.enqueue({
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
      await writer.close();
      db.close();
      unlock();
    },
  };
}
