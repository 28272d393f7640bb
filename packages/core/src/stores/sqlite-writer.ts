// The write side of the SQLite store. `createWriter` runs either inline (`:memory:` databases,
// `writer: 'inline'`) or in a worker thread with its own connection, so that inserts, COMMIT and
// fsync never block the event loop. The worker is started from source text (`WRITER_SOURCE`),
// which works the same from TypeScript sources, the ESM and the CJS builds: no file to resolve.
//
// `createWriter` must stay self-contained: it is serialised with `Function.prototype.toString`,
// so it may not use imports or anything else from module scope.
import type { DatabaseSync } from 'node:sqlite';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { ClosedLoopError } from '../errors.ts';

/** One step, flattened on the main thread into SQL parameters. */
export interface EncodedStep {
  op: 'step';
  loopId: string;
  expectedVersion: number | null;
  /** loop_id, state, version, snapshot, updated_at, timers, next_due_at */
  loop: [string, string, number, string, string, string, number | null];
  /** id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data, loop_id */
  feedback: (string | number | null)[] | null;
  /** id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data */
  case: (string | number | null)[] | null;
  /** id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect (seq is assigned here) */
  deliveries: (string | number | null)[][];
}

export interface EncodedDeliveryUpdate {
  op: 'delivery';
  /** status, attempts, next_attempt_at, last_error, id */
  params: [string, number, number | null, string | null, string];
}

export type EncodedOp = EncodedStep | EncodedDeliveryUpdate;

/** Per op: null when it was committed, else why it was not. */
export type OpResult = null | { code: 'CONFLICT' | 'STORE'; message: string };

export interface Writer {
  /** Runs the ops in one transaction, each in its own savepoint; resolves after COMMIT. */
  apply(ops: EncodedOp[]): { results: OpResult[] } | { error: string };
  close(): void;
}

