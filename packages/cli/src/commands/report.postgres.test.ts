import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Store, sqliteStore } from '@closedloop/core';
import { postgresStore } from '@closedloop/core/postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ANSWERS, load, segments } from '../../../core/src/learn/analytics.suite.ts';
import { type ReportCliOptions, type ReportIo, reportCommand } from './report.ts';

const schema = `cli_report_${process.pid}_${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'report-cli-pg-'));
let store: Store;
let pool: pg.Pool;
const config = (storeValue: unknown, name: string) => {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      store: storeValue,
      directory: [{ id: 'eva', name: 'Eva', email: 'eva@example.com' }],
      segments: segments.all(),
    }),
  );
  return file;
};

beforeAll(async () => {
  pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 2 });
  store = postgresStore({ pool, schema });
  await store.init();
  await load(store, ANSWERS);
  const sqlite = sqliteStore({ path: join(dir, 'closedloop.sqlite') });
  await sqlite.init();
  await load(sqlite, ANSWERS);
  await sqlite.close();
});
afterAll(async () => {
  await store?.close();
  await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool?.end();
});

async function run(file: string, args: Partial<ReportCliOptions>, env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const io: ReportIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  };
  const ok = await reportCommand({ config: file, format: 'json', ...args }, io, env);
  return { ok, out, err };
}

it('a report over any range runs on the PostgreSQL store the config names, equal to the same rows on SQLite', async () => {
  const onPg = config({ postgres: { url: { env: 'REPORT_TEST_PG' }, schema } }, 'pg.json');
  const onSqlite = config('closedloop.sqlite', 'sqlite.json');
  for (const range of [
    { from: '2026-01-01', to: '2026-01-31' },
    { from: '2026-01-05', to: '2026-01-11', segment: 'EU' },
    { from: '2025-12-29T00:00:00Z', to: '2026-01-05T00:00:00Z' },
  ]) {
    const { segment, ...r } = range as { from: string; to: string; segment?: string };
    const args: Partial<ReportCliOptions> = { ...r, ...(segment ? { segment: [segment] } : {}) };
    const pgRun = await run(onPg, args, { REPORT_TEST_PG: inject('pgUrl') });
    expect(pgRun.err).toBe('');
    const sqliteRun = await run(onSqlite, args);
    const a = JSON.parse(pgRun.out);
    const b = JSON.parse(sqliteRun.out);
    expect(a.summary.nps.responses).toBeGreaterThan(0);
    expect({ ...a, generatedAt: '' }).toEqual({ ...b, generatedAt: '' });
  }
});

it('names the environment variable when the connection string is missing', async () => {
  const onPg = config({ postgres: { url: { env: 'REPORT_TEST_PG_MISSING' } } }, 'pg-missing.json');
  const r = await run(onPg, { from: '2026-01-01', to: '2026-01-31' });
  expect(r.ok).toBe(false);
  expect(r.err).toContain('the environment variable REPORT_TEST_PG_MISSING is not set');
});
