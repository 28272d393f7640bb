import pg from 'pg';
import { inject } from 'vitest';
import { postgresStore } from '../stores/postgres.ts';
import { describeAnalytics } from './analytics.suite.ts';
import { postgresExecutor } from './executor.ts';
import { ROLLUP_TABLES } from './rollups.ts';

const runId = `${process.pid}_${Date.now().toString(36)}`;
let n = 0;

describeAnalytics('PostgreSQL', async () => {
  const schema = `learn_${runId}_${n++}`;
  const pool = new pg.Pool({ connectionString: inject('pgUrl'), max: 4 });
  const store = postgresStore({ pool, schema });
  await store.init();
  const q = `"${schema}"`;
  const executor = postgresExecutor(pool, schema);
  return {
    store,
    executor,
    async clear() {
      await pool.query(
        `TRUNCATE ${q}.feedback, ${q}.cases, ${q}.loops, ${ROLLUP_TABLES.map((t) => `${q}.${t}`).join(', ')}`,
      );
    },
    async close() {
      await store.close();
      await pool.query(`DROP SCHEMA ${q} CASCADE`);
      await pool.end();
    },
  };
});
