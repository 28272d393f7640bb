import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, test } from 'vitest';
import { ClosedLoopError } from '../errors.ts';
import { deliveryFor, feedbackFor, firstStep, timer } from './conformance.ts';
import { sqliteStore } from './sqlite.ts';
import { SQLITE_MIGRATIONS, SQLITE_V1_DDL } from './sqlite-migrations.ts';
import { encodeStep } from './sqlite-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'closedloop-migrations-'));
let n = 0;
const fresh = () => join(dir, `${n++}.sqlite`);

/** A database as the release before migrations left it: migration 1's DDL, rows written as it wrote them. */
function previousRelease(path: string, loopIds: string[]) {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; ${SQLITE_V1_DDL}`);
  for (const loopId of loopIds) {
    const step = encodeStep(
      firstStep(loopId, {
        deliveries: [deliveryFor(loopId, 'a')],
        timers: [timer(loopId, 'resolution', 50)],
      }),
    );
    db.prepare(
      'INSERT INTO loops (loop_id, state, version, snapshot, updated_at, timers, next_due_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(...step.loop);
    // The former feedback row: eleven columns, no loop_id.
    db.prepare(
      'INSERT INTO feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(...step.feedback!.slice(0, 11));
    db.prepare(
      'INSERT INTO cases (id, loop_id, status, priority, priority_rank, segment, owner, customer_email, created_at, updated_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(...step.case!);
    db.prepare(
      'INSERT INTO deliveries (seq, id, loop_id, connector, status, attempts, next_attempt_at, last_error, effect) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(1, ...step.deliveries[0]!);
  }
  db.close();
}

const versions = (path: string) => {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return (
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]
    ).map((r) => r.version);
  } finally {
    db.close();
  }
};

describe('SQLite store migrations', () => {
  test('a database of the previous release upgrades in place: rows intact, loop_id filled, view for learn', async () => {
    const path = fresh();
    previousRelease(path, ['l1', 'l2']);
    const store = sqliteStore({ path });
    try {
      expect(await store.getLoop('l1')).toMatchObject({ loopId: 'l1', version: 1 });
      expect((await store.getFeedback('fb-l2'))?.source.responseId).toBe('resp-l2');
      expect((await store.getCase('case-l1'))?.loopId).toBe('l1');
      expect((await store.listDeliveries({ loopId: 'l2' })).map((d) => d.id)).toEqual(['l2:a@email']);
      expect(await store.dueTimers(100, 10)).toEqual([
        timer('l1', 'resolution', 50),
        timer('l2', 'resolution', 50),
      ]);
      // New steps write loop_id themselves.
      await store.commit(firstStep('l3'));
      const rows = await store.sql!.all('SELECT id, loop_id FROM learn_feedback ORDER BY id');
      expect(rows).toEqual([
        { id: 'fb-l1', loop_id: 'l1' },
        { id: 'fb-l2', loop_id: 'l2' },
        { id: 'fb-l3', loop_id: 'l3' },
      ]);
    } finally {
      await store.close();
    }
    expect(versions(path)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
    // Opening again runs nothing more.
    await sqliteStore({ path }).close();
    expect(versions(path)).toEqual(SQLITE_MIGRATIONS.map((_, i) => i + 1));
  });

  test('a database at a newer version than this code knows is refused, naming both versions, and left untouched', async () => {
    const path = fresh();
    await sqliteStore({ path }).close();
    const future = SQLITE_MIGRATIONS.length + 1;
    const db = new DatabaseSync(path);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(future, 'later');
    db.close();
    const before = createHash('sha256').update(readFileSync(path)).digest('hex');
    let error: unknown;
    try {
      sqliteStore({ path });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClosedLoopError);
    expect((error as ClosedLoopError).code).toBe('STORE');
    expect((error as Error).message).toContain(
      `schema version ${future}, newer than this closedloop knows (${future - 1})`,
    );
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(before);
    // The file is released: an older copy of the code could not open it, but the lock is gone.
    const again = (() => {
      try {
        sqliteStore({ path });
      } catch (e) {
        return e;
      }
    })();
    expect((again as Error).message).toContain('newer than this closedloop knows');
  });

  test('a failing step rolls back every pending step: the database stays at its version', () => {
    const path = fresh();
    previousRelease(path, ['l1']);
    // Two feedback rows from the same response: UNIQUE (tool, response_id) cannot be created.
    const db = new DatabaseSync(path);
    const dup = encodeStep(
      firstStep('l9', {
        feedback: feedbackFor('l9', { source: { tool: 'conformance', responseId: 'resp-l1' } }),
      }),
    );
    db.prepare(
      'INSERT INTO feedback (id, tool, response_id, received_at, nps, csat, segment, touchpoint, language, anonymous, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(...dup.feedback!.slice(0, 11));
    db.close();
    expect(() => sqliteStore({ path })).toThrow(/Cannot migrate SQLite database .*UNIQUE constraint failed/);
    const after = new DatabaseSync(path, { readOnly: true });
    const tables = after
      .prepare("SELECT name FROM sqlite_master WHERE name IN ('schema_migrations', 'learn_feedback')")
      .all();
    const columns = (after.prepare('PRAGMA table_info(feedback)').all() as { name: string }[]).map(
      (c) => c.name,
    );
    after.close();
    expect(tables).toEqual([]);
    expect(columns).not.toContain('loop_id');
  });

  test('feedback is unique per (tool, response_id), as on PostgreSQL', async () => {
    const store = sqliteStore({ path: fresh() });
    try {
      await store.commit(firstStep('l1'));
      const twin = firstStep('l2', {
        feedback: feedbackFor('l2', { source: { tool: 'conformance', responseId: 'resp-l1' } }),
      });
      await expect(store.commit(twin)).rejects.toMatchObject({ code: 'STORE' });
      expect(await store.getLoop('l2')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
