// Every index the SQLite store keeps is there for a query: each test shows a query of the store
// whose plan uses it (plans, not timings). An index no plan here needs should not exist; the
// last test lists them all, so a new index comes with its query.
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, test } from 'vitest';
import { migrateSqlite } from './sqlite-migrations.ts';
import {
  caseWhere,
  DUE_DELIVERIES_SQL,
  DUE_TIMERS_SQL,
  NEXT_DELIVERY_SQL,
  NEXT_TIMER_SQL,
} from './sqlite-queries.ts';
import type { CaseQuery } from './store.ts';

const db = new DatabaseSync(':memory:');
migrateSqlite(db, ':memory:');

const plan = (sql: string, params: (string | number)[] = []) =>
  (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
    .map((r) => r.detail)
    .join(' | ');
const countCases = (q: CaseQuery) => {
  const w = caseWhere(q);
  return plan(`SELECT status, COUNT(*) AS n FROM cases ${w.sql} GROUP BY status`, w.params as string[]);
};

describe('SQLite store query plans', () => {
  test('cases filtered by status, segment or owner are found through their index', () => {
    expect(countCases({ status: 'new' })).toMatch(/USING (COVERING )?INDEX cases_status \(status=\?\)/);
    expect(countCases({ segment: 'es' })).toMatch(/USING INDEX cases_segment \(segment=\?\)/);
    expect(countCases({ owner: 'ana' })).toMatch(/USING INDEX cases_owner \(owner=\?\)/);
  });

  test('due timers and the next timer come from loops_due', () => {
    expect(plan(DUE_TIMERS_SQL, [5, 10])).toMatch(/SEARCH loops USING INDEX loops_due \(next_due_at<\?\)/);
    expect(plan(NEXT_TIMER_SQL)).toMatch(/USING COVERING INDEX loops_due/);
  });

  test('due deliveries and the next delivery come from deliveries_due', () => {
    expect(plan(DUE_DELIVERIES_SQL, [5, 10])).toMatch(
      /SEARCH deliveries USING INDEX deliveries_due \(status=\? AND next_attempt_at<\?\)/,
    );
    expect(plan(NEXT_DELIVERY_SQL)).toMatch(/USING COVERING INDEX deliveries_due \(status=\?\)/);
  });

  test('the store keeps only these indexes (and the keys and constraints of its tables)', () => {
    const names = (
      db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
        )
        .all() as { name: string }[]
    ).map((r) => r.name);
    // feedback_source is UNIQUE (tool, response_id), a constraint shared with PostgreSQL.
    // learn_*: the rollups' (their plans: learn/rollups-plans.test.ts).
    expect(names).toEqual([
      'cases_owner',
      'cases_segment',
      'cases_status',
      'deliveries_due',
      'feedback_source',
      'learn_cases_created',
      'learn_cases_loop',
      'learn_feedback_received',
      'loops_due',
    ]);
  });
});
