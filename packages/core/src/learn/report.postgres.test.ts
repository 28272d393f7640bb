import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postgresStore } from '../stores/postgres.ts';
import { sqliteStore } from '../stores/sqlite.ts';
import type { Store } from '../stores/store.ts';
import { ANSWERS, load, segments } from './analytics.suite.ts';
import { type Analytics, createAnalytics } from './analytics.ts';
import { postgresExecutor, sqliteExecutor } from './executor.ts';
import { buildReport, CADENCES } from './report.ts';

const schema = `learn_report_${process.pid}_${Date.now().toString(36)}`;
let pool: pg.Pool;
let pgStore: Store;
let sqlite: Store;
let db: DatabaseSync;
let onPg: Analytics;
let onSqlite: Analytics;

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 });
  pgStore = postgresStore({ pool, schema });
  await pgStore.init();
  await load(pgStore, ANSWERS);
  onPg = createAnalytics(postgresExecutor(pool, schema), { segments });
  await onPg.prepare();
  const path = join(mkdtempSync(join(tmpdir(), 'learn-report-pg-')), 'closedloop.sqlite');
  sqlite = sqliteStore({ path, synchronous: 'NORMAL' });
  await sqlite.init();
  await load(sqlite, ANSWERS);
  db = new DatabaseSync(path);
  onSqlite = createAnalytics(sqliteExecutor(db), { segments });
  await onSqlite.prepare();
});
afterAll(async () => {
  await pgStore?.close();
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool?.end();
  await sqlite?.close();
  db?.close();
});

describe('reports on PostgreSQL', () => {
  it.each(CADENCES)('the %s report equals the one computed on SQLite from the same rows', async (cadence) => {
    for (const at of [
      '2026-01-06T08:00:00Z',
      '2026-01-13T08:00:00Z',
      '2026-02-01T08:00:00Z',
      '2026-04-01T08:00:00Z',
    ]) {
      for (const segment of [undefined, 'EU', 'EU-DE']) {
        const options = { cadence, at, generatedAt: at, ...(segment ? { segment } : {}) };
        expect(await buildReport(onPg, options)).toEqual(await buildReport(onSqlite, options));
      }
    }
  });

  it('a report over any range (a wave) equals the one computed on SQLite', async () => {
    const options = {
      cadence: 'weekly' as const,
      range: { from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' },
      generatedAt: '2026-03-01T00:00:00Z',
    };
    const onPostgres = await buildReport(onPg, options);
    expect(onPostgres.range).toEqual({ from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' });
    expect(onPostgres.summary?.nps?.responses).toBeGreaterThan(0);
    expect(onPostgres).toEqual(await buildReport(onSqlite, options));
  });
});
