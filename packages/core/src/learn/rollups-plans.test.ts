// The indexes the rollup migration adds on SQLite, each with the statement whose plan uses it
// (the store's own are in stores/sqlite-plans.test.ts).
import { DatabaseSync } from 'node:sqlite';
import { expect, it } from 'vitest';
import { migrateSqlite } from '../stores/sqlite-migrations.ts';
import { sqliteExecutor } from './executor.ts';
import { rebuildDaySql } from './rollups.ts';

const db = new DatabaseSync(':memory:');
migrateSqlite(db, ':memory:');
const plan = (text: string, params: readonly unknown[]) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${text}`).all(...(params as string[])) as { detail: string }[])
    .map((r) => r.detail)
    .join(' | ');

it('a rebuild reads one day of feedback and cases through their time indexes, re-surveys through the loop index', () => {
  const plans = rebuildDaySql(sqliteExecutor(db), Date.parse('2026-01-05T00:00:00Z')).map((f) =>
    plan(f.text, f.params),
  );
  const all = plans.join('\n');
  expect(all).toMatch(/SEARCH f USING INDEX learn_feedback_received \(received_at>\? AND received_at<\?\)/);
  expect(all).toMatch(/SEARCH r USING INDEX learn_feedback_received/);
  expect(all).toMatch(/SEARCH c USING INDEX learn_cases_loop \(loop_id=\?\)/);
  expect(all).toMatch(/SEARCH c USING INDEX learn_cases_created \(created_at>\? AND created_at<\?\)/);
  // No statement reads a whole table of rows (`SCAN c` is the contribution's subquery, not cases).
  expect(all).not.toMatch(/SCAN (f|r|l|feedback|cases|loops)\b/);
});
