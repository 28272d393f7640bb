import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ClosedLoopError } from '../errors.ts';
import { deliveryFor, firstStep, nextStep, storeConformance, timer } from './conformance.ts';
import { sqliteStore } from './sqlite.ts';
import type { Store } from './store.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-sqlite-'));
let n = 0;
const paths = new WeakMap<Store, string>();
function make(writer: 'thread' | 'inline', path = join(dir, `${n++}.sqlite`)): Store {
  const store = sqliteStore({ path, writer });
  paths.set(store, path);
  return store;
}

storeConformance('sqlite (writer thread)', async () => make('thread'), {
  reopen: async (closed) => make('thread', paths.get(closed)),
});
storeConformance('sqlite (inline writer)', async () => make('inline'), {
  reopen: async (closed) => make('inline', paths.get(closed)),
});
storeConformance('sqlite (:memory:)', async () => sqliteStore({ path: ':memory:' }));

describe('sqliteStore', () => {
  test('a conflicting step fails alone; the steps committed beside it are kept', async () => {
    const store = make('thread');
    await store.commit(firstStep('a'));
    const results = await Promise.allSettled([
      store.commit(firstStep('b')),
      store.commit(firstStep('a')), // a exists: CONFLICT
      store.commit(nextStep('a', 1)),
      store.commit(firstStep('c', { deliveries: [deliveryFor('c', 'k1')] })),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const reason = (results[1] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(ClosedLoopError);
    expect((reason as ClosedLoopError).code).toBe('CONFLICT');
    expect((await store.getLoop('a'))?.version).toBe(2);
    expect(await store.getLoop('b')).toBeDefined();
    expect((await store.listDeliveries({ loopId: 'c' })).length).toBe(1);
    await store.close();
  });

  test('under steady writing, checkpoints keep the WAL file from growing with the data', async () => {
    // Checkpoints run on their own thread; only one that leaves nothing behind lets the WAL start
    // over. Were they never to catch up, the WAL would grow with every step (to SQLite's safety
    // net of 20,000 pages, 80 MB) and every reader would search it.
    const path = join(dir, 'wal.sqlite');
    const store = make('thread', path);
    const walBytes = () => statSync(`${path}-wal`).size;
    const write = async (from: number, count: number) => {
      for (let i = from; i < from + count; i += 32)
        await Promise.all(
          Array.from({ length: 32 }, (_, j) =>
            store.commit(firstStep(`w${i + j}`, { deliveries: [deliveryFor(`w${i + j}`, 'k')] })),
          ),
        );
    };
    await write(0, 3_200);
    const first = walBytes();
    await write(3_200, 6_400);
    const after = walBytes();
    const db = new DatabaseSync(path);
    const dataBytes =
      Number((db.prepare('PRAGMA page_count').get() as { page_count: number }).page_count) * 4096;
    db.close();
    await store.close();
    expect(first).toBeGreaterThan(0);
    // Three times the steps, and the database file grew with them; the WAL did not.
    expect(after).toBeLessThan(first * 1.5);
    expect(after).toBeLessThan(dataBytes);
  }, 60_000);

  test('close() waits for the commits under way, and they are on disk', async () => {
    const path = join(dir, 'close.sqlite');
    const store = make('thread', path);
    const commits = Array.from({ length: 50 }, (_, i) => store.commit(firstStep(`l${i}`)));
    await store.close();
    await Promise.all(commits);
    await expect(store.commit(firstStep('late'))).rejects.toMatchObject({ code: 'CLOSED' });
    const db = new DatabaseSync(path);
    expect((db.prepare('SELECT COUNT(*) AS n FROM loops').get() as { n: number }).n).toBe(50);
    db.close();
  });

  test('updateDelivery on an unknown id fails with STORE, through the writer thread', async () => {
    const store = make('thread');
    await expect(
      store.updateDelivery({ id: 'nope', status: 'delivered', attempts: 1 }),
    ).rejects.toMatchObject({
      code: 'STORE',
    });
    await store.close();
  });

  test('a database with the former timers table is migrated into the loops table', async () => {
    const path = join(dir, 'old.sqlite');
    const db = new DatabaseSync(path);
    db.exec(`CREATE TABLE loops (loop_id TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL,
        snapshot TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE TABLE timers (loop_id TEXT NOT NULL, name TEXT NOT NULL, due_at INTEGER NOT NULL, PRIMARY KEY (loop_id, name));
      CREATE INDEX timers_due ON timers (due_at);
      INSERT INTO loops VALUES ('l1', 'acting.new', 1, '{}', 'x'), ('l2', 'acting.new', 1, '{}', 'x'), ('l3', 'learned', 3, '{}', 'x');
      INSERT INTO timers VALUES ('l1', 'firstResponse', 30), ('l1', 'resolution', 10), ('l2', 'firstResponse', 20);`);
    db.close();
    const store = make('thread', path);
    expect(await store.nextTimerDueAt()).toBe(10);
    expect(await store.dueTimers(25, 10)).toEqual([
      { loopId: 'l1', name: 'resolution', dueAt: 10 },
      { loopId: 'l2', name: 'firstResponse', dueAt: 20 },
    ]);
    // The migrated loop's timers are replaced by its next step, as for any other loop.
    await store.commit(nextStep('l1', 1, { timers: [timer('l1', 'resolution', 40)] }));
    expect(await store.dueTimers(100, 10)).toEqual([
      { loopId: 'l2', name: 'firstResponse', dueAt: 20 },
      { loopId: 'l1', name: 'resolution', dueAt: 40 },
    ]);
    await store.close();
  });
});

describe('sqliteStore is single-process', () => {
  const CHILD = fileURLToPath(new URL('./sqlite-lock-child.fixture.ts', import.meta.url));

  /** Starts a child process holding the store; resolves once it has opened it. */
  function holder(path: string): Promise<ChildProcess> {
    return new Promise((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--conditions=@closedloop/source', '--no-warnings', CHILD, path],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve(child);
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}): ${err}`)));
    });
  }
  const exited = (child: ChildProcess) => new Promise((r) => child.once('exit', r));

  test('opening a database another live process holds fails, naming it; once it is gone, the file opens', async () => {
    const path = join(dir, `locked-${n++}.sqlite`);
    const child = await holder(path);
    try {
      let error: unknown;
      try {
        sqliteStore({ path });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ClosedLoopError);
      expect((error as ClosedLoopError).code).toBe('STORE');
      expect((error as Error).message).toContain(`in use by another process (pid ${child.pid}`);
      expect((error as Error).message).toContain('use PostgreSQL');
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // The holder died without cleaning up: its lock is stale and taken over.
    const store = sqliteStore({ path });
    await store.commit(firstStep('l1'));
    expect((await store.getLoop('l1'))?.version).toBe(1);
    await store.close();
    // Closed: the lock is released, and another process may open the file.
    const next = await holder(path);
    next.kill('SIGKILL');
    await exited(next);
  });

  test('the same process closing and reopening a database is fine', async () => {
    const path = join(dir, `reopen-${n++}.sqlite`);
    const first = sqliteStore({ path });
    await first.close();
    const second = sqliteStore({ path });
    await second.close();
  });
});