export function createWriter(db: DatabaseSync): Writer {
  const cache = new Map<string, ReturnType<DatabaseSync['prepare']>>();
  const stmt = (sql: string) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  // One write per table per step: the loop row is inserted (a new loop) or updated at the
  // expected version; no row changed is a conflict, and only then is the stored version read.
  const versionOf = stmt('SELECT version FROM loops WHERE loop_id = ?');
  const insertLoop = stmt(
    `INSERT INTO loops (loop_id, state, version, snapshot, updated_at, timers, next_due_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (loop_id) DO NOTHING`,
  );
  const updateLoop = stmt(
    `UPDATE loops SET state = ?2, version = ?3, snapshot = ?4, updated_at = ?5, timers = ?6, next_due_at = ?7
     WHERE loop_id = ?1 AND version = ?8`,
  );
  const upsertFeedback = stmt(
    `INSERT INTO feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data, loop_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET nps = excluded.nps, csat = excluded.csat, segment = excluded.segment,
     touchpoint = excluded.touchpoint, language = excluded.language, anonymous = excluded.anonymous, data = excluded.data`,
  );
  const upsertCase = stmt(
    `INSERT INTO cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, priority = excluded.priority,
     priority_rank = excluded.priority_rank, segment = excluded.segment, owner = excluded.owner,
     customer_email = excluded.customer_email, updated_at = excluded.updated_at, data = excluded.data`,
  );
  const insertDelivery = stmt(
    `INSERT INTO deliveries (seq, id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  );
  const updateDelivery = stmt(
    'UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = COALESCE(?, last_error) WHERE id = ?',
  );
  let seq = Number((stmt('SELECT COALESCE(MAX(seq), 0) AS n FROM deliveries').get() as { n: number }).n);

  class Refused extends Error {
    code: 'CONFLICT' | 'STORE';
    constructor(code: 'CONFLICT' | 'STORE', message: string) {
      super(message);
      this.code = code;
    }
  }

  function run(op: EncodedOp) {
    if (op.op === 'delivery') {
      const res = updateDelivery.run(...op.params);
      if (Number(res.changes) === 0) throw new Refused('STORE', `Unknown delivery ${op.params[4]}`);
      return;
    }
    const written =
      op.expectedVersion === null
        ? insertLoop.run(...op.loop)
        : updateLoop.run(...op.loop, op.expectedVersion);
    if (Number(written.changes) === 0) {
      const current = versionOf.get(op.loopId) as { version: number } | undefined;
      throw new Refused(
        'CONFLICT',
        `Loop ${op.loopId} changed meanwhile (stored version ${current?.version ?? 'none'}, expected ${op.expectedVersion ?? 'none'}); retry`,
      );
    }
    if (op.feedback) upsertFeedback.run(...op.feedback);
    if (op.case) upsertCase.run(...op.case);
    for (const d of op.deliveries) {
      const s = seq + 1;
      if (Number(insertDelivery.run(s, ...d).changes) > 0) seq = s;
    }
  }

  return {
    apply(ops) {
      const seqBefore = seq;
      let failedStep = false;
      try {
        db.exec('BEGIN IMMEDIATE');
        failedStep = true;
        for (const op of ops) run(op);
        failedStep = false;
        db.exec('COMMIT');
        return { results: ops.map(() => null) };
      } catch (e) {
        seq = seqBefore;
        if (db.isTransaction) db.exec('ROLLBACK');
        // One step failed (a conflict, a bad row): run each in its own savepoint, so that it
        // fails alone. Rare, so the common path pays for no savepoints.
        if (failedStep) return retryEach(ops);
        return { error: String(e) };
      }
    },
    close() {
      db.close();
    },
  };

  /** Slow path when one op of a batch fails: each op alone (rare: a conflict or a bad row). */
  function retryEach(ops: EncodedOp[]): { results: OpResult[] } | { error: string } {
    const results: OpResult[] = [];
    const seqBefore = seq;
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const op of ops) {
        const seqAtStep = seq;
        db.exec('SAVEPOINT step');
        try {
          run(op);
          db.exec('RELEASE step');
          results.push(null);
        } catch (e) {
          db.exec('ROLLBACK TO step');
          db.exec('RELEASE step');
          seq = seqAtStep;
          results.push(
            e instanceof Refused
              ? { code: e.code, message: e.message }
              : { code: 'STORE', message: `SQLite write failed: ${String(e)}` },
          );
        }
      }
      db.exec('COMMIT');
      return { results };
    } catch (e) {
      seq = seqBefore;
      if (db.isTransaction) db.exec('ROLLBACK');
      return { error: String(e) };
    }
  }
}

/**
 * Steps between two checkpoints (about 8,000 pages of WAL for new loops): fewer, larger
 * checkpoints copy each hot index page back once instead of eight times.
 */
const CHECKPOINT_EVERY = 1024;
/** WAL frames the writer copies itself once the checkpoint thread has caught up (a few batches). */
const CATCH_UP_FRAMES = 64;

/**
 * What a writer thread runs (CommonJS: an `eval` worker), given `{ path, pragmas, checkpoints }`
 * as workerData (`checkpoints`: a MessagePort to the checkpoint thread).
 *
 * Checkpoints stay off the writer's path: every CHECKPOINT_EVERY steps the writer asks the
 * checkpoint thread (its own connection) to copy the WAL back into the database file and fsync
 * it, which takes tens of milliseconds, while the writer goes on committing. That thread
 * repeats its checkpoint until few frames remain uncopied (each pass copies what the writer
 * appended during the last), then tells the writer, which copies those last frames itself
 * between two batches (a millisecond or two). The WAL file starts over only at a transaction
 * that finds every frame copied, and only the writer, between two of its own transactions, can
 * be sure nothing was appended meanwhile: so the WAL stays bounded under steady writing.
 */
export const WRITER_SOURCE = `'use strict';
const { DatabaseSync } = require('node:sqlite');
const { parentPort, receiveMessageOnPort, workerData } = require('node:worker_threads');
const createWriter = (${createWriter.toString()});
let db;
let writer;
try {
  db = new DatabaseSync(workerData.path);
  db.exec(workerData.pragmas);
  // Checkpoints are asked for explicitly; auto-checkpoint stays on, far out, as a safety net
  // (should the checkpoint thread stop answering).
  db.exec('PRAGMA wal_autocheckpoint = 20000');
  writer = createWriter(db);
} catch (e) {
  parentPort.postMessage({ fatal: String(e) });
}
const checkpoints = workerData.checkpoints;
let sinceCheckpoint = 0;
let checkpointing = false;
const afterBatch = (steps) => {
  sinceCheckpoint += steps;
  if (checkpointing) {
    if (!receiveMessageOnPort(checkpoints)) return;
    // The checkpoint thread has copied all but the last few frames: copy those here, between
    // two batches, so that the next transaction starts the WAL file over.
    checkpointing = false;
    try { db.exec('PRAGMA wal_checkpoint(PASSIVE)'); } catch {}
  } else if (sinceCheckpoint >= ${CHECKPOINT_EVERY}) {
    sinceCheckpoint = 0;
    checkpointing = true;
    checkpoints.postMessage('checkpoint');
  }
};
// Every message is one batch of ops. The batches that arrived while the last transaction ran are
// taken off the port at once and written in one transaction (group commit); each gets its own
// reply, in order.
parentPort.on('message', (first) => {
  const batches = [];
  let closing = first === 'close';
  if (!closing) batches.push(first);
  for (let m; !closing && (m = receiveMessageOnPort(parentPort)); ) {
    if (m.message === 'close') closing = true;
    else batches.push(m.message);
  }
  if (batches.length > 0) {
    if (!writer) {
      for (const _ of batches) parentPort.postMessage({ error: 'the SQLite writer failed to open the database' });
    } else {
      const ops = batches.length === 1 ? batches[0] : batches.flat();
      const out = writer.apply(ops);
      let at = 0;
      for (const b of batches) {
        parentPort.postMessage('error' in out ? out : { results: out.results.slice(at, at + b.length) });
        at += b.length;
      }
      afterBatch(ops.length);
    }
  }
  if (closing) {
    // Closing the port lets the checkpoint thread close its connection and end.
    checkpoints.close();
    try { writer?.close(); } finally { parentPort.postMessage('closed'); parentPort.close(); }
  }
});
`;

/**
 * What the checkpoint thread runs (its own connection), given `{ path, pragmas, writer }` as
 * workerData (`writer`: a MessagePort to the writer thread). Asked for a checkpoint, it copies
 * the WAL back pass after pass (PASSIVE: never waiting on the writer or readers) until a pass
 * copies at most CATCH_UP_FRAMES frames (or after 8 passes), then answers. It always answers, so
 * the writer never waits on it for more than its passes.
 */
export const CHECKPOINT_SOURCE = `'use strict';
const { DatabaseSync } = require('node:sqlite');
const { workerData } = require('node:worker_threads');
const writer = workerData.writer;
let checkpoint;
let db;
try {
  db = new DatabaseSync(workerData.path);
  db.exec(workerData.pragmas);
  db.exec('PRAGMA wal_autocheckpoint = 0');
  checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
} catch {}
writer.on('message', () => {
  try {
    let copied = -1;
    for (let pass = 0; checkpoint && pass < 8; pass++) {
      const r = checkpoint.get();
      const done = Number(r.checkpointed);
      // The WAL restarted since the last pass (the writer copied the rest): all is new.
      const now = copied < 0 || done < copied ? done : done - copied;
      copied = done;
      if (r.busy || now <= ${CATCH_UP_FRAMES}) break;
    }
  } catch {}
  writer.postMessage('caught up');
});
writer.on('close', () => { try { db?.close(); } catch {} });
`;

function opError(r: NonNullable<OpResult>): ClosedLoopError {
  return new ClosedLoopError(r.code, r.message);
}

/**
 * Ops queued before they go to the writer thread without waiting for the end of the event loop's
 * turn. The steps of the captures a commit resolves are mostly made in the same turn; sent only
 * at its end, the writer would wait for all of them and the main thread would then wait for the
 * writer (each in turn idle). Sent every few, the writer commits the first while the main thread
 * makes the rest, which then arrive together and share the next transaction. 8 measured best of
 * 4, 8, 16, 32 and 64 at 16 and 128 captures in flight (bench/README.md).
 */
const SEND_AT = 8;

interface Pending {
  op: EncodedOp;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** The store's side of its writer: ops queued, sent in batches, resolved once committed. */
export interface WriterClient {
  /** Resolves once the op is committed (durably, with `synchronous=FULL`). */
  enqueue(op: EncodedOp): Promise<void>;
  /** Waits for the ops under way, then stops the writer (its connection closed). */
  close(): Promise<void>;
}

/**
 * Starts the writer for the database at `path`: in a worker thread with its own connection, or
 * `inline` on `db` (one batch per turn of the event loop). `setup` is the PRAGMAs to run.
 */
export function startWriter(
  db: DatabaseSync,
  path: string,
  setup: string,
  mode: 'thread' | 'inline',
): WriterClient {
  let closed = false;
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

  // Thread: the ops queued go as one message once SEND_AT of them are queued, or at the end of
  // the event loop's turn, without waiting for the batches before them; the writer writes all it
  // has received in one transaction.
  let worker: Worker | undefined;
  let checkpointer: Worker | undefined;
  let checkpointerExit: Promise<void> = Promise.resolve();
  const sent: Pending[][] = [];
  let fatal: string | undefined;
  let idle: (() => void) | undefined;
  let exited = false;
  const send = () => {
    scheduled = false;
    if (queue.length === 0 || !worker) return;
    const batch = queue.splice(0);
    sent.push(batch);
    if (sent.length === 1) worker.ref();
    worker.postMessage(batch.map((p) => p.op));
  };
  const failAll = (message: string) => {
    fatal ??= message;
    const batch = [...sent.splice(0).flat(), ...queue.splice(0)];
    settle(batch, { error: fatal });
    idle?.();
  };

  if (mode === 'inline') {
    inline = createWriter(db);
  } else {
    // Each thread opens its own connection to the file; the two talk over this channel.
    const { port1, port2 } = new MessageChannel();
    const thread = (source: string, portName: string, port: MessagePort) => {
      const w = new Worker(source, {
        eval: true,
        workerData: { path, pragmas: setup, [portName]: port },
        transferList: [port],
        stdout: false,
        stderr: false,
      });
      w.unref();
      return w;
    };
    checkpointer = thread(CHECKPOINT_SOURCE, 'writer', port2);
    checkpointerExit = new Promise((resolve) => checkpointer?.once('exit', () => resolve()));
    worker = thread(WRITER_SOURCE, 'checkpoints', port1);
    worker.on(
      'message',
      (msg: { results: OpResult[] } | { error: string } | { fatal: string } | 'closed') => {
        if (msg === 'closed') return;
        if ('fatal' in msg) return failAll(msg.fatal);
        const batch = sent.shift() ?? [];
        if (sent.length === 0) {
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
      if (closed) return reject(new ClosedLoopError('CLOSED', `The SQLite store "${path}" is closed`));
      if (fatal) return reject(new ClosedLoopError('STORE', `SQLite commit failed: ${fatal}`));
      queue.push({ op, resolve, reject });
      if (worker && queue.length >= SEND_AT) send();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(inline ? flushInline : send);
      }
    });

  return {
    enqueue,
    async close() {
      if (closed) return;
      closed = true;
      if (inline) {
        flushInline();
      } else if (worker) {
        const w = worker;
        if (!fatal && (sent.length > 0 || queue.length > 0)) {
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
        // The writer closed its port to the checkpoint thread, which then closes its connection.
        checkpointer?.ref();
        await checkpointerExit;
      }
    },
  };
}
